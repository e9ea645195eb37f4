"""The office's page of a plan's targets: confirm, edit, delete and restore
in the portal, with who and when; leaders read; bad input never a 500."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from indicators.models import Target

pytestmark = pytest.mark.django_db


def target(code: str, name: str) -> Target:
    return Target.objects.get(indicator__plan__year=2019, indicator__code=code, name=name)


def url(name: str, t: Target) -> str:
    return reverse(f"plans:{name}", args=[2019, t.pk])


def test_it_lists_every_proposal_with_its_quote_in_few_queries(
    client, office, plan_2019, django_assert_max_num_queries
):
    client.force_login(office)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("plans:targets", args=[2019]))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-status="proposed"') == 59
    assert "“实时在线率90%”" in page and "≥ 90 %" in page
    assert (
        reverse("plans:targets", args=[2019])
        in client.get(reverse("plans:detail", args=[2019])).content.decode()
    )
    assert reverse("plans:targets_current") in page  # the office's navigation


def test_it_keeps_the_number_of_queries_as_targets_grow(client, office, plan_2019):
    client.force_login(office)
    page = reverse("plans:targets", args=[2019])
    Target.objects.filter(indicator__code="8").update(
        status=Target.Status.CONFIRMED, confirmed_by=office, confirmed_at=timezone.now()
    )
    client.get(page)
    with CaptureQueriesContext(connection) as before:
        client.get(page)
    Target.objects.update(status=Target.Status.CONFIRMED, confirmed_by=office, confirmed_at=timezone.now())
    with CaptureQueriesContext(connection) as after:
        client.get(page)
    assert len(after) == len(before)


def test_it_confirms_a_proposal_with_who_and_when(client, office, plan_2019):
    client.force_login(office)
    t = target("8", "实时在线率")

    response = client.post(url("target_confirm", t), {"status": "proposed"})

    t.refresh_from_db()
    assert response.status_code == 302 and response["Location"].endswith(f"?status=proposed#target-{t.pk}")
    assert (t.status, t.confirmed_by) == (Target.Status.CONFIRMED, office)
    assert t.history.first().history_user == office
    assert "已确认" in client.get(response["Location"]).content.decode()


def test_it_deletes_and_restores_a_proposal(client, office, plan_2019):
    client.force_login(office)
    t = target("8", "共享使用率")

    client.post(url("target_delete", t))
    t.refresh_from_db()
    assert t.status == Target.Status.DELETED
    client.post(url("target_restore", t))
    t.refresh_from_db()
    assert (t.status, t.confirmed_by) == (Target.Status.PROPOSED, None)
    assert [h.status for h in t.history.all()[:2]] == ["proposed", "deleted"]


def test_it_edits_a_target_keeping_its_quote_and_key(client, office, plan_2019):
    client.force_login(office)
    t = Target.objects.get(indicator__plan__year=2019, indicator__code="51", direction="range")
    key, quote = t.key, t.quote

    client.post(
        url("target_edit", t),
        {"name": "试点覆盖率", "direction": "range", "value_min": "6", "value_max": "12", "unit": "%"},
    )

    t.refresh_from_db()
    assert (t.name, t.value, t.value_min, t.value_max, t.goal_display) == (
        "试点覆盖率",
        None,
        Decimal("6"),
        Decimal("12"),
        "6–12 %",
    )
    assert (t.key, t.quote) == (key, quote)
    assert t.history.first().history_user == office


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "direction": ">=", "value": "90", "unit": "%"}, "目标名称"),
        ({"name": "x", "direction": "~", "value": "90", "unit": "%"}, "方向"),
        ({"name": "x", "direction": ">=", "value": "abc", "unit": "%"}, "目标值"),
        ({"name": "x", "direction": ">=", "value": "", "unit": "%"}, "请填写目标值。"),
        ({"name": "x", "direction": ">=", "value": "120", "unit": "%"}, "百分比目标应在 0 到 100 之间。"),
        ({"name": "x", "direction": "<=", "value": "-1", "unit": "天"}, "目标值不能为负数。"),
        (
            {"name": "x", "direction": "range", "value_min": "10", "value_max": "5", "unit": "%"},
            "下限不能大于上限。",
        ),
        ({"name": "x", "direction": "range", "value_min": "10", "unit": "%"}, "区间目标需要填写下限和上限。"),
        ({"name": "x", "direction": ">=", "value": "1" * 20, "unit": "%"}, "目标值"),
    ],
)
def test_it_refuses_a_bad_edit_with_a_clear_message(client, office, plan_2019, data, message):
    client.force_login(office)
    t = target("8", "实时在线率")

    response = client.post(url("target_edit", t), data, follow=True)

    t.refresh_from_db()
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (t.name, t.value) == ("实时在线率", Decimal("90"))


def test_it_filters_by_status_and_ignores_a_bad_filter(client, office, plan_2019):
    client.force_login(office)
    client.post(url("target_confirm", target("8", "实时在线率")))

    confirmed = client.get(reverse("plans:targets", args=[2019]), {"status": "confirmed"}).content.decode()
    bad = client.get(reverse("plans:targets", args=[2019]), {"status": "<x>"})

    assert confirmed.count('data-status="') == 1
    assert bad.status_code == 200 and bad.content.decode().count('data-status="') == 59
    assert "没有这个选项，已按默认显示。" in bad.content.decode()


def test_it_lets_leaders_read_but_not_act(client, leader, plan_2019):
    client.force_login(leader)
    t = target("8", "实时在线率")

    page = client.get(reverse("plans:targets", args=[2019]))
    refused = [
        client.post(url(name, t), {"name": "x"}).status_code for name in ("target_confirm", "target_edit")
    ]

    assert page.status_code == 200 and url("target_confirm", t) not in page.content.decode()
    assert refused == [403, 403]
    assert target("8", "实时在线率").status == Target.Status.PROPOSED


def test_it_shows_units_no_targets_page(client, staff, plan_2019):
    client.force_login(staff)
    t = target("8", "实时在线率")

    assert client.get(reverse("plans:targets", args=[2019])).status_code == 403
    assert client.post(url("target_confirm", t)).status_code == 403
    assert reverse("plans:targets_current") not in client.get(reverse("tasks:mine")).content.decode()


def test_it_sends_the_navigation_to_the_newest_plan(client, office, plan_2019):
    client.force_login(office)

    response = client.get(reverse("plans:targets_current"))

    assert response["Location"] == reverse("plans:targets", args=[2019])
    assert client.get(reverse("plans:targets", args=[1999])).status_code == 404
    assert (
        client.post(reverse("plans:target_confirm", args=[1999, target("8", "实时在线率").pk])).status_code
        == 404
    )


def test_it_shows_each_row_with_its_forms_and_escapes_its_text(client, office, plan_2019):
    t = Target.objects.get(indicator__plan__year=2019, indicator__code="51", direction="range")
    Target.objects.filter(pk=t.pk).update(
        name='<i>"覆盖率"</i>',
        value_min=Decimal("6.5"),
        value_max=Decimal("12"),
        quote="已不在原文里的一句",
        status=Target.Status.CONFIRMED,
        confirmed_by=office,
        confirmed_at=timezone.now(),
    )
    client.force_login(office)

    page = client.get(reverse("plans:targets", args=[2019])).content.decode()

    row = page[page.index(f'<tr id="target-{t.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "<i>" not in row and 'value="&lt;i&gt;&quot;覆盖率&quot;&lt;/i&gt;"' in row
    assert 'name="value_min" inputmode="decimal" value="6.5000"' in row
    assert 'name="value_max" inputmode="decimal" value="12"' in row
    assert 'name="value" inputmode="decimal" value=""' in row
    assert '<option value="range" selected>' in row
    assert "原文已改，请核对" in row and office.username in row
    # Confirmed: it can be deleted, restored or edited, not confirmed again.
    assert url("target_confirm", t) not in row
    assert url("target_delete", t) in row and url("target_restore", t) in row and url("target_edit", t) in row
    assert row.count('name="csrfmiddlewaretoken"') == 3
