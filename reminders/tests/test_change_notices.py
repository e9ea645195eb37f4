"""Changes reach the units (变更告知): a due date, text or units changed by a
re-import, an admin edit or an approved extension is a notice to each unit
concerned, with old → new, on the 提醒 page and in the next digest; a unit
removed from an indicator is told its task was withdrawn and its unsent
notices for it are cancelled."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains

from departments.models import Membership, Unit
from indicators.annex import parse_grid, read_grid
from indicators.models import Indicator
from indicators.services import annex_import
from indicators.tests import workbooks
from reminders.models import Reminder
from tasks import extensions
from tasks.models import Task

from .helpers import at, contact_of, sweep_at

pytestmark = pytest.mark.django_db

Reason = Reminder.Reason
JUNE_10 = at(2019, 6, 10, 10)


def reimport(edit, *, now=JUNE_10):
    """The 2019 annex imported again, with `edit(rows_by_code)` applied."""
    titles, rows = workbooks.original_rows()
    edit({str(row[0]).strip(): row for row in rows})
    with time_machine.travel(now, tick=False):
        report = annex_import(annex=parse_grid(read_grid(workbooks.build(rows, title_rows=titles))))
    assert report.ok, report.errors


def change_notices(**filters):
    return Reminder.objects.filter(reason__in=[Reason.CHANGED, Reason.WITHDRAWN], **filters).select_related(
        "unit"
    )


def lines_by_unit(**filters) -> dict[str, list[str]]:
    return {n.unit.name: n.change_lines() for n in change_notices(**filters)}


def test_it_creates_no_change_notice_when_a_plan_is_first_imported(plan_2019):
    assert not change_notices().exists()


def test_it_tells_every_unit_of_the_indicator_of_a_moved_due_date_once(plan_2019):
    def edit(rows):
        rows["1"][5] = "9月底"

    reimport(edit)

    units = set(Task.objects.filter(indicator__code="1", is_active=True).values_list("unit__name", flat=True))
    notices = list(change_notices())
    assert sorted(n.unit.name for n in notices) == sorted(units)  # one each, nobody else
    assert {n.reason for n in notices} == {Reason.CHANGED}
    assert {tuple(n.change_lines()) for n in notices} == {("完成时限：2019年7月31日 → 2019年9月30日",)}
    assert {n.due_date for n in notices} == {dt.date(2019, 9, 30)}
    # The same workbook again changes nothing, and tells nobody anything.
    reimport(edit, now=at(2019, 6, 11, 10))
    assert change_notices().count() == len(units)


def test_it_tells_the_units_of_a_new_task_text_with_the_old_one(plan_2019):
    old = Indicator.objects.get(plan=plan_2019, code="19").task_text

    reimport(lambda rows: rows["19"].__setitem__(2, "推进企业开办全流程一日办结。"))

    lines = lines_by_unit()
    assert set(lines) == {"区市场监管局", "区税务局", "区人力社保局"}
    assert lines["区税务局"] == ["任务内容已修改，现为：推进企业开办全流程一日办结。", f"原为：{old}"]


def test_it_tells_a_removed_unit_its_task_was_withdrawn_and_cancels_its_notices(
    plan_2019, django_capture_on_commit_callbacks
):
    social = Task.objects.get(indicator__code="19", unit__name="区人力社保局")
    waiting = Reminder.objects.create(
        task=social,
        unit=social.unit,
        reason=Reason.REPORT_MISSING,
        period="2019-06",
        due_date=social.due_date,
        remind_after=JUNE_10,
    )

    def edit(rows):
        rows["19"][4] = "区税务局、区医保分局"  # 区人力社保局 out, 区医保分局 in

    with django_capture_on_commit_callbacks(execute=True):
        reimport(edit)

    lines = lines_by_unit()
    assert lines == {
        "区人力社保局": ["本单位不再承担该项任务，任务已撤销；已报送的进展仍可查看。"],
        "区医保分局": ["本单位新承担该项任务，请按时报送进展。"],
        # The lead hears who came and went; the other partner is not told.
        "区市场监管局": ["承担单位变更：新增区医保分局，移除区人力社保局"],
    }
    assert change_notices(unit__name="区人力社保局").get().reason == Reason.WITHDRAWN
    waiting.refresh_from_db()
    assert (waiting.voided_at is not None, waiting.void_reason) == (True, "任务已停用")


def test_it_tells_the_units_of_an_indicator_edited_in_the_admin(client, admin_user, plan_2019):
    indicator = Indicator.objects.get(plan=plan_2019, code="19")
    links = list(indicator.indicator_units.order_by("pk"))
    form = {
        "plan": plan_2019.pk,
        "code": "19",
        "position": indicator.position,
        "category": indicator.category,
        "task_text": "推进企业开办全流程一日办结。",
        "deadline_label": "10月底",
        "due_date": "2019-10-31",
        "section": "",
        "indicator_units-TOTAL_FORMS": len(links),
        "indicator_units-INITIAL_FORMS": len(links),
    }
    for i, link in enumerate(links):
        form |= {
            f"indicator_units-{i}-id": link.pk,
            f"indicator_units-{i}-indicator": indicator.pk,
            f"indicator_units-{i}-unit": link.unit_id,
            f"indicator_units-{i}-role": link.role,
            f"indicator_units-{i}-position": link.position,
        }
    client.force_login(admin_user)

    response = client.post(f"/admin/indicators/indicator/{indicator.pk}/change/", form)

    assert response.status_code == 302
    lines = lines_by_unit()
    assert set(lines) == {"区市场监管局", "区税务局", "区人力社保局"}
    assert lines["区税务局"][:2] == [
        "完成时限：2019年12月31日 → 2019年10月31日",
        "任务内容已修改，现为：推进企业开办全流程一日办结。",
    ]


def test_it_tells_the_unit_of_a_task_edited_in_the_admin(client, admin_user, plan_2019):
    task = Task.objects.select_related("indicator", "unit").get(indicator__code="19", unit__name="区税务局")
    client.force_login(admin_user)
    form = {
        "indicator": task.indicator_id,
        "unit": task.unit_id,
        "role": task.role,
        "due_date": "2019-11-30",
        "is_active": "on",
    }

    response = client.post(f"/admin/tasks/task/{task.pk}/change/", form)

    assert response.status_code == 302
    assert lines_by_unit() == {"区税务局": ["完成时限：2019年12月31日 → 2019年11月30日"]}
    assert change_notices().get().changes["why"] == "edited"


def test_it_tells_the_unit_of_an_approved_extension(plan_2019, staff, office):
    task = Task.objects.get(indicator__code="8", unit__name="区数管局")
    request = extensions.extension_request_create(
        task=task, user=staff, requested_due_date=dt.date(2020, 1, 31), reason="等省里接口"
    )
    rejected_first = extensions.extension_decide(
        extension=request, user=office, approve=False, comment="请先报方案"
    )
    assert rejected_first.status == "rejected"
    assert not change_notices().exists()

    again = extensions.extension_request_create(
        task=task, user=staff, requested_due_date=dt.date(2020, 1, 31), reason="方案已报"
    )
    extensions.extension_decide(extension=again, user=office, approve=True, due_date=dt.date(2020, 1, 15))

    assert lines_by_unit() == {"区数管局": ["完成时限：2019年12月31日 → 2020年1月15日（延期申请已批准）"]}


def test_the_digest_says_what_changed_old_to_new_one_item_per_task(plan_2019, mailoutbox):
    tax = Unit.objects.get(name="区税务局")
    tax.contact_email = contact_of(tax)
    tax.save(update_fields=["contact_email"])
    reimport(lambda rows: rows["19"].__setitem__(5, "10月底"), now=at(2019, 6, 10, 10))
    reimport(lambda rows: rows["19"].__setitem__(5, "11月底"), now=at(2019, 6, 10, 11))

    sweep_at(at(2019, 6, 11))

    (message,) = [m for m in mail.outbox if contact_of(tax) in m.to]
    assert message.subject.endswith("任务有变更 1 项")  # two changes to one task
    body = message.body
    assert "【任务有变更】" in body
    assert body.count("指标 19") == 1  # two changes, one item
    assert (
        "· 完成时限：2019年12月31日 → 2019年10月31日\n   · 完成时限：2019年10月31日 → 2019年11月30日" in body
    )
    html = message.alternatives[0][0]
    assert "<li>完成时限：2019年12月31日 → 2019年10月31日</li>" in html
    assert set(change_notices(unit=tax).values_list("sent_at", flat=True)) != {None}


def test_a_withdrawn_notice_is_delivered_not_cancelled(plan_2019, mailoutbox):
    social = Unit.objects.get(name="区人力社保局")
    social.contact_email = contact_of(social)
    social.save(update_fields=["contact_email"])
    reimport(lambda rows: rows["19"].__setitem__(4, "区税务局"))

    sweep_at(at(2019, 6, 11))

    notice = change_notices(unit=social).get()
    assert (notice.voided_at, notice.sent_at is not None) == (None, True)
    (message,) = [m for m in mail.outbox if contact_of(social) in m.to]
    assert "【任务已撤销】" in message.body
    assert "本单位不再承担该项任务" in message.body


def test_the_notices_page_shows_old_to_new_in_constant_queries(
    client, plan_2019, django_assert_max_num_queries
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="tax", password="pw-tax-1234")
    Membership.objects.create(user=user, unit=Unit.objects.get(name="区税务局"))
    client.force_login(user)
    url = reverse("reminders:notices")

    def edit(month):
        return lambda rows: [rows[code].__setitem__(5, month) for code in ("18", "19", "28")]

    reimport(edit("11月底"), now=at(2019, 6, 10, 10))
    with time_machine.travel(at(2019, 6, 10, 12), tick=False), django_assert_max_num_queries(12) as few:
        response = client.get(url)
    assertContains(response, "完成时限：2019年12月31日 → 2019年11月30日")
    assertContains(response, "任务有变更", count=2)

    reimport(edit("10月底"), now=at(2019, 6, 10, 11))
    with time_machine.travel(at(2019, 6, 10, 12), tick=False), django_assert_max_num_queries(12) as more:
        response = client.get(url)
    assertContains(response, "完成时限：2019年11月30日 → 2019年10月31日")
    assert len(more.captured_queries) == len(few.captured_queries)
    # The unread badge counted them before the page marked them read.
    assert Reminder.objects.filter(unit__name="区税务局", read_at=None).count() == 0
