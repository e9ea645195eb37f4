"""Notices about a plan rather than a task: 计划已通过执行 to each unit with
a task, and the weekly report of unowned work to the reform office. Recorded
once by the database (a second unique constraint for notices with no task),
shown on the notices page and in the log with a link to the plan."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from conftest import ANNEX_XLSX
from departments.models import Unit
from indicators.annex import parse_grid, read_grid
from indicators.models import Plan
from indicators.selectors import plan_unowned
from indicators.services import annex_import, plan_adopt
from reminders import services, sweep
from reminders.models import Reminder
from tasks.models import Task

from .helpers import at, sweep_at

Reason = Reminder.Reason


@pytest.fixture
def draft_2019(units):
    assert annex_import(annex=parse_grid(read_grid(ANNEX_XLSX.read_bytes())), draft=True).ok
    return Plan.objects.get(year=2019)


def test_it_tells_every_unit_with_a_task_once_when_the_plan_is_adopted(
    draft_2019, office, contacts, mailoutbox, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan_adopt(plan=draft_2019, user=office)

    units = set(Task.objects.for_plan(draft_2019).values_list("unit_id", flat=True))
    notices = Reminder.objects.filter(reason=Reason.PLAN_ADOPTED)
    assert sorted(notices.values_list("unit_id", flat=True)) == sorted(units)
    assert {(n.plan_id, n.period, n.task_id) for n in notices} == {(draft_2019.pk, "2019", None)}
    assert len(mailoutbox) == len(units)
    assert "计划已通过执行" in mailoutbox[0].subject
    assert "计划已通过执行，贵单位的任务已生成" in mailoutbox[0].body

    # Told again (a second receiver, a retried job): nothing new.
    assert services.notices_plan_adopted(plan=draft_2019) == 0
    assert notices.count() == len(units)


def test_it_keeps_a_unit_notice_about_a_plan_once_in_the_database(plan_2019):
    unit = Unit.objects.get(name="区数管局")
    fields = {"plan": plan_2019, "unit": unit, "reason": Reason.PLAN_ADOPTED, "period": "2019"}
    Reminder.objects.create(remind_after=at(2019, 3, 1), **fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(remind_after=at(2019, 3, 2), **fields)


def test_it_keeps_an_office_notice_about_a_plan_once_in_the_database(plan_2019):
    fields = {"plan": plan_2019, "reason": Reason.UNOWNED, "period": "2019/2019-W36"}
    Reminder.objects.create(remind_after=at(2019, 9, 2), **fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(remind_after=at(2019, 9, 3), **fields)


def test_it_finds_the_2019_plans_unowned_work(plan_2019):
    unowned = plan_unowned(plan=plan_2019)

    assert [i.code for i in unowned.indicators] == ["5"]
    groups = {item.group.name: item.codes for item in unowned.groups}
    assert groups  # the towns' and streets' groups have no members until an admin lists them
    assert all(codes for codes in groups.values())
    assert unowned.summary().startswith("指标 5 没有任何承接单位")


def test_it_reports_unowned_work_to_the_office_once_a_week(plan_2019, office, mailoutbox):
    first = sweep_at(at(2019, 9, 2))  # a Monday
    again = sweep_at(at(2019, 9, 3))
    next_week = sweep_at(at(2019, 9, 9))

    assert (first.found["unowned"], again.found["unowned"], next_week.found["unowned"]) == (1, 0, 1)
    notices = Reminder.objects.filter(reason=Reason.UNOWNED).order_by("pk")
    assert [n.period for n in notices] == ["2019/2019-W36", "2019/2019-W37"]
    assert all(n.unit_id is None and n.plan_id == plan_2019.pk for n in notices)
    office_mail = [m for m in mailoutbox if m.to == [office.email]]
    assert "无人承接的工作" in office_mail[0].subject
    assert "指标 5 没有任何承接单位" in office_mail[0].body


def test_it_stops_reporting_unowned_work_once_it_is_fixed(plan_2019):
    Plan.objects.filter(pk=plan_2019.pk).update(status=Plan.Status.CLOSED)

    assert sweep.find_unowned(now=at(2019, 9, 2)) == 0


def test_it_lists_a_plan_notice_on_the_units_notices_page_with_a_link(
    draft_2019, staff, office, client, django_capture_on_commit_callbacks, eager, contacts
):
    with django_capture_on_commit_callbacks(execute=True):
        plan_adopt(plan=draft_2019, user=office)
    client.force_login(staff)

    page = client.get(reverse("reminders:notices")).content.decode()

    assert "计划已通过执行" in page
    assert f"{reverse('tasks:mine')}?plan=2019" in page


def test_it_lists_office_notices_in_the_notice_log(plan_2019, office, client, django_assert_max_num_queries):
    sweep_at(at(2019, 9, 2), deliver=False)
    client.force_login(office)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("reminders:notice_log"), {"reason": "unowned"}).content.decode()

    assert "指标 5 没有任何承接单位" in page
    assert reverse("plans:detail", args=[2019]) in page
