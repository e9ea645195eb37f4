"""Values of confirmed targets, reported with a progress report: stored with
the report, checked with clear messages (nothing half-written), the lead's
value is the indicator's, and the values known on a day."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Target
from indicators.target_services import target_confirm
from tasks.models import ProgressReport, TargetValue, Task
from tasks.target_values import ReportedValue, indicator_values, latest

from .helpers import JULY_15, SHANGHAI, join, report, task_of

pytestmark = pytest.mark.django_db


def confirmed(code: str, name: str, office) -> Target:
    target = Target.objects.get(indicator__plan__year=2019, indicator__code=code, name=name)
    target_confirm(targets=Target.objects.filter(pk=target.pk), user=office)
    return target


@pytest.fixture
def online(plan_2019, office):
    """实时在线率 ≥ 90 % (indicator 8, led by 区数管局), confirmed."""
    return confirmed("8", "实时在线率", office)


def value(target, number, as_of=dt.date(2019, 7, 10), source="省平台统计"):
    return ReportedValue(target_id=target.pk, value=Decimal(number), as_of=as_of, source=source)


def test_it_stores_the_values_with_the_report(staff, task_8, online, july_15):
    filed = report(task_8, staff, target_values=[value(online, "85.5")])

    [stored] = TargetValue.objects.all()
    assert (stored.report, stored.task, stored.target, stored.value) == (
        filed,
        task_8,
        online,
        Decimal("85.5"),
    )
    assert (stored.as_of, stored.source, stored.created_at) == (dt.date(2019, 7, 10), "省平台统计", JULY_15)
    assert not online.is_met(stored.value)


def test_it_takes_a_report_without_values(staff, task_8, online, july_15):
    report(task_8, staff)

    assert ProgressReport.objects.count() == 1 and not TargetValue.objects.exists()


@pytest.mark.parametrize(
    ("number", "as_of", "message"),
    [
        ("101", dt.date(2019, 7, 10), "“实时在线率”是百分比，数值应在 0 到 100 之间。"),
        ("-1", dt.date(2019, 7, 10), "“实时在线率”的数值不能为负数。"),
        ("90", dt.date(2019, 7, 16), "“实时在线率”的截至日期不能晚于今天。"),
    ],
)
def test_it_refuses_a_bad_value_and_writes_nothing(staff, task_8, online, july_15, number, as_of, message):
    with pytest.raises(ValidationError) as refused:
        report(task_8, staff, target_values=[value(online, number, as_of)])

    assert refused.value.messages == [message]
    assert not ProgressReport.objects.exists() and not TargetValue.objects.exists()
    task_8.refresh_from_db()
    assert task_8.status == Task.Status.NOT_STARTED


def test_it_refuses_a_negative_count_and_an_unconfirmed_target(staff, plan_2019, office, july_15):
    days = confirmed("23", "一般登记业务办理时限", office)
    lead = Task.objects.get(indicator=days.indicator, role=Task.Role.LEAD)
    join(staff, lead.unit.name)
    proposal = Target.objects.filter(indicator=days.indicator, status=Target.Status.PROPOSED).first()

    with pytest.raises(ValidationError, match="不能为负数"):
        report(lead, staff, target_values=[value(days, "-2")])
    with pytest.raises(ValidationError, match="只能填报本指标已确认的目标"):
        report(lead, staff, target_values=[value(proposal, "2")])
    report(lead, staff, target_values=[value(days, "3")])

    assert days.is_met(TargetValue.objects.get().value)


def test_it_takes_the_indicators_value_from_its_lead(staff, other_staff, task_8, online, office, july_15):
    partner = task_of("区卫生健康局", "8")
    join(other_staff, "区卫生健康局")
    report(partner, other_staff, target_values=[value(online, "70")])
    assert indicator_values([online.indicator_id]) == {}

    report(task_8, staff, target_values=[value(online, "88", dt.date(2019, 6, 30))])
    report(task_8, staff, target_values=[value(online, "92", dt.date(2019, 7, 15))])

    series = indicator_values([online.indicator_id])[online.pk]
    assert [v.value for v in series] == [Decimal("88"), Decimal("92")]
    assert latest(series).value == Decimal("92") and online.is_met(latest(series).value)


def test_it_uses_the_values_known_on_a_day(staff, task_8, online):
    with time_machine.travel(dt.datetime(2019, 6, 30, 18, tzinfo=SHANGHAI), tick=False):
        report(task_8, staff, target_values=[value(online, "80", dt.date(2019, 6, 30))])
    with time_machine.travel(JULY_15, tick=False):
        report(task_8, staff, target_values=[value(online, "95", dt.date(2019, 7, 15))])

    def latest_on(day):
        return latest(indicator_values([online.indicator_id], on=day).get(online.pk, []))

    assert latest_on(dt.date(2019, 6, 29)) is None
    assert latest_on(dt.date(2019, 7, 1)).value == Decimal("80")
    assert latest_on(dt.date(2019, 7, 15)).value == Decimal("95")


# Through the task page's form


def _post(client, task, **extra):
    data = {"version": task.version, "status": "in_progress", "percent": 60, "progress": "推进归档", **extra}
    return client.post(reverse("tasks:report", args=[task.pk]), data)


def test_it_offers_a_field_per_confirmed_target_and_stores_it(client, staff, task_8, online, july_15):
    client.force_login(staff)
    page = client.get(reverse("tasks:detail", args=[task_8.pk])).content.decode()
    assert f'name="target_{online.pk}_value"' in page
    assert page.count('name="target_') == 3  # only the confirmed one: value, 截至, source

    response = _post(
        client,
        task_8,
        **{
            f"target_{online.pk}_value": "91",
            f"target_{online.pk}_as_of": "2019-07-15",
            f"target_{online.pk}_source": "月报",
        },
    )

    assert response.status_code == 302
    assert TargetValue.objects.get().value == Decimal("91")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "120", "as_of": "2019-07-15"}, "“实时在线率”是百分比，数值应在 0 到 100 之间。"),
        ({"value": "abc", "as_of": "2019-07-15"}, "实时在线率"),
        ({"value": "90", "as_of": ""}, "请填写“实时在线率”的截至日期。"),
        ({"value": "90", "as_of": "2019-02-30"}, "截至"),
        ({"value": "9" * 30, "as_of": "2019-07-15"}, "实时在线率"),
    ],
)
def test_it_shows_a_bad_value_on_the_form(client, staff, task_8, online, july_15, fields, message):
    client.force_login(staff)

    response = _post(client, task_8, **{f"target_{online.pk}_{k}": v for k, v in fields.items()})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProgressReport.objects.exists() and not TargetValue.objects.exists()


# Seen against the target on the task page


def test_it_shows_each_target_against_its_latest_value(client, staff, other_staff, task_8, online, july_15):
    partner = task_of("区卫生健康局", "8")
    join(other_staff, "区卫生健康局")
    report(task_8, staff, target_values=[value(online, "85", dt.date(2019, 6, 30), "6月统计")])

    client.force_login(other_staff)
    response = client.get(reverse("tasks:detail", args=[partner.pk]))
    page = response.content.decode()

    [standing] = response.context["targets"]
    assert (standing.target, standing.latest.value, standing.met) == (online, Decimal("85"), False)
    assert "未达成" in page and "截至2019年6月30日" in page and "6月统计" in page
    assert response.context["target_charts"] == [
        {
            "id": online.pk,
            "name": "实时在线率",
            "unit": "%",
            "points": [["2019-06-30", 85.0]],
            "lines": [90.0],
        }
    ]
    assert 'id="target-data"' in page and "js/targets.js" in page

    report(task_8, staff, target_values=[value(online, "90", dt.date(2019, 7, 15))])
    page = client.get(reverse("tasks:detail", args=[partner.pk])).content.decode()
    assert 'data-met="yes"' in page and "已达成" in page


def test_it_shows_no_targets_panel_before_the_office_confirms(client, staff, task_8, july_15):
    client.force_login(staff)

    page = client.get(reverse("tasks:detail", args=[task_8.pk])).content.decode()

    assert 'id="targets"' not in page and "js/targets.js" not in page


def test_it_runs_the_same_queries_on_the_task_page_as_targets_and_values_grow(
    client, staff, task_8, office, july_15
):
    client.force_login(staff)
    page = reverse("tasks:detail", args=[task_8.pk])
    first = confirmed("8", "实时在线率", office)
    report(task_8, staff, target_values=[value(first, "80")])
    client.get(page)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    target_confirm(targets=Target.objects.filter(indicator=first.indicator), user=office)
    for n in range(5):
        values = [value(t, str(50 + n)) for t in Target.objects.filter(indicator=first.indicator)]
        report(task_8, staff, target_values=values)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page)

    assert len(response.context["targets"]) == 4
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
