"""Reminders as the portal shows them (reads): a unit's notices and their
unread count, the reform office's log of every notice and what it can be
filtered by, a task's last 催办. The writes are reminders.services; the sweep
is reminders.sweep."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from departments.models import Unit
from tasks.models import Task

from .models import ChannelSettings, Delivery, Reminder

Reason = Reminder.Reason


def unit_notices(*, unit_ids: list[int], now: dt.datetime) -> QuerySet:
    """The notices sent (or due to be sent) to these units, newest first."""
    return (
        Reminder.objects.issued(now=now)
        .to_units()
        .filter(unit_id__in=unit_ids)
        .select_related("task__indicator", "unit", "sent_by", "plan")
        .order_by("-remind_after", "-pk")
    )


def unread_notices(*, unit_ids: list[int], now: dt.datetime) -> QuerySet:
    """The units' notices not yet read: what the navigation's badge counts."""
    return Reminder.objects.issued(now=now).to_units().unread().filter(unit_id__in=unit_ids)


def unread_count(*, unit_ids: list[int], now: dt.datetime) -> int:
    """unread_notices counted through the cursor: the badge is on every page
    of staff, and the ORM took 1.2 of its 1.5 ms compiling the query (at
    province scale); held to unread_notices by a test."""
    if not unit_ids:
        return 0
    units = ", ".join(["%s"] * len(unit_ids))
    reasons = ", ".join(["%s"] * len(Reminder.OFFICE_REASONS))
    sql = f"""
        SELECT COUNT(*) FROM {Reminder._meta.db_table}
        WHERE unit_id IN ({units}) AND read_at IS NULL AND voided_at IS NULL
        AND remind_after <= %s AND reason NOT IN ({reasons})
    """  # noqa: S608 - the table's name from the model, placeholders for the rest
    params = [*unit_ids, connection.ops.adapt_datetimefield_value(now), *Reminder.OFFICE_REASONS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


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


def notice_log(
    *, now: dt.datetime, reason: str = "", status: str = "", search: str = "", channel: str = ""
) -> NoticeLog:
    """Every notice, to whom, when and why, newest first; scheduled repeats
    only when asked for. `channel`: those with a DingTalk or SMS delivery in
    that state (a configuration error…)."""
    rows = Reminder.objects.all()
    reason = reason if reason in Reason.values else ""
    status = status if status in Status.LABELS else ""
    search = search.strip()[:100]
    if reason:
        rows = rows.filter(reason=reason)
    if channel in Delivery.Status.values:
        rows = rows.filter(Exists(Delivery.objects.filter(reminder=OuterRef("pk"), status=channel)))
    rows = rows.filter(Status.condition(status, now) if status else Q(remind_after__lte=now))
    if search:
        rows = rows.filter(
            Q(unit__name__icontains=search)
            | Q(task__indicator__code=search)
            | Q(recipients__icontains=search)
        )
    rows = (
        rows.select_related("task__indicator__plan", "unit", "sent_by", "plan")
        .prefetch_related("deliveries")
        .order_by("-remind_after", "-pk")
    )
    return NoticeLog(rows=rows, reason=reason, status=status, search=search)


def last_manual_reminder(task: Task) -> Reminder | None:
    return (
        task.reminders.filter(reason=Reason.MANUAL).select_related("sent_by").order_by("-created_at").first()
    )


@dataclass
class ChannelRow:
    unit: Unit | None  # None: the reform office
    config: ChannelSettings | None
    errors: dict  # channel → the latest configuration error (a Delivery)

    @property
    def label(self) -> str:
        return self.unit.name if self.unit else str(_("跑改办"))


def _config_errors() -> dict[tuple[int | None, str], Delivery]:
    """The latest configuration error of each destination and channel still
    standing (a save of the settings puts them back to pending)."""
    latest = {}
    rows = (
        Delivery.objects.filter(status=Delivery.Status.CONFIG_ERROR)
        .select_related("reminder")
        .order_by("-claimed_at", "-pk")
    )
    for_unit = Exists(Reminder.objects.to_units().filter(pk=OuterRef("reminder_id")))
    for delivery in rows.annotate(for_unit=for_unit)[:500]:
        unit_id = delivery.reminder.unit_id if delivery.for_unit else None
        latest.setdefault((unit_id, delivery.channel), delivery)
    return latest


def channel_overview() -> list[ChannelRow]:
    """The office first, then every unit in the usual order, with its
    channels and any configuration error the channels answered with."""
    configs = {c.unit_id: c for c in ChannelSettings.objects.all()}
    errors = _config_errors()

    def row(unit):
        unit_id = unit.pk if unit else None
        found = {
            channel: errors[(unit_id, channel)]
            for channel in Delivery.Channel.values
            if (unit_id, channel) in errors
        }
        return ChannelRow(unit=unit, config=configs.get(unit_id), errors=found)

    return [row(None), *(row(unit) for unit in Unit.objects.units())]


def channel_deliveries(*, unit_id: int | None, limit: int = 20) -> list[Delivery]:
    """The destination's latest channel deliveries, newest first."""
    to_units = Reminder.objects.to_units()
    if unit_id is None:  # the office's: every notice not addressed to a unit
        reminders = Reminder.objects.exclude(pk__in=to_units.values("pk"))
    else:
        reminders = to_units.filter(unit_id=unit_id)
    return list(
        Delivery.objects.filter(reminder__in=reminders)
        .exclude(status=Delivery.Status.SKIPPED)
        .select_related("reminder__task__indicator__plan")
        .order_by("-created_at", "-pk")[:limit]
    )
