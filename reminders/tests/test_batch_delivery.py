"""The sweep's delivery jobs: a batch of units' digests over one SMTP
connection (reminders.delivery.deliver_units), each digest still claimed,
marked "sending" and "sent" on its own; a batch stopped by a failure leaves
the units after it for the retry run."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.conf import settings

from departments.models import Unit
from reminders import delivery, jobs, sweep
from reminders.models import Reminder

from .helpers import at, make_task

MOMENT = at(2019, 8, 1, 0, 10)
UNITS = ["区数管局", "区发改局", "区住建局", "区市场监管局"]


@pytest.fixture
def overdue(units, contacts):
    """One overdue notice for each of UNITS; their unit ids, in order."""
    for code, name in enumerate(UNITS, start=1):
        make_task(due=dt.date(2019, 7, 31), unit=name, code=str(code))
    sweep.find_overdue(now=MOMENT)
    return [Unit.objects.get(name=name).pk for name in UNITS]


@pytest.fixture
def server(settings, smtp, mailbox):
    """Mail through SMTPBackend to the test server, with timeouts of a second."""
    _, port = smtp
    settings.EMAIL_BACKEND = "reminders.mail.SMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_TIMEOUT, settings.EMAIL_DATA_TIMEOUT = 1, 1
    return mailbox


def deliver(unit_ids, moment=MOMENT):
    with time_machine.travel(moment, tick=False):
        return delivery.deliver_units(unit_ids=unit_ids, now=moment)


def status_of(unit_id) -> str:
    (reminder,) = Reminder.objects.filter(unit_id=unit_id, remind_after__lte=MOMENT)
    return reminder.status()


@pytest.mark.integration
def test_it_sends_a_batch_of_digests_once_each_over_one_connection(server, overdue):
    batch = deliver(overdue)

    assert [d.outcome for d in batch.digests] == ["sent"] * len(UNITS)
    assert (batch.failure, batch.left) == (None, [])
    assert server.connections == 1
    ids = [m["Message-ID"].strip() for m in server.messages]
    assert len(ids) == len(set(ids)) == len(UNITS)
    assert sorted(ids) == sorted(Reminder.objects.exclude(sent_at=None).values_list("message_id", flat=True))
    assert [status_of(pk) for pk in overdue] == ["sent"] * len(UNITS)
    # Nothing left to send: the same batch again sends nothing.
    assert deliver(overdue).digests == []
    assert len(server.messages) == len(UNITS)


@pytest.mark.integration
def test_it_stops_a_batch_where_the_server_hangs_up_and_retries_the_rest(server, overdue):
    server.hangup = 2  # the second digest's body goes out, and no reply comes

    with time_machine.travel(MOMENT, tick=False):
        jobs.reminders_deliver_units(overdue)

    assert len(server.messages) == 1
    first, second, *rest = overdue
    assert status_of(first) == "sent"
    # The server may have it: never sent again by itself (the office may re-send it).
    assert status_of(second) == "unconfirmed"
    # Not attempted: pending, unclaimed, due for the retry run.
    retry = MOMENT + dt.timedelta(seconds=settings.REMINDER_MAIL_RETRY_SECONDS)
    for reminder in Reminder.objects.filter(unit_id__in=rest, remind_after__lte=MOMENT):
        assert (reminder.status(), reminder.claim_token, reminder.attempts) == ("pending", None, 0)
        assert reminder.retry_after == retry

    later = retry + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert jobs.queue_deliveries(now=later, retries_only=True) == len(rest)
        batch = delivery.deliver_units(unit_ids=overdue, now=later)

    assert [d.unit.pk for d in batch.digests] == rest
    assert len(server.messages) == 1 + len(rest)
    assert [status_of(pk) for pk in overdue] == ["sent", "unconfirmed", "sent", "sent"]


@pytest.mark.integration
def test_it_stops_a_batch_at_a_refusal_for_now_and_leaves_that_digest_pending(server, overdue):
    server.refuse = 1  # 451 to the first message

    batch = deliver(overdue)

    assert batch.digests == []
    assert batch.failure.retryable and batch.failure.digest.unit.pk == overdue[0]
    assert batch.left == overdue[1:]
    assert server.messages == []
    assert [status_of(pk) for pk in overdue] == ["failed", "pending", "pending", "pending"]
    assert not Reminder.objects.exclude(claim_token=None).exists()


@pytest.mark.integration
def test_it_goes_on_after_a_digest_refused_for_good(server, overdue):
    server.refuse_rcpt = {f"unit-{overdue[0]}@units.example.com": "550 5.1.1 No such user"}

    batch = deliver(overdue)

    assert [d.outcome for d in batch.digests] == ["refused", "sent", "sent", "sent"]
    assert server.connections == 1
    assert len(server.messages) == len(UNITS) - 1
    # The next batch claims the refused notice, sees the same addresses, and lets it go.
    assert deliver(overdue).digests == []
    (refused,) = Reminder.objects.filter(unit_id=overdue[0], remind_after__lte=MOMENT)
    assert (refused.status(), refused.claim_token, refused.claimed_at, refused.attempts) == (
        "refused",
        None,
        None,
        1,
    )
    assert len(server.messages) == len(UNITS) - 1


def test_it_reads_a_few_queries_per_digest(overdue, mailoutbox, django_assert_max_num_queries):
    """ "Sending", "sent" and the overdue repeat: three statements a digest,
    plus the savepoints of its two transactions of its own (BEGIN/COMMIT
    outside the test's transaction, not counted there); the units, their
    recipients, the stale marks and the claim (update, read) once for the
    batch."""
    with django_assert_max_num_queries((3 + 4) * len(UNITS) + 8):
        batch = deliver(overdue)

    assert len(batch.digests) == len(mailoutbox) == len(UNITS)


def test_it_claims_the_batch_at_once_and_leaves_nothing_claimed_after_it(overdue, mailoutbox):
    batch = deliver(overdue)

    assert [d.unit.pk for d in batch.digests] == overdue
    assert len({m.extra_headers["Message-ID"] for m in mailoutbox}) == len(UNITS)
    notices = Reminder.objects.filter(remind_after__lte=MOMENT)
    assert [(r.claim_token, r.attempts) for r in notices] == [(None, 1)] * len(UNITS)


def test_it_keeps_a_slow_batchs_claim_so_no_other_delivery_takes_the_rest_over(
    overdue, mailoutbox, monkeypatch
):
    """Each digest takes 0.6 of the claim timeout: the last one is claimed
    1.2 timeouts before it goes out. The retry run's delivery of that unit,
    arriving just before it, finds its claim alive and sends nothing."""
    send, taken_over = delivery._deliver, []
    slow = dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS * 0.6)

    with time_machine.travel(MOMENT, tick=False) as clock:

        def slow_server(digest, **kwargs):
            if digest.unit.pk == overdue[-1]:
                now = MOMENT + 3 * slow
                taken_over.append(delivery.deliver_unit(unit_id=digest.unit.pk, now=now))
            sent = send(digest, **kwargs)
            clock.shift(slow)
            return sent

        monkeypatch.setattr(delivery, "_deliver", slow_server)
        batch = delivery.deliver_units(unit_ids=overdue, now=MOMENT)

    assert taken_over == [None]
    assert [d.unit.pk for d in batch.digests] == overdue
    assert len(mailoutbox) == len(UNITS)
    assert [status_of(pk) for pk in overdue] == ["sent"] * len(UNITS)


def test_it_sends_nothing_in_a_batch_for_a_unit_another_delivery_took_over(overdue, mailoutbox, monkeypatch):
    """Its claim gone stale (a worker stuck longer than the timeout), the
    notices of the third unit were taken by another delivery: the batch
    lets them be and sends the others."""
    send = delivery._deliver

    def stuck(digest, *, token, **kwargs):
        if digest.unit.pk == overdue[2]:
            Reminder.objects.filter(unit_id=overdue[2], claim_token=token).update(claim_token=uuid.uuid4())
        return send(digest, token=token, **kwargs)

    monkeypatch.setattr(delivery, "_deliver", stuck)
    batch = deliver(overdue)

    assert [d.unit.pk for d in batch.digests] == [overdue[0], overdue[1], overdue[3]]
    assert len(mailoutbox) == len(UNITS) - 1
    assert status_of(overdue[2]) == "pending"


def test_the_sweep_queues_one_job_per_batch_of_units(
    overdue, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REMINDER_DELIVERY_BATCH = 3
    queued = []
    monkeypatch.setattr(jobs.reminders_deliver_units, "delay", queued.append)

    with time_machine.travel(MOMENT, tick=False), django_capture_on_commit_callbacks(execute=True):
        jobs.queue_deliveries(now=MOMENT)

    assert queued == [sorted(overdue)[:3], sorted(overdue)[3:]]
