"""Celery jobs for reminders. Thin: ids in, a call to reminders.sweep or
reminders.delivery out. Acknowledged late (settings), so a job whose worker died runs again; each is
idempotent, since a notice is recorded once under a unique constraint and
claimed before it is sent.

Beat (schedule: made by migrations tasks/0004 and 0006, renamed by
reminders/0003, editable in the admin under Periodic tasks, run by
reminders.beat.CatchUpScheduler) triggers
`reminders_sweep` every morning and at month end, and `reminders_retry`
every minute. The sweep records what is due and queues one
`reminders_deliver_units` per REMINDER_DELIVERY_BATCH units whose pending
notices no queued delivery covers yet (each batch over one SMTP connection)
and one `reminders_deliver_office` for escalations; `reminders_deliver_unit`
sends one unit's digest (a reminder sent by hand, a job queued before the
batches).

No job waits in the worker: a refused digest is not retried with a
countdown message (which the worker holds unacknowledged, and which crashed
it when Redis restarted: kombu 5.7.0, AttributeError in restore_unacked);
its notices stay pending with a retry moment in the database, and the retry
run queues them again when it comes."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import channels, delivery, sweep
from .models import Reminder

logger = logging.getLogger(__name__)


def _moment(as_of: str | None) -> dt.datetime:
    return parse_datetime(as_of) if as_of else timezone.now()


@shared_task(name="reminders.jobs.reminders_sweep", acks_late=True)
def reminders_sweep(*, month_end: bool = False, as_of: str | None = None) -> dict:
    """Beat's trigger; a second one for the same day (month) is dropped."""
    now = _moment(as_of)
    result = sweep.run(now=now, month_end=month_end, deliver=False, once=True)
    summary = result.summary()
    if result.ran:
        summary["queued"] = queue_deliveries(now=now)
    return summary


@shared_task(name="reminders.jobs.reminders_retry", acks_late=True)
def reminders_retry() -> int:
    """Beat, every minute: queue a delivery for the notices whose retry
    moment came (refused by the mail server, or their job was lost)."""
    now = timezone.now()
    queued = queue_deliveries(now=now, retries_only=True)
    for channel, unit_id in channels.due_retries(now=now):
        transaction.on_commit(lambda c=channel, u=unit_id: reminders_deliver_channel.delay(c, u))
        queued += 1
    return queued


def queue_deliveries(*, now: dt.datetime, retries_only: bool = False) -> int:
    """One delivery job per unit whose pending notices need one, and one for
    the office (see sweep.deliveries_to_queue). Queued after commit: a
    job must find the rows it is sent for. Returns how many were queued."""
    unit_ids, office = sweep.deliveries_to_queue(now=now, retries_only=retries_only)
    size = settings.REMINDER_DELIVERY_BATCH
    for start in range(0, len(unit_ids), size):
        batch = unit_ids[start : start + size]
        transaction.on_commit(lambda batch=batch: reminders_deliver_units.delay(batch))
    if office:
        transaction.on_commit(reminders_deliver_office.delay)
    if unit_ids or office:
        logger.info(
            "reminder deliveries queued: %d unit(s)%s", len(unit_ids), " and the office" if office else ""
        )
    return len(unit_ids) + office


def _retry_later(failure: delivery.DeliveryFailed) -> None:
    """The digest's notices stay pending. If the failure may pass, the retry
    run tries again after 1, 2, 4… times REMINDER_MAIL_RETRY_SECONDS,
    REMINDER_MAIL_RETRIES times; after that (or at once for a failure that
    will not pass) they wait for the next sweep."""
    notices = Reminder.objects.filter(
        pk__in=[r.pk for r in failure.digest.reminders], sent_at=None, voided_at=None
    )
    attempts = max(notices.values_list("attempts", flat=True), default=0)
    if failure.retryable and attempts <= settings.REMINDER_MAIL_RETRIES:
        wait = settings.REMINDER_MAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
        notices.update(retry_after=timezone.now() + dt.timedelta(seconds=wait))
        logger.warning("%s; retry %d in %d s", failure, attempts, wait)
    else:
        notices.update(retry_after=None)
        logger.error("%s; giving up until the next sweep", failure)


def _retry_soon(unit_ids: list[int]) -> None:
    """Units a batch did not reach (it stopped at a failure): their pending
    notices are queued again by the retry run after
    REMINDER_MAIL_RETRY_SECONDS, not an attempt more."""
    wait = dt.timedelta(seconds=settings.REMINDER_MAIL_RETRY_SECONDS)
    Reminder.objects.pending(now=timezone.now()).to_units().filter(
        unit_id__in=unit_ids, claim_token=None
    ).update(retry_after=timezone.now() + wait)


# `as_of` is accepted and ignored: a delivery sends what is due when it runs,
# so a job queued before an outage sends the current digest, or nothing
# (jobs queued by earlier versions carry the moment they were queued at).


def queue_channels(unit_id: int | None) -> None:
    """After the e-mail (whatever became of it), one job per channel the
    unit (None: the office) has on: each channel in its own job, so that a
    robot that hangs holds back nothing else."""
    for channel in channels.enabled_channels(unit_id):
        reminders_deliver_channel.delay(channel, unit_id)


@shared_task(name="reminders.jobs.reminders_deliver_unit", acks_late=True)
def reminders_deliver_unit(unit_id: int, *, as_of: str | None = None) -> int:
    try:
        digest = delivery.deliver_unit(unit_id=unit_id, now=timezone.now())
    except delivery.DeliveryFailed as failure:
        _retry_later(failure)
        return 0
    finally:
        queue_channels(unit_id)
    return len(digest.reminders) if digest else 0


@shared_task(name="reminders.jobs.reminders_deliver_units", acks_late=True)
def reminders_deliver_units(unit_ids: list[int]) -> int:
    """The sweep's job: a batch of units' digests over one SMTP connection."""
    try:
        batch = delivery.deliver_units(unit_ids=unit_ids, now=timezone.now())
        if batch.failure:
            _retry_later(batch.failure)
        if batch.left:
            _retry_soon(batch.left)
    finally:
        for unit_id, enabled in channels.enabled_channels_of(unit_ids).items():
            for channel in enabled:
                reminders_deliver_channel.delay(channel, unit_id)
    return sum(len(digest.reminders) for digest in batch.digests)


@shared_task(name="reminders.jobs.reminders_deliver_office", acks_late=True)
def reminders_deliver_office(*, as_of: str | None = None) -> int:
    try:
        digest = delivery.deliver_office(now=timezone.now())
    except delivery.DeliveryFailed as failure:
        _retry_later(failure)
        return 0
    finally:
        queue_channels(None)
    return len(digest.reminders) if digest else 0


@shared_task(name="reminders.jobs.reminders_deliver_channel", acks_late=True)
def reminders_deliver_channel(channel: str, unit_id: int | None = None) -> int:
    """One destination's notices through one channel (DingTalk, SMS)."""
    result = channels.deliver(channel=channel, unit_id=unit_id)
    return result.count if result else 0


# Until the house move (issue 9) these jobs were tasks.jobs.*: messages queued
# by the version before it carry those names, and a worker of this version
# must still run them. Beat's schedule was renamed by migration
# reminders/0003; these aliases can go once no queue can hold an old message.
OLD_NAMES = {
    "tasks.jobs.reminders_sweep": reminders_sweep,
    "tasks.jobs.reminders_retry": reminders_retry,
    "tasks.jobs.reminders_deliver_unit": reminders_deliver_unit,
    "tasks.jobs.reminders_deliver_office": reminders_deliver_office,
}
for _old, _job in OLD_NAMES.items():
    shared_task(name=_old, acks_late=True)(_job.run)
