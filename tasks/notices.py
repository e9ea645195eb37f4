"""Reminders as the portal shows them: a unit's notices and their unread
count, the reform office's log of every notice, and the manual reminder
(催办) the office sends from a task page. The sweep itself is
tasks.reminders."""

import datetime as dt
import logging
from dataclasses import dataclass

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
    """What the reform office can filter the log by."""

    SENT = "sent"
    PORTAL = "portal"
    PENDING = "pending"
    FAILED = "failed"
    SCHEDULED = "scheduled"
    VOID = "void"

    LABELS = {
        SENT: _("已发送"),
        PORTAL: _("仅站内（无邮箱）"),
        PENDING: _("待发送"),
        FAILED: _("发送失败，待重试"),
        SCHEDULED: _("计划中"),
        VOID: _("已取消"),
    }

    @classmethod
    def condition(cls, status: str, now: dt.datetime) -> Q:
        unsent = Q(sent_at=None, voided_at=None)
        return {
            cls.SENT: Q(sent_at__isnull=False) & ~Q(recipients=""),
            cls.PORTAL: Q(sent_at__isnull=False, recipients=""),
            cls.PENDING: unsent & Q(remind_after__lte=now, last_error=""),
            cls.FAILED: unsent & Q(remind_after__lte=now) & ~Q(last_error=""),
            cls.SCHEDULED: unsent & Q(remind_after__gt=now),
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
