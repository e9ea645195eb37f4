"""Task.accepted_report_on: the day the report a verification accepted was
filed, which the overview's 按期 reads (dashboards.figures.on_time_q). The
review sets it; migration 0014 filled it in for tasks verified before."""

import datetime as dt
import importlib

import time_machine
from django.apps import apps

from tasks.models import Review, Task

from .helpers import SHANGHAI, report, review

fill = importlib.import_module("tasks.migrations.0014_accepted_report_on").fill


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def _verify_late(task, staff, office):
    """Completed once on 30 July, returned, completed again at 00:30 on
    1 August (Shanghai; still 31 July in UTC), verified on 5 August."""
    with time_machine.travel(at(2019, 7, 30, 10), tick=False):
        report(task, staff, status=Task.Status.COMPLETED, percent=100)
    with time_machine.travel(at(2019, 7, 31, 9), tick=False):
        review(task, office, Review.Decision.RETURNED, reason="补材料")
    with time_machine.travel(at(2019, 8, 1, 0, 30), tick=False):
        report(task, staff, status=Task.Status.COMPLETED, percent=100)
    with time_machine.travel(at(2019, 8, 5, 9), tick=False):
        review(task, office, Review.Decision.VERIFIED)


def test_the_verification_keeps_the_day_of_the_report_it_accepted(task_8, staff, office):
    _verify_late(task_8, staff, office)
    task_8.refresh_from_db()
    assert task_8.accepted_report_on == dt.date(2019, 8, 1)
    rows = task_8.history.filter(history_date__range=(at(2019, 7, 30), at(2019, 8, 6))).order_by(
        "history_date"
    )
    assert [(row.status, row.accepted_report_on) for row in rows] == [
        (Task.Status.COMPLETED, None),
        (Task.Status.RETURNED, None),
        (Task.Status.COMPLETED, None),
        (Task.Status.VERIFIED, dt.date(2019, 8, 1)),
    ]


def test_a_return_sets_no_day(task_8, staff, office):
    with time_machine.travel(at(2019, 7, 30, 10), tick=False):
        report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
        review(task_8, office, Review.Decision.RETURNED, reason="补材料")
    task_8.refresh_from_db()
    assert task_8.accepted_report_on is None


def test_the_migration_fills_in_tasks_verified_before_it(task_8, staff, office):
    _verify_late(task_8, staff, office)
    Task.objects.update(accepted_report_on=None)
    Task.history.model.objects.update(accepted_report_on=None)

    fill(apps, None)

    task_8.refresh_from_db()
    assert task_8.accepted_report_on == dt.date(2019, 8, 1)
    verified_rows = task_8.history.filter(status=Task.Status.VERIFIED)
    assert [row.accepted_report_on for row in verified_rows] == [dt.date(2019, 8, 1)]
    assert not task_8.history.exclude(status=Task.Status.VERIFIED).exclude(accepted_report_on=None).exists()
