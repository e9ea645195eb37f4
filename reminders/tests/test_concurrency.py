"""Sweeps and deliveries at the same moment, in threads with their own
PostgreSQL connections, committing for real (transaction=True)."""

import contextlib
import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection

from reminders import delivery, lock, sweep
from reminders.models import Reminder

from .helpers import at, make_task

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count: int, work) -> list:
    """Run `work` in `count` threads released together; each thread has its
    own database connection, closed at the end."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    return results


@pytest.fixture
def no_lock(monkeypatch):
    """Without the sweep lock, so that only the database stands between two sweeps."""

    @contextlib.contextmanager
    def unlocked():
        yield True

    monkeypatch.setattr(sweep, "sweep_lock", unlocked)


def test_it_sends_no_duplicate_when_two_sweeps_run_at_once(plan_2019, contacts, office, mailoutbox, no_lock):
    with time_machine.travel(at(2019, 7, 31), tick=False):
        results = in_threads(2, lambda: sweep.run())

    assert all(r.ran for r in results)
    recipients = Counter(tuple(m.to) for m in mailoutbox)
    assert recipients and max(recipients.values()) == 1, recipients
    assert len(mailoutbox) == sum(len(r.digests) for r in results)
    # Every notice recorded once, sent once, claimed once.
    keys = Counter(Reminder.objects.values_list("task_id", "reason", "period"))
    assert max(keys.values()) == 1
    issued = Reminder.objects.filter(remind_after__lte=at(2019, 7, 31))
    assert not issued.filter(sent_at=None).exists()
    assert set(issued.values_list("attempts", flat=True)) == {1}
    assert sum(len(d.reminders) for r in results for d in r.digests) == issued.count()


def test_it_lets_one_of_two_sweeps_run_while_the_other_waits_its_turn(
    plan_2019, contacts, office, mailoutbox
):
    with time_machine.travel(at(2019, 7, 31), tick=False):
        results = in_threads(2, lambda: sweep.run())

    # Either the second found the lock held, or it ran after the first and
    # found nothing left to do.
    assert sorted(bool(r.digests) for r in results) == [False, True]
    assert {r.skipped for r in results if not r.digests} <= {"", "another sweep is running"}
    assert Counter(tuple(m.to) for m in mailoutbox).most_common(1)[0][1] == 1


class WaitingBackend(EmailBackend):
    """Holds the first send until the other delivery has come and gone."""

    other_done = threading.Event()

    def send_messages(self, messages):
        assert WaitingBackend.other_done.wait(timeout=30)
        return super().send_messages(messages)


def test_it_sends_one_digest_when_two_deliveries_for_a_unit_run_at_once(
    units, contacts, settings, mailoutbox
):
    settings.EMAIL_BACKEND = "reminders.tests.test_concurrency.WaitingBackend"
    WaitingBackend.other_done.clear()
    task = make_task(due=dt.date(2019, 7, 31))
    moment = at(2019, 8, 1, 0, 10)
    sweep.find_overdue(now=moment)

    def deliver():
        digest = delivery.deliver_unit(unit_id=task.unit_id, now=moment)
        if digest is None:
            WaitingBackend.other_done.set()
        return digest

    with time_machine.travel(moment, tick=False):
        digests = in_threads(2, deliver)

    assert sorted(d is None for d in digests) == [False, True]
    assert len(mail.outbox) == 1
    reminder = Reminder.objects.get(period="2019-07-31#0")
    assert reminder.attempts == 1
    assert reminder.sent_at is not None


def test_it_holds_a_postgresql_advisory_lock_when_there_is_no_redis(db, settings):
    settings.REDIS_URL = ""
    seen_from_another_connection = []

    def try_lock():
        with lock.sweep_lock() as held:
            seen_from_another_connection.append(held)

    with lock.sweep_lock() as held:
        assert held
        in_threads(1, try_lock)
    in_threads(1, try_lock)

    assert seen_from_another_connection == [False, True]


def test_it_records_a_notice_that_applies_again_once_when_two_sweeps_run_at_once(units, contacts, no_lock):
    task = make_task(due=dt.date(2019, 7, 31))
    Reminder.objects.create(  # voided on the 25th: the due date had moved; it moved back since
        task=task,
        unit=task.unit,
        reason=Reminder.Reason.DUE_SOON,
        period="2019-07-31",
        due_date=dt.date(2019, 7, 31),
        remind_after=at(2019, 7, 24),
        voided_at=at(2019, 7, 25),
        void_reason="截止日期已调整",
    )

    with time_machine.travel(at(2019, 7, 26), tick=False):
        results = in_threads(2, lambda: sweep.run(deliver=False))

    live = Reminder.objects.filter(task=task, reason="due_soon", voided_at=None)
    assert list(live.values_list("period", flat=True)) == ["2019-07-31"]
    assert sorted(r.found["due_soon"] for r in results) == [0, 1]


def test_it_counts_the_notices_it_inserted_not_those_it_found_when_two_sweeps_run_at_once(
    plan_2019, contacts, no_lock
):
    """The daily and the month-end sweep at the same moment both look for
    overdue items; each reports the rows it inserted, so together they
    report each notice once."""
    kinds = [True, False]  # month end, daily
    with time_machine.travel(at(2019, 8, 1), tick=False):
        results = in_threads(2, lambda: sweep.run(month_end=kinds.pop(), deliver=False))

    assert sorted(r.month_end for r in results) == [False, True]
    recorded = Reminder.objects.filter(reason="overdue").count()
    assert recorded > 100
    assert sum(r.found["overdue"] for r in results) == recorded
