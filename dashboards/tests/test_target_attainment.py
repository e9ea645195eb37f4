"""目标达成 on the overview and in the monthly report: confirmed targets
against the lead's latest value known on the day, by category and by unit,
the furthest from their goal; constant queries as targets and values grow."""

import datetime as dt
import io
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.asof import Scope
from dashboards.targets import target_attainment
from indicators.models import Target
from indicators.target_services import target_confirm
from tasks.models import Task
from tasks.target_values import ReportedValue
from tasks.tests.helpers import JULY_15, SHANGHAI, join, report

pytestmark = pytest.mark.django_db


def confirm(code, office, *names):
    targets = Target.objects.filter(indicator__plan__year=2019, indicator__code=code, name__in=names)
    target_confirm(targets=targets, user=office)
    return [targets.get(name=name) for name in names]


def lead_of(target) -> Task:
    return Task.objects.select_related("unit").get(indicator=target.indicator, role=Task.Role.LEAD)


def report_value(staff, target, number, as_of):
    task = lead_of(target)
    if not staff.memberships.filter(unit=task.unit).exists():
        join(staff, task.unit.name)
    report(task, staff, target_values=[ReportedValue(target.pk, Decimal(number), as_of)])


@pytest.fixture
def reported(plan_2019, staff, office):
    """By 15 July: 实时在线率 (≥ 90 %) at 80 then 95, 共享使用率 (≥ 100 %) at 60,
    the 一般登记 time (≤ 4 个工作日) at 3; 抵押权登记 (≤ 2) confirmed, no value."""
    with time_machine.travel(dt.datetime(2019, 6, 30, 18, tzinfo=SHANGHAI), tick=False):
        online, shared = confirm("8", office, "实时在线率", "共享使用率")
        days = confirm("23", office, "一般登记业务办理时限", "抵押权登记业务办理时限")
        report_value(staff, online, "80", dt.date(2019, 6, 30))
    with time_machine.travel(JULY_15, tick=False):
        report_value(staff, online, "95", dt.date(2019, 7, 15))
        report_value(staff, shared, "60", dt.date(2019, 7, 15))
        report_value(staff, days[0], "3", dt.date(2019, 7, 15))
    return {"online": online, "shared": shared, "days": days}


def attainment(plan, on, **narrow):
    return target_attainment(scope=Scope(plan=plan, as_of=on, today=dt.date(2019, 7, 15), **narrow))


def test_it_counts_targets_met_by_category_and_unit(plan_2019, reported):
    result = attainment(plan_2019, dt.date(2019, 7, 15))

    assert (result.total.met, result.total.confirmed, result.total.reported) == (2, 4, 3)
    assert {(t.name, t.met, t.confirmed) for t in result.units} == {
        ("区数管局", 1, 2),
        (lead_of(reported["days"][0]).unit.name, 1, 2),
    }
    assert sum(t.confirmed for t in result.categories) == 4
    assert [(r.target.name, r.latest.value) for r in result.furthest] == [("共享使用率", Decimal("60"))]


def test_it_uses_the_values_known_on_the_day(plan_2019, reported):
    result = attainment(plan_2019, dt.date(2019, 7, 1))

    assert (result.total.met, result.total.confirmed, result.total.reported) == (0, 4, 1)
    assert [(r.target.name, r.latest.value) for r in result.furthest] == [("实时在线率", Decimal("80"))]
    assert attainment(plan_2019, dt.date(2019, 6, 29)).total.confirmed == 0  # confirmed on 30 June


def test_it_narrows_to_the_overviews_unit(plan_2019, reported):
    unit = lead_of(reported["online"]).unit

    result = attainment(plan_2019, dt.date(2019, 7, 15), unit_id=unit.pk)

    assert {r.target.name for r in result.rows} == {"实时在线率", "共享使用率"}


def test_it_shows_the_attainment_on_the_overview(client, office, plan_2019, reported):
    client.force_login(office)
    with time_machine.travel(JULY_15, tick=False):
        page = client.get(reverse("dashboards:overview"), {"plan": 2019}).content.decode()
        past = client.get(
            reverse("dashboards:overview"), {"plan": 2019, "as_of": "2019-07-01"}
        ).content.decode()

    assert "目标达成" in page and "已达成 2 / 已确认 4（已报送数值 3）" in page
    assert "8. 共享使用率</a>：60 %" in page
    assert "已达成 0 / 已确认 4（已报送数值 1）" in past


def test_it_sees_a_new_confirmation_through_the_cache(client, office, plan_2019, reported):
    client.force_login(office)
    with time_machine.travel(JULY_15, tick=False):
        client.get(reverse("dashboards:overview"), {"plan": 2019})
        confirm("8", office, "事项颗粒化率")
        page = client.get(reverse("dashboards:overview"), {"plan": 2019}).content.decode()

    assert "已达成 2 / 已确认 5（已报送数值 3）" in page


def test_it_sees_a_new_value_through_the_cache_and_keeps_it_across_other_reports(
    client, office, staff, plan_2019, reported
):
    client.force_login(office)

    def overview() -> tuple[str, int]:
        """The page, and whether 目标达成 was computed for it."""
        with mock.patch("dashboards.views.target_attainment", wraps=target_attainment) as computed:
            page = client.get(reverse("dashboards:overview"), {"plan": 2019}).content.decode()
        return page, computed.call_count

    with time_machine.travel(JULY_15, tick=False):
        page, computed = overview()
        assert "已达成 2 / 已确认 4（已报送数值 3）" in page and computed == 1
        report(lead_of(reported["shared"]), staff, progress="共享平台对接完成两个部门")  # no value
        page, computed = overview()
        assert "已达成 2 / 已确认 4（已报送数值 3）" in page and computed == 0
        report_value(staff, reported["shared"], "100", dt.date(2019, 7, 15))
        page, computed = overview()

    assert "已达成 3 / 已确认 4（已报送数值 3）" in page and computed == 1


def test_it_writes_the_attainment_sheet(client, office, plan_2019, reported):
    client.force_login(office)
    with time_machine.travel(JULY_15, tick=False):
        response = client.get(reverse("dashboards:report"), {"plan": 2019})
    sheet = load_workbook(io.BytesIO(response.content))["目标达成"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]

    assert [(r[0], r[3], r[4], r[5], r[8]) for r in rows] == [
        ("8", "共享使用率", "≥ 100 %", 60, "未达成"),
        ("8", "实时在线率", "≥ 90 %", 95, "已达成"),
        ("23", "一般登记业务办理时限", "≤ 4 个工作日", 3, "已达成"),
        ("23", "抵押权登记业务办理时限", "≤ 2 个工作日", None, "未报送"),
    ]
    assert rows[1][7] == "2019年7月15日"


def test_it_runs_the_same_queries_as_targets_and_values_grow(client, office, staff, plan_2019, reported):
    client.force_login(office)

    def queries():
        cache.clear()  # each count from nothing kept (the trend's past days, 目标达成, the choices)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("dashboards:overview"), {"plan": 2019, "as_of": "2019-07-15"})
        return len(captured)

    with time_machine.travel(JULY_15, tick=False):
        few = queries()
        more = Target.objects.filter(indicator__plan__year=2019, status=Target.Status.PROPOSED)
        target_confirm(targets=more, user=office)
        online = reported["online"]
        for day in range(1, 10):
            report_value(staff, online, str(80 + day), dt.date(2019, 7, day))
        many = queries()

    assert Target.objects.filter(status=Target.Status.CONFIRMED).count() == 59
    assert many == few
