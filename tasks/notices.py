"""Reminders as the portal shows them: a unit's notices and their unread
count, the reform office's log of every notice, and the manual reminder
(催办) the office sends from a task page. The sweep itself is
tasks.reminders."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Reminder, Task
from .reminders import local_date

logger = logging.getLogger(__name__)

Reason = Reminder.Reason


def unit_notices(*, unit_ids: list[int], now: dt.datetime) -> QuerySet:
    """The notices sent (or due to be sent) to these units, newest first."""
    return (
        Reminder.objects.issued(now=now)
        .to_units()
        .filter(unit_id__in=unit_ids)
        .select_related("task__indicator", "unit", "sent_by")
        .order_by("-remind_after", "-pk")
    )


def unread_count(*, unit_ids: list[int], now: dt.datetime) -> int:
    if not unit_ids:
        return 0
    return Reminder.objects.issued(now=now).to_units().unread().filter(unit_id__in=unit_ids).count()


def notices_mark_read(*, pks: list[int], now: dt.datetime) -> int:
    return Reminder.objects.filter(pk__in=pks, read_at=None).update(read_at=now)


class Status:
    """What the reform office can filter the log by; `Reminder.status()`
    says the same of one notice."""

    SENT = "sent"
    UNCONFIRMED = "unconfirmed"
    PORTAL = "portal"
    PENDING = "pending"
    FAILED = "failed"
    REFUSED = "refused"
    SCHEDULED = "scheduled"
    VOID = "void"

    LABELS = {
        SENT: _("已发送"),
        UNCONFIRMED: _("已发送（未确认）"),
        PORTAL: _("仅站内（无邮箱）"),
        PENDING: _("待发送"),
        FAILED: _("发送失败，待重试"),
        REFUSED: _("发送失败（永久，需检查地址）"),
        SCHEDULED: _("计划中"),
        VOID: _("已取消"),
    }
    # What the office may send again by hand (重新发送).
    RESENDABLE = (UNCONFIRMED, REFUSED)

    @classmethod
    def condition(cls, status: str, now: dt.datetime) -> Q:
        unsent = Q(sent_at=None, voided_at=None)
        waiting = unsent & Q(sending_at=None, failed_at=None)
        return {
            cls.SENT: Q(sent_at__isnull=False, unconfirmed=False) & ~Q(recipients=""),
            cls.UNCONFIRMED: Q(sent_at__isnull=False, unconfirmed=True)
            | (unsent & Q(sending_at__isnull=False)),
            cls.PORTAL: Q(sent_at__isnull=False, recipients=""),
            cls.PENDING: waiting & Q(remind_after__lte=now, last_error=""),
            cls.FAILED: waiting & Q(remind_after__lte=now) & ~Q(last_error=""),
            cls.REFUSED: unsent & Q(sending_at=None, failed_at__isnull=False),
            cls.SCHEDULED: waiting & Q(remind_after__gt=now),
            cls.VOID: Q(voided_at__isnull=False),
        }[status]


@dataclass
class NoticeLog:
    rows: QuerySet
    reason: str
    status: str
    search: str


def notice_log(*, now: dt.datetime, reason: str = "", status: str = "", search: str = "") -> NoticeLog:
    """Every notice, to whom, when and why, newest first; scheduled repeats
    only when asked for."""
    rows = Reminder.objects.all()
    reason = reason if reason in Reason.values else ""
    status = status if status in Status.LABELS else ""
    search = search.strip()[:100]
    if reason:
        rows = rows.filter(reason=reason)
    rows = rows.filter(Status.condition(status, now) if status else Q(remind_after__lte=now))
    if search:
        rows = rows.filter(
            Q(unit__name__icontains=search)
            | Q(task__indicator__code=search)
            | Q(recipients__icontains=search)
        )
    rows = rows.select_related("task__indicator__plan", "unit", "sent_by").order_by("-remind_after", "-pk")
    return NoticeLog(rows=rows, reason=reason, status=status, search=search)


@transaction.atomic
def notices_resend(*, reminder: Reminder, user, now: dt.datetime) -> int:
    """重新发送: the reform office decides that an unconfirmed or refused
    e-mail should go out again. Its notices (every one of that e-mail) go
    back to pending and their delivery is queued; a delivery still waiting
    for the server's reply is left alone. Returns how many notices."""
    rows = Reminder.objects.filter(
        Status.condition(Status.UNCONFIRMED, now) | Status.condition(Status.REFUSED, now)
    ).filter(Q(message_id=reminder.message_id) if reminder.message_id else Q(pk=reminder.pk))
    in_flight = dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)
    rows = rows.exclude(sent_at=None, sending_at__isnull=False, claimed_at__gte=timezone.now() - in_flight)
    rows = list(rows.select_for_update().values_list("pk", "unit_id", "reason"))
    Reminder.objects.filter(pk__in=[pk for pk, *_ in rows]).update(
        sent_at=None,
        unconfirmed=False,
        sending_at=None,
        failed_at=None,
        claim_token=None,
        claimed_at=None,
        refusals={},
        last_error="",
    )
    if rows:
        from . import jobs

        logger.info("notices %s queued again by user %s", [pk for pk, *_ in rows], user.pk)
        for unit_id in sorted({unit_id for _pk, unit_id, reason in rows if reason != Reason.ESCALATION}):
            transaction.on_commit(lambda unit_id=unit_id: jobs.reminders_deliver_unit.delay(unit_id))
        if any(reason == Reason.ESCALATION for *_, reason in rows):
            transaction.on_commit(lambda: jobs.reminders_deliver_office.delay())
    return len(rows)


def last_manual_reminder(task: Task) -> Reminder | None:
    return (
        task.reminders.filter(reason=Reason.MANUAL).select_related("sent_by").order_by("-created_at").first()
    )


@transaction.atomic
def reminder_create_manual(
    *, task: Task, user, note: str = "", now: dt.datetime | None = None
) -> tuple[Reminder, bool]:
    """The reform office chases the task's unit (催办): one notice, recorded
    like the sweep's and sent at once in the unit's digest. At most one a day
    per task, so a double click sends one; returns (notice, created)."""
    now = now or timezone.now()
    # Among live notices: a voided one (the task was verified, then returned)
    # neither blocks a new one nor makes get() find two.
    reminder, created = Reminder.objects.live().get_or_create(
        task=task,
        reason=Reason.MANUAL,
        period=local_date(now).isoformat(),
        defaults={
            "unit_id": task.unit_id,
            "due_date": task.due_date,
            "remind_after": now,
            "created_at": now,
            "sent_by": user,
            "note": note.strip()[:500],
        },
    )
    if created:
        from . import jobs

        logger.info("manual reminder on task %s by %s", task.pk, user.pk)
        transaction.on_commit(lambda: jobs.reminders_deliver_unit.delay(task.unit_id))
    return reminder, created
