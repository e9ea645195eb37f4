"""What the reminders hear from the work (tasks.signals): notices that no
longer apply are cancelled as soon as the report, the review or the plan
change is committed, not when their digest would have gone out; and the
task page carries 催办 for the reform office. Also: the jobs still answer to
their names from before the house move, and the old admin addresses of the
moved models lead to the new ones."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reminders import jobs
from reminders.models import Reminder
from tasks.models import Task
from tasks.services import task_sync_plan
from tasks.tests.helpers import report
from xsreform.celery import app

from .helpers import at, make_task, sweep_at

pytestmark = pytest.mark.django_db


def pending(task, reason) -> Reminder:
    return Reminder.objects.get(task=task, reason=reason)


def test_it_cancels_this_months_report_missing_notice_as_soon_as_the_unit_reports(
    units, staff, client, django_capture_on_commit_callbacks
):
    task = make_task(due=dt.date(2019, 12, 31))
    sweep_at(at(2019, 7, 26), deliver=False)
    assert pending(task, "report_missing").voided_at is None
    client.force_login(staff)
    with time_machine.travel(at(2019, 7, 26, 9), tick=False):
        assert "本月未报送进展" in client.get(reverse("reminders:notices")).content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            report(task, staff, percent=60)

        notice = pending(task, "report_missing")
        assert (notice.void_reason, notice.sent_at) == ("本月已报送", None)
        assert "本月未报送进展" not in client.get(reverse("reminders:notices")).content.decode()


def test_it_cancels_a_due_soon_notice_when_the_plan_moves_the_due_date(
    units, django_capture_on_commit_callbacks
):
    task = make_task(due=dt.date(2019, 7, 31))
    sweep_at(at(2019, 7, 25), deliver=False)
    indicator = task.indicator
    indicator.due_date = dt.date(2019, 9, 30)
    indicator.save()

    with (
        time_machine.travel(at(2019, 7, 25, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        task_sync_plan(plan=indicator.plan)

    assert Task.objects.get(pk=task.pk).due_date == dt.date(2019, 9, 30)
    assert pending(task, "due_soon").void_reason == "截止日期已调整"


def test_it_leaves_a_notice_that_went_out_as_it_was(
    units, staff, contacts, django_capture_on_commit_callbacks
):
    task = make_task(due=dt.date(2019, 12, 31))
    sweep_at(at(2019, 7, 26))  # delivered
    with (
        time_machine.travel(at(2019, 7, 26, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report(task, staff, percent=60)

    notice = pending(task, "report_missing")
    assert notice.sent_at is not None and notice.voided_at is None


def test_it_shows_remind_on_the_task_page_to_the_reform_office_only(units, staff, office, client):
    task = make_task(due=dt.date(2019, 12, 31))
    url = reverse("tasks:detail", args=[task.pk])
    client.force_login(office)
    assert 'id="remind"' in client.get(url).content.decode()
    client.force_login(staff)
    assert 'id="remind"' not in client.get(url).content.decode()


def test_it_runs_a_delivery_queued_under_its_name_from_before_the_move(units, contacts, mailoutbox):
    task = make_task(due=dt.date(2019, 6, 30))
    sweep_at(at(2019, 7, 1), deliver=False)

    app.tasks["tasks.jobs.reminders_deliver_unit"].apply(args=[task.unit_id])

    assert len(mailoutbox) == 1
    assert set(jobs.OLD_NAMES) <= set(app.tasks)


def test_it_sends_an_old_admin_address_of_a_moved_model_to_its_new_one(admin_user, client):
    client.force_login(admin_user)
    response = client.get("/admin/tasks/reminder/?reason__exact=overdue")
    assert response.status_code == 301
    assert response["Location"] == "/admin/reminders/reminder/?reason__exact=overdue"
    assert client.get(response["Location"]).status_code == 200
