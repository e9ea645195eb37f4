"""Celery jobs for reminders. Thin: a moment and ids in, a call to
tasks.reminders out. Acknowledged late (settings), so a job whose worker died
runs again; each is idempotent, since a notice is recorded once under a unique
constraint and claimed before it is sent.

Beat triggers `reminders_sweep` (schedule: migration 0004, editable in the
admin under Periodic tasks); the sweep records what is due and queues one
`reminders_deliver_unit` per unit with pending notices and one
`reminders_deliver_office` for escalations."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import reminders

logger = logging.getLogger(__name__)


def _moment(as_of: str | None) -> dt.datetime:
    return parse_datetime(as_of) if as_of else timezone.now()


@shared_task(name="tasks.jobs.reminders_sweep", acks_late=True)
def reminders_sweep(*, month_end: bool = False, as_of: str | None = None) -> dict:
    now = _moment(as_of)
    result = reminders.sweep(now=now, month_end=month_end, deliver=False)
    if result.ran:
        queue_deliveries(now=now)
    return result.summary()


def queue_deliveries(*, now: dt.datetime) -> None:
    """One delivery job per unit with pending notices, and one for the office.
    Queued after commit: a job must find the rows it is sent for."""
    as_of = now.isoformat()
    for unit_id in reminders.units_with_pending(now=now):
        transaction.on_commit(lambda unit_id=unit_id: reminders_deliver_unit.delay(unit_id, as_of=as_of))
    if reminders.office_has_pending(now=now):
        transaction.on_commit(lambda: reminders_deliver_office.delay(as_of=as_of))


def _retry_or_give_up(job, failure: reminders.DeliveryFailed):
    """Back off exponentially; after the last retry the notices stay pending
    for the next sweep. The total wait is bounded in settings, under the
    broker's visibility timeout."""
    attempt = job.request.retries
    if attempt < settings.REMINDER_MAIL_RETRIES:
        countdown = settings.REMINDER_MAIL_RETRY_SECONDS * 2**attempt
        logger.warning("%s; retry %d in %d s", failure, attempt + 1, countdown)
        raise job.retry(exc=failure, countdown=countdown, max_retries=settings.REMINDER_MAIL_RETRIES)
    logger.error("%s; giving up until the next sweep", failure)


@shared_task(name="tasks.jobs.reminders_deliver_unit", bind=True, acks_late=True)
def reminders_deliver_unit(self, unit_id: int, *, as_of: str | None = None) -> int:
    try:
        digest = reminders.deliver_unit(unit_id=unit_id, now=_moment(as_of))
    except reminders.DeliveryFailed as failure:
        _retry_or_give_up(self, failure)
        return 0
    return len(digest.reminders) if digest else 0


@shared_task(name="tasks.jobs.reminders_deliver_office", bind=True, acks_late=True)
def reminders_deliver_office(self, *, as_of: str | None = None) -> int:
    try:
        digest = reminders.deliver_office(now=_moment(as_of))
    except reminders.DeliveryFailed as failure:
        _retry_or_give_up(self, failure)
        return 0
    return len(digest.reminders) if digest else 0
