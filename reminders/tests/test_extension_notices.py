"""An approved extension (延期申请) reaches the reminders: the notices about
the old due date are cancelled at once, exactly once however many sweeps
run, and the sweep plans the new date's notices."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from reminders.models import Reminder
from tasks import extensions
from tasks.models import Task

from .helpers import at, make_task, sweep_at

pytestmark = pytest.mark.django_db


def approve(task, staff, office, date):
    request = extensions.extension_request_create(
        task=task, user=staff, requested_due_date=date, reason="等省里接口"
    )
    return extensions.extension_decide(extension=request, user=office, approve=True)


def test_it_cancels_the_old_dates_notice_on_approval_and_plans_the_new_one(
    units, staff, office, django_capture_on_commit_callbacks
):
    task = make_task(due=dt.date(2019, 7, 31))
    sweep_at(at(2019, 7, 25), deliver=False)
    old = Reminder.objects.get(task=task, reason="due_soon")

    with (
        time_machine.travel(at(2019, 7, 25, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        approve(task, staff, office, dt.date(2019, 9, 30))

    old.refresh_from_db()
    assert (old.void_reason, old.sent_at) == ("截止日期已调整", None)
    # A sweep days before the new date plans its notice; the old one stays cancelled.
    sweep_at(at(2019, 9, 25), deliver=False)
    live = Reminder.objects.filter(task=task, reason="due_soon", voided_at=None)
    assert [reminder.due_date for reminder in live] == [dt.date(2019, 9, 30)]
    assert Task.objects.get(pk=task.pk).due_date == dt.date(2019, 9, 30)


@pytest.mark.django_db(transaction=True)
def test_it_cancels_once_under_two_sweeps_at_once(units, staff, office):
    """Approval commits before two sweeps start at the same moment: neither
    sends the old date's notice, and each due-soon notice for the new date
    exists once (the unique constraint and the sweep's lock)."""
    task = make_task(due=dt.date(2019, 7, 31))
    sweep_at(at(2019, 7, 25), deliver=False)
    with time_machine.travel(at(2019, 7, 25, 9), tick=False):
        approve(task, staff, office, dt.date(2019, 8, 2))

    errors = []

    def run():
        try:
            sweep_at(at(2019, 7, 29), deliver=False)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    notices = Reminder.objects.filter(task=task, reason="due_soon")
    assert sorted((n.due_date, n.voided_at is None) for n in notices) == [
        (dt.date(2019, 7, 31), False),
        (dt.date(2019, 8, 2), True),
    ]
    assert notices.get(due_date=dt.date(2019, 7, 31)).sent_at is None


@pytest.mark.django_db(transaction=True)
def test_the_unit_is_told_of_the_approval_once_under_two_sweeps_at_once(units, staff, office, mailoutbox):
    """The approval's notice (任务有变更, old → new) goes out in one digest,
    once, however many sweeps deliver at the same moment; the old date's
    notice goes nowhere."""
    task = make_task(due=dt.date(2019, 7, 31))
    task.unit.contact_email = "sgj@units.example.com"
    task.unit.save(update_fields=["contact_email"])
    sweep_at(at(2019, 7, 25), deliver=False)
    with time_machine.travel(at(2019, 7, 25, 9), tick=False):
        approve(task, staff, office, dt.date(2019, 9, 30))

    def run():
        try:
            sweep_at(at(2019, 7, 26))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    changed = Reminder.objects.get(task=task, reason="changed")
    assert changed.sent_at is not None
    told = [m for m in mailoutbox if "完成时限：2019年7月31日 → 2019年9月30日" in m.body]
    assert len(told) == 1
    assert "即将到期" not in told[0].subject
    assert Reminder.objects.get(task=task, reason="due_soon", due_date=dt.date(2019, 7, 31)).sent_at is None
