"""The Celery jobs (run eagerly with `apply`, no broker), the beat schedule
the migration creates, the retry budget and the `send_reminders` command."""

import datetime as dt
import logging
import socket

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from reminders import jobs, sweep
from reminders.models import Reminder, SweepRun
from xsreform.celery import app

from .helpers import at, make_task, notices

D = dt.date


def test_it_schedules_the_daily_and_the_month_end_sweeps_in_shanghai_time(db):
    tasks = {t.task + t.kwargs: t for t in PeriodicTask.objects.select_related("crontab")}
    daily = tasks['reminders.jobs.reminders_sweep{"month_end": false}']
    month_end = tasks['reminders.jobs.reminders_sweep{"month_end": true}']
    assert (daily.crontab.minute, daily.crontab.hour, daily.crontab.day_of_month) == ("30", "8", "*")
    assert (month_end.crontab.minute, month_end.crontab.hour, month_end.crontab.day_of_month) == (
        "10",
        "0",
        "1",
    )
    assert str(daily.crontab.timezone) == str(month_end.crontab.timezone) == "Asia/Shanghai"
    assert daily.enabled and month_end.enabled
    assert "reminders.jobs.reminders_sweep" in app.tasks
    assert app.conf.timezone == "Asia/Shanghai"


def test_it_acknowledges_the_jobs_late(db):
    for job in (
        jobs.reminders_sweep,
        jobs.reminders_deliver_unit,
        jobs.reminders_deliver_units,
        jobs.reminders_deliver_office,
    ):
        assert job.acks_late


def test_it_queues_one_delivery_per_batch_of_units_and_one_for_the_office(
    units, contacts, office, monkeypatch, django_capture_on_commit_callbacks
):
    make_task(due=D(2019, 6, 30), unit="区数管局", code="1")
    make_task(due=D(2019, 6, 30), unit="区数管局", code="2")
    make_task(due=D(2019, 6, 30), unit="区法院", code="3")
    queued = []
    monkeypatch.setattr(jobs.reminders_deliver_units, "delay", lambda *a, **k: queued.append(("units", a, k)))
    monkeypatch.setattr(
        jobs.reminders_deliver_office, "delay", lambda *a, **k: queued.append(("office", a, k))
    )

    with time_machine.travel(at(2019, 8, 1), tick=False), django_capture_on_commit_callbacks(execute=True):
        summary = jobs.reminders_sweep.apply(kwargs={"month_end": False}).get()

    assert summary["found"]["overdue"] == 3
    # No moment: a delivery sends what is due when it runs.
    unit_ids = sorted({r.unit_id for r in Reminder.objects.all()})
    assert sorted(queued) == [("office", (), {}), ("units", (unit_ids,), {})]
    assert summary["queued"] == 3
    assert not Reminder.objects.filter(sent_at__isnull=False).exists()  # delivery is the jobs' work


@pytest.fixture
def queued(monkeypatch):
    """Delivery jobs queued and not run yet (the workers are busy, or down):
    one ("unit", (unit id,), {}) per unit a batch job covers."""
    jobs_queued = []
    for kind, job in (("unit", jobs.reminders_deliver_unit), ("office", jobs.reminders_deliver_office)):
        monkeypatch.setattr(job, "delay", lambda *a, kind=kind, **k: jobs_queued.append((kind, a, k)))
    monkeypatch.setattr(
        jobs.reminders_deliver_units,
        "delay",
        lambda unit_ids: jobs_queued.extend(("unit", (unit_id,), {}) for unit_id in unit_ids),
    )
    return jobs_queued


def test_it_queues_one_delivery_per_unit_for_a_backlog_of_97_copies_of_a_sweep(
    plan_2019, contacts, office, queued, django_capture_on_commit_callbacks
):
    for _ in range(97):  # beat's triggers queued while the workers were down
        with (
            time_machine.travel(at(2019, 8, 1), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            jobs.reminders_sweep.apply()

    units = set(Reminder.objects.to_units().values_list("unit_id", flat=True))
    print(f"97 queued sweeps → {len(queued)} delivery jobs for {len(units)} units and the office")
    assert sorted(args for kind, args, _ in queued if kind == "unit") == sorted((unit,) for unit in units)
    assert [kind for kind, *_ in queued].count("office") == 1
    (run,) = SweepRun.objects.all()
    assert (run.kind, run.period, run.recorded["overdue"]) == (
        "daily",
        D(2019, 8, 1),
        Reminder.objects.filter(reason="overdue").count(),
    )


def test_it_queues_deliveries_only_for_units_whose_pending_notices_no_queued_delivery_covers(
    units, contacts, queued, django_capture_on_commit_callbacks, settings
):
    settings.REMINDER_CLAIM_TIMEOUT_SECONDS = 24 * 3600  # a queued job counts as on its way for a day
    june = make_task(due=D(2019, 6, 30), unit="区数管局", code="1")
    july = make_task(due=D(2019, 7, 31), unit="区法院", code="2")

    def run(moment, job, **kwargs):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            return job.apply(kwargs=kwargs).get()

    run(at(2019, 7, 31), jobs.reminders_sweep)  # June's overdue, July's due soon
    run(at(2019, 8, 1, 0, 10), jobs.reminders_sweep, month_end=True)  # July's overdue: new for 区法院 only
    run(at(2019, 8, 1, 0, 15), jobs.reminders_retry)  # their jobs are still queued: nothing

    sweep_31_july = [("unit", (june.unit_id,)), ("unit", (july.unit_id,)), ("office", ())]  # June's escalated
    assert [(kind, args) for kind, args, _ in queued] == [*sweep_31_july, ("unit", (july.unit_id,))]
    # Jobs lost with the broker: the retry run queues them again once the claim timeout has passed.
    queued.clear()
    run(at(2019, 8, 1, 8, 29), jobs.reminders_retry)
    assert queued == []
    run(at(2019, 8, 1, 8, 31), jobs.reminders_retry)
    assert sorted((kind, args) for kind, args, _ in queued) == sorted(sweep_31_july)


def test_it_sends_the_current_digest_from_a_delivery_job_queued_before_an_outage(
    units, contacts, queued, django_capture_on_commit_callbacks
):
    task = make_task(due=D(2019, 7, 31))
    with time_machine.travel(at(2019, 7, 24), tick=False), django_capture_on_commit_callbacks(execute=True):
        jobs.reminders_sweep.apply()  # due soon; its delivery queued, then the workers went down
    ((_, stale_args, _),) = queued
    queued.clear()

    # Back after three months: the job queued in July runs first (as queued
    # by the previous version, with its moment), then the catch-up sweep.
    with time_machine.travel(at(2019, 10, 8), tick=False):
        jobs.reminders_deliver_unit.apply(args=stale_args, kwargs={"as_of": at(2019, 7, 24).isoformat()})
        with django_capture_on_commit_callbacks(execute=True):
            jobs.reminders_sweep.apply()
        for _, args, kwargs in queued:
            jobs.reminders_deliver_unit.apply(args=args, kwargs=kwargs)

    (message,) = mail.outbox
    assert message.subject.strip() == "【改革任务提醒】区数管局：已逾期 1 项"
    assert "截至2019年10月8日" in message.body
    assert "2019年7月24日" not in message.body
    assert Reminder.objects.get(task=task, reason="due_soon").void_reason == "已过截止日期"


def test_it_does_nothing_on_a_day_off(units, contacts, monkeypatch):
    make_task(due=D(2019, 6, 30))
    monkeypatch.setattr(jobs, "queue_deliveries", lambda **k: pytest.fail("queued on a day off"))
    with time_machine.travel(at(2019, 10, 2), tick=False):
        assert jobs.reminders_sweep.apply().get()["skipped"] == "not a working day"
    assert notices() == []


def test_it_retries_a_refused_digest_from_the_database_with_growing_waits_and_sends_it_once(
    units, contacts, flaky_mail, caplog, eager, django_capture_on_commit_callbacks
):
    task = make_task(due=D(2019, 7, 31))
    start = at(2019, 8, 1, 0, 10)
    flaky_mail.failures = 2

    def at_moment(seconds, job, **kwargs):
        with (
            time_machine.travel(start + dt.timedelta(seconds=seconds), tick=False),
            django_capture_on_commit_callbacks(execute=True),
            caplog.at_level(logging.WARNING, logger="reminders.jobs"),
        ):
            return job.apply(kwargs=kwargs).get()

    assert at_moment(0, jobs.reminders_sweep, month_end=True)["queued"] == 1  # refused
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    assert reminder.retry_after == start + dt.timedelta(seconds=60)
    assert at_moment(59, jobs.reminders_retry) == 0
    assert at_moment(60, jobs.reminders_retry) == 1  # refused again
    reminder.refresh_from_db()
    assert reminder.retry_after == start + dt.timedelta(seconds=60 + 120)
    assert at_moment(179, jobs.reminders_retry) == 0
    assert at_moment(180, jobs.reminders_retry) == 1  # accepted
    assert at_moment(600, jobs.reminders_retry) == 0

    assert len(mail.outbox) == 1
    retries = [r.getMessage().split("; ")[1] for r in caplog.records if r.name == "reminders.jobs"]
    assert retries == ["retry 1 in 60 s", "retry 2 in 120 s"]
    reminder.refresh_from_db()
    assert (reminder.attempts, reminder.last_error) == (3, "")
    assert reminder.sent_at is not None


def test_it_leaves_a_digest_refused_for_good_to_the_next_sweep_and_not_to_the_retry_run(
    units, contacts, flaky_mail, eager, django_capture_on_commit_callbacks
):
    """A 5xx is not retried every few minutes: the retry run leaves it, and
    each sweep looks once, in case the unit's addresses changed."""
    task = make_task(due=D(2019, 7, 31))
    start = at(2019, 8, 1, 0, 10)
    flaky_mail.failures, flaky_mail.code, flaky_mail.reply = 99, 550, b"5.1.1 no such user"

    def at_moment(seconds, job, **kwargs):
        with (
            time_machine.travel(start + dt.timedelta(seconds=seconds), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return job.apply(kwargs=kwargs).get()

    assert at_moment(0, jobs.reminders_sweep, month_end=True)["queued"] == 1
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    assert reminder.status() == "refused"
    hour = 3600
    assert [at_moment(hour * n, jobs.reminders_retry) for n in (1, 2, 3)] == [0, 0, 0]
    assert at_moment(8 * hour + 20 * 60, jobs.reminders_sweep)["queued"] == 1  # 08:30: looks once
    assert flaky_mail.failures == 98  # one attempt: the sweep looked and sent nothing to the same addresses
    assert mail.outbox == []
    reminder.refresh_from_db()
    assert reminder.status() == "refused"


def test_it_holds_no_retry_in_the_worker(units, contacts, flaky_mail, monkeypatch):
    """A countdown retry is a message the worker holds unacknowledged; kombu
    5.7.0 crashed the worker on it when Redis restarted. The job ends."""
    task = make_task(due=D(2019, 7, 31))
    flaky_mail.failures = 1
    job = jobs.reminders_deliver_unit._get_current_object()
    monkeypatch.setattr(job, "retry", lambda *a, **k: pytest.fail("retried with a countdown"))
    with time_machine.travel(at(2019, 8, 1, 0, 10), tick=False):
        sweep.find_overdue(now=at(2019, 8, 1, 0, 10))
        result = jobs.reminders_deliver_unit.apply(args=[task.unit_id])

    assert result.successful()
    reminder = Reminder.objects.get(period="2019-07-31#0")
    assert reminder.sent_at is None
    assert reminder.retry_after == at(2019, 8, 1, 0, 11)


def test_it_gives_up_after_the_last_retry_and_the_next_sweep_sends_it(
    units, contacts, flaky_mail, caplog, eager, django_capture_on_commit_callbacks
):
    make_task(due=D(2019, 7, 31))
    flaky_mail.failures = settings.REMINDER_MAIL_RETRIES + 1
    moment = at(2019, 8, 1, 0, 10)

    def run(job, **kwargs):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            return job.apply(kwargs=kwargs).get()

    run(jobs.reminders_sweep, month_end=True)
    waits = []
    reminder = Reminder.objects.get(period="2019-07-31#0")
    while reminder.retry_after:
        waits.append((reminder.retry_after - moment).total_seconds())
        moment = reminder.retry_after
        assert run(jobs.reminders_retry) == 1
        reminder.refresh_from_db()

    assert waits == [60, 120, 240, 480]
    assert "giving up until the next sweep" in caplog.text
    assert (reminder.sent_at, reminder.claimed_at) == (None, None)
    assert reminder.attempts == settings.REMINDER_MAIL_RETRIES + 1
    assert mail.outbox == []
    moment += dt.timedelta(hours=1)
    assert run(jobs.reminders_retry) == 0  # left for the next sweep, not stranded:
    moment = at(2019, 8, 1, 8, 30)
    assert run(jobs.reminders_sweep)["queued"] >= 1
    reminder.refresh_from_db()
    assert reminder.sent_at is not None
    assert len(mail.outbox) == 1


# The command


def test_it_runs_the_sweep_by_hand_as_of_a_date(units, contacts, capsys, mailoutbox):
    make_task(due=D(2019, 7, 31))
    with time_machine.travel(at(2026, 1, 5), tick=False):
        call_command("send_reminders", "--as-of", "2019-08-01")
    out = capsys.readouterr().out
    assert "daily sweep as of 2019-08-01 08:30 (Asia/Shanghai)" in out
    assert "new notices: overdue 1, due_soon 0, report_missing 0, escalation 0" in out
    assert "sent to 区数管局 <unit-" in out
    assert "overdue" in out and "2019-07-31" in out
    assert "1 digest(s) sent, 0 failed" in out
    assert len(mailoutbox) == 1


def test_it_shows_what_a_dry_run_would_send_and_sends_nothing(units, contacts, capsys, mailoutbox):
    make_task(due=D(2019, 7, 31))
    call_command("send_reminders", "--as-of", "2019-08-01T00:10", "--month-end", "--dry-run")
    out = capsys.readouterr().out
    assert "month-end sweep as of 2019-08-01 00:10 (Asia/Shanghai) — dry run" in out
    assert "would send to 区数管局" in out
    assert mailoutbox == []
    assert not Reminder.objects.exists()


def test_it_says_when_a_day_is_off_and_runs_anyway_when_told(units, contacts, capsys):
    make_task(due=D(2019, 7, 31))
    call_command("send_reminders", "--as-of", "2019-10-01")
    assert "skipped: not a working day" in capsys.readouterr().out
    call_command("send_reminders", "--as-of", "2019-10-01", "--any-day")
    assert "2 digest(s) sent" in capsys.readouterr().out  # the unit's, and the escalation


def test_it_fails_loudly_when_a_digest_could_not_be_sent(units, contacts, flaky_mail, capsys):
    make_task(due=D(2019, 7, 31))
    flaky_mail.failures = 1
    with pytest.raises(CommandError, match="1 digest"):
        call_command("send_reminders", "--as-of", "2019-08-01")
    assert "not sent (left for the next sweep): 区数管局: SMTPDataError" in capsys.readouterr().err


def test_it_refuses_a_date_it_cannot_read(db):
    with pytest.raises(CommandError, match="not a date"):
        call_command("send_reminders", "--as-of", "1 August")


def test_it_warns_about_a_year_without_a_holiday_calendar(units, contacts, capsys):
    call_command("send_reminders", "--as-of", "2099-01-02")
    assert "warning: no holiday calendar for 2099" in capsys.readouterr().err


def test_it_runs_the_sweep_by_hand_with_the_databases_lock_when_redis_is_down(
    units, contacts, capsys, mailoutbox, settings, caplog
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        settings.REDIS_URL = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    task = make_task(due=D(2019, 7, 31))

    call_command("send_reminders", "--as-of", "2019-08-01")

    assert "1 digest(s) sent, 0 failed" in capsys.readouterr().out
    assert "Redis is unavailable" in caplog.text
    assert Reminder.objects.get(task=task, period="2019-07-31#0").sent_at is not None
    assert len(mailoutbox) == 1
