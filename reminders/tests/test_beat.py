"""Beat's scheduler (settings.CELERY_BEAT_SCHEDULER) with the schedule the
migrations create, driven tick by tick under frozen time: when does the
sweep fire after beat was down?"""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
import time_machine
from celery.app.task import Task as CeleryTask
from celery.utils.imports import symbol_by_name
from django.apps import apps
from django.db import connection
from django_celery_beat.models import PeriodicTask

from reminders import jobs
from xsreform.celery import app

from .helpers import at

pytestmark = pytest.mark.django_db(transaction=True)  # the scheduler commits and closes connections

DAILY = '{"month_end": false}'
MONTH_END = '{"month_end": true}'


@pytest.fixture
def schedule():
    """The schedule the migrations make — tasks/0004 and 0006, renamed by
    reminders/0003 — (a flush by an earlier transactional test removes it),
    the retry run left out."""
    for name, function in (
        ("tasks.migrations.0004_reminder_schedule", "create_schedule"),
        ("tasks.migrations.0006_reminder_sweep", "create_retry_run"),
        ("reminders.migrations.0003_beat_task_names", "rename"),
    ):
        getattr(importlib.import_module(name), function)(apps, SimpleNamespace(connection=connection))
    PeriodicTask.objects.filter(task="reminders.jobs.reminders_retry").update(enabled=False)


def last_run(kwargs: str, moment: dt.datetime) -> None:
    PeriodicTask.objects.filter(task="reminders.jobs.reminders_sweep", kwargs=kwargs).update(
        last_run_at=moment
    )


def run_beat(start: dt.datetime, until: dt.datetime, monkeypatch) -> list[tuple[dt.datetime, str]]:
    """Start beat at `start` and let it run until `until`: (moment, kwargs)
    of each sweep it sends."""
    sent = []

    def apply_async(task, args=None, kwargs=None, **options):
        if task.name == jobs.reminders_sweep.name:
            sent.append((dt.datetime.now(tz=start.tzinfo), "month_end" if kwargs["month_end"] else "daily"))

    monkeypatch.setattr(CeleryTask, "apply_async", apply_async)
    scheduler_class = symbol_by_name(app.conf.beat_scheduler)
    monkeypatch.setattr(scheduler_class, "producer", None)  # no broker
    monkeypatch.setattr(scheduler_class, "send_task", lambda *a, **k: pytest.fail(f"unknown task: {a}"))
    with time_machine.travel(start, tick=False) as clock:
        scheduler = scheduler_class(app=app, max_interval=300)
        try:
            while dt.datetime.now(tz=start.tzinfo) < until:
                delay = scheduler.tick()
                clock.shift(dt.timedelta(seconds=max(delay, 0.001)))
        finally:
            scheduler._finalize.cancel()
    return [(moment.replace(second=0, microsecond=0), kind) for moment, kind in sent]


def test_it_runs_the_missed_daily_sweep_at_0830_when_beat_starts_in_the_early_morning(schedule, monkeypatch):
    last_run(DAILY, at(2026, 9, 14))  # beat down on the 15th
    last_run(MONTH_END, at(2026, 9, 1, 0, 10))

    sent = run_beat(at(2026, 9, 16, 6, 5), at(2026, 9, 17, 12, 0), monkeypatch)

    assert sent == [(at(2026, 9, 16), "daily"), (at(2026, 9, 17), "daily")]


def test_it_runs_the_missed_daily_sweep_at_start_when_beat_starts_after_0830(schedule, monkeypatch):
    last_run(DAILY, at(2026, 9, 14))
    last_run(MONTH_END, at(2026, 9, 1, 0, 10))

    sent = run_beat(at(2026, 9, 16, 14, 44), at(2026, 9, 17, 12, 0), monkeypatch)

    assert sent == [(at(2026, 9, 16, 14, 44), "daily"), (at(2026, 9, 17), "daily")]


def test_it_runs_a_missed_month_end_sweep_at_start_and_todays_at_0010(schedule, monkeypatch):
    last_run(DAILY, at(2026, 8, 28))
    last_run(MONTH_END, at(2026, 8, 1, 0, 10))  # September's did not run: beat was down

    sent = run_beat(at(2026, 9, 3, 10, 0), at(2026, 9, 3, 12, 0), monkeypatch)

    assert sorted(sent) == [(at(2026, 9, 3, 10, 0), "daily"), (at(2026, 9, 3, 10, 0), "month_end")]

    last_run(DAILY, at(2026, 9, 29))
    last_run(MONTH_END, at(2026, 9, 3, 10, 0))
    sent = run_beat(at(2026, 10, 1, 0, 5), at(2026, 10, 1, 9, 0), monkeypatch)

    assert sent == [(at(2026, 10, 1, 0, 10), "month_end"), (at(2026, 10, 1), "daily")]


def test_it_keeps_the_schedule_when_beat_was_not_down(schedule, monkeypatch):
    last_run(DAILY, at(2026, 9, 28))
    last_run(MONTH_END, at(2026, 9, 1, 0, 10))

    sent = run_beat(at(2026, 9, 28, 9, 0), at(2026, 10, 2, 9, 0), monkeypatch)

    days = [moment.date() for moment, kind in sent if kind == "daily"]
    assert days == [dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 1), dt.date(2026, 10, 2)]
    assert {moment.time() for moment, kind in sent if kind == "daily"} == {dt.time(8, 30)}
    assert [moment for moment, kind in sent if kind == "month_end"] == [at(2026, 10, 1, 0, 10)]
