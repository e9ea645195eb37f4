"""Delivering notices through the channels beside e-mail — a DingTalk group
robot and SMS — with the e-mail path's guarantee, per channel:

    (no row) ─record→ pending ─claim→ claimed ─mark sending→ (request out) ─accepted→ sent
        ↑                  │                            ├─ no answer → unconfirmed (not resent)
        └─ rate limit, wait┴── not sent / failed (retried later) ┘  refusal of the settings → config_error

- one `Delivery` row per (notice, channel), unique in the database; a
  notice issued within REMINDER_CHANNEL_MAX_AGE_HOURS gets its row when its
  unit's channel delivery runs (SMS: `skipped` for what SMS does not carry);
- a claim is one conditional UPDATE with a fresh token; `sending_at` is
  committed before the request goes out and its count checked, so a claim
  taken over by another delivery sends nothing; a claim whose worker died
  before the request goes stale and is taken again, one that died after it
  becomes *unconfirmed* (REMINDER_CLAIM_TIMEOUT_SECONDS);
- a channel's outcome touches only its own rows: a robot that is down does
  not hold back the e-mail or the SMS, and retrying it resends nothing else.

One message per unit (or for the reform office's escalations) per channel
and delivery. reminders.jobs runs `deliver` in its own job per channel."""

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from departments.models import Unit

from . import channel_messages, dingtalk, sms, vault
from .delivery import void_reasons
from .models import ChannelSettings, Delivery, Reminder
from .workdays import WorkdayCalendar, local_date

logger = logging.getLogger(__name__)

Channel, Status, Reason = Delivery.Channel, Delivery.Status, Reminder.Reason


@dataclass
class Outcome:
    status: str  # SENT, UNCONFIRMED, FAILED, CONFIG_ERROR, or PENDING (rate limited: wait)
    code: str = ""
    error: str = ""


@dataclass
class ChannelResult:
    channel: str
    label: str
    count: int
    outcome: Outcome
    left_out: int = 0


def channel_settings(unit_id: int | None) -> ChannelSettings | None:
    if unit_id is None:
        return ChannelSettings.objects.filter(office=True).first()
    return ChannelSettings.objects.filter(unit_id=unit_id).select_related("unit").first()


def scope(unit_id: int | None) -> QuerySet:
    """The notices a destination's channels carry, as e-mail addresses them
    (ReminderQuerySet.to_units): the unit's own, or (None) the reform
    office's — every notice not addressed to a unit (escalations…)."""
    to_units = Reminder.objects.to_units()
    if unit_id is None:
        return Reminder.objects.exclude(pk__in=to_units.values("pk"))
    return to_units.filter(unit_id=unit_id)


def _rows(channel: str, unit_id: int | None) -> QuerySet:
    return Delivery.objects.filter(channel=channel, reminder_id__in=scope(unit_id).values("pk"))


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)


def _record(channel: str, unit_id: int | None, *, now: dt.datetime) -> int:
    """A row for each notice issued recently that has none for this channel:
    pending, or (SMS) skipped when SMS does not carry it."""
    since = now - dt.timedelta(hours=settings.REMINDER_CHANNEL_MAX_AGE_HOURS)
    new = list(
        scope(unit_id)
        .issued(now=now)
        .filter(remind_after__gte=since)
        .exclude(deliveries__channel=channel)
        .select_related("task__indicator__plan")
        .order_by("pk")
    )
    if not new:
        return 0
    calendar = WorkdayCalendar.load() if channel == Channel.SMS else None
    rows = []
    for reminder in new:
        row = Delivery(reminder=reminder, channel=channel, created_at=timezone.now())
        if channel == Channel.SMS and not channel_messages.sms_wanted(reminder, calendar):
            row.status, row.last_error = Status.SKIPPED, "短信只发逾期督办和报送日的未报送提醒"
        rows.append(row)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _settle_stale_sending(rows: QuerySet) -> None:
    stale = rows.filter(status=Status.CLAIMED, sending_at__isnull=False, claimed_at__lt=_stale_before())
    # The claim token stays: an answer arriving after all still marks them sent.
    count = stale.update(
        status=Status.UNCONFIRMED,
        sent_at=F("sending_at"),
        last_error="worker stopped after the request was sent; no answer recorded",
    )
    if count:
        logger.warning("channel deliveries: %d sent before their worker stopped: unconfirmed", count)


def _claim(rows: QuerySet) -> tuple[uuid.UUID, list[Delivery]]:
    clock, token = timezone.now(), uuid.uuid4()
    waiting = Q(status__in=[Status.PENDING, Status.FAILED]) & (
        Q(retry_after=None) | Q(retry_after__lte=clock)
    )
    stale = Q(status=Status.CLAIMED, sending_at=None, claimed_at__lt=_stale_before())
    rows.filter(waiting | stale).update(
        status=Status.CLAIMED, claim_token=token, claimed_at=clock, attempts=F("attempts") + 1
    )
    claimed = Delivery.objects.filter(claim_token=token).select_related(
        "reminder__task__indicator__plan", "reminder__task__unit"
    )
    return token, list(claimed.order_by("reminder_id"))


def _drop_void(deliveries: list[Delivery], *, token, today: dt.date) -> list[Delivery]:
    """Notices voided, or no longer applying, are not sent (e-mail voids them)."""
    live = [d for d in deliveries if d.reminder.voided_at is None]
    why = void_reasons([d.reminder for d in live], today)
    for delivery in deliveries:
        reason = delivery.reminder.void_reason or why.get(delivery.reminder_id)
        if delivery.reminder.voided_at or reason:
            Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(
                status=Status.SKIPPED,
                claim_token=None,
                last_error=reason or "已取消",
                attempts=F("attempts") - 1,
            )
    return [d for d in live if d.reminder_id not in why]


def _mark_sending(token, count: int, target: str) -> bool:
    """Committed before the request goes out; False if the claim was lost."""
    clock = timezone.now()
    with transaction.atomic():
        marked = Delivery.objects.filter(claim_token=token, status=Status.CLAIMED).update(
            sending_at=clock, claimed_at=clock, target=target[:300]
        )
        if marked != count:
            transaction.set_rollback(True)
            return False
    return True


def _retry_wait(attempts: int) -> dt.timedelta:
    if attempts <= settings.REMINDER_MAIL_RETRIES:
        return dt.timedelta(seconds=settings.REMINDER_MAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return dt.timedelta(days=1)  # given up until the next day's sweep


def _mark(token, outcome: Outcome) -> None:
    clock = timezone.now()
    rows = Delivery.objects.filter(claim_token=token)
    common = {"claim_token": None, "response_code": outcome.code[:64], "last_error": outcome.error[:1000]}
    if outcome.status == Status.SENT:
        rows.update(status=Status.SENT, sent_at=clock, retry_after=None, **common)
    elif outcome.status == Status.UNCONFIRMED:
        rows.update(status=Status.UNCONFIRMED, sent_at=F("sending_at"), retry_after=None, **common)
    elif outcome.status == Status.CONFIG_ERROR:
        rows.update(status=Status.CONFIG_ERROR, sending_at=None, retry_after=None, **common)
    elif outcome.status == Status.PENDING:  # rate limited: not an attempt, wait and go again
        wait = dt.timedelta(seconds=settings.DINGTALK_RATE_LIMIT_WAIT_SECONDS)
        rows.update(
            status=Status.PENDING,
            sending_at=None,
            retry_after=clock + wait,
            attempts=F("attempts") - 1,
            **common,
        )
    else:
        attempts = max(rows.values_list("attempts", flat=True), default=1)
        rows.update(
            status=Status.FAILED, sending_at=None, retry_after=clock + _retry_wait(attempts), **common
        )


# The channels themselves: send, and say what the answer means.


def _outcome(answer) -> Outcome:
    code = str(getattr(answer, "errcode", getattr(answer, "code", "")))
    if answer.delivered:
        return Outcome(Status.SENT, code)
    if answer.rate_limited:
        return Outcome(Status.PENDING, code, answer.explain())
    if answer.config_error:
        return Outcome(Status.CONFIG_ERROR, code, answer.explain())
    return Outcome(Status.FAILED, code, answer.explain())


def _send_dingtalk(config: ChannelSettings, reminders, *, label, now, before) -> tuple[Outcome, int]:
    payload, left = channel_messages.dingtalk_message(
        reminders,
        unit_name=None if config.office else label,
        today=local_date(now),
        mobiles=config.mobile_list,
    )
    url = dingtalk.signed_url(config.webhook, config.secret)
    if not before(config.webhook_masked):
        return None, left
    try:
        return _outcome(dingtalk.post(url, payload, timeout=settings.DINGTALK_TIMEOUT)), left
    except dingtalk.NotSent as error:
        return Outcome(Status.FAILED, error=str(error)), left
    except dingtalk.NoAnswer as error:
        return Outcome(Status.UNCONFIRMED, error=str(error)), left


def _send_sms(config: ChannelSettings, reminders, *, label, now, before) -> tuple[Outcome, int]:
    params = channel_messages.sms_params(reminders, unit_name=None if config.office else label)
    mobiles = config.mobile_list
    if not before(", ".join(mobiles)):
        return None, 0
    try:
        return _outcome(sms.gateway().send(mobiles=mobiles, params=params)), 0
    except sms.NotSent as error:
        return Outcome(Status.FAILED, error=str(error)), 0
    except sms.NoAnswer as error:
        return Outcome(Status.UNCONFIRMED, error=str(error)), 0


SENDERS = {Channel.DINGTALK: _send_dingtalk, Channel.SMS: _send_sms}


def deliver(*, channel: str, unit_id: int | None, now: dt.datetime | None = None) -> ChannelResult | None:
    """Send the destination's notices due on this channel, in one message;
    None when there are none (or the channel is off, or another delivery has
    them)."""
    now = now or timezone.now()
    config = channel_settings(unit_id)
    if not (config and config.enabled(channel)):
        # Turned off meanwhile: what waited for it is not sent (and not queued again).
        _rows(channel, unit_id).filter(status=Status.PENDING).update(
            status=Status.SKIPPED, retry_after=None, last_error="渠道已停用"
        )
        return None
    label = str(config) if unit_id is None else Unit.objects.get(pk=unit_id).name
    rows = _rows(channel, unit_id)
    _record(channel, unit_id, now=now)
    _settle_stale_sending(rows)
    token, claimed = _claim(rows)
    deliveries = _drop_void(claimed, token=token, today=local_date(now)) if claimed else []
    if not deliveries:
        return None
    reminders = [d.reminder for d in deliveries]
    started = time.perf_counter()
    try:
        outcome, left = SENDERS[channel](
            config,
            reminders,
            label=label,
            now=now,
            before=lambda target: _mark_sending(token, len(deliveries), target),
        )
    except vault.SecretUnreadable:
        outcome, left = (
            Outcome(Status.CONFIG_ERROR, error="保存的 Webhook 或密钥无法解密（密钥已更换），请重新填写"),
            0,
        )
    except Exception as error:  # whatever it was, the rows must not stay claimed
        outcome, left = Outcome(Status.FAILED, error=f"{type(error).__name__}"), 0
        logger.exception("channel %s to %s: unexpected error", channel, label)
    if outcome is None:
        Delivery.objects.filter(claim_token=token, sending_at=None).update(
            status=Status.PENDING, claim_token=None, attempts=F("attempts") - 1
        )
        logger.info("channel %s to %s: another delivery has it", channel, label)
        return None
    _mark(token, outcome)
    logger.info(
        "channel %s to %s: %d notice(s), %s%s in %.0f ms",
        channel,
        label,
        len(deliveries),
        outcome.status,
        f" ({outcome.error})" if outcome.error else "",
        (time.perf_counter() - started) * 1000,
    )
    return ChannelResult(channel=channel, label=label, count=len(deliveries), outcome=outcome, left_out=left)


def enabled_channels(unit_id: int | None) -> list[str]:
    config = channel_settings(unit_id)
    return [c for c in Channel.values if config and config.enabled(c)]


def enabled_channels_of(unit_ids: list[int]) -> dict[int, list[str]]:
    """`enabled_channels` of many units in one query; units with none left out."""
    configs = ChannelSettings.objects.filter(unit_id__in=unit_ids)
    enabled = {config.unit_id: [c for c in Channel.values if config.enabled(c)] for config in configs}
    return {unit_id: channels for unit_id, channels in enabled.items() if channels}


def due_retries(*, now: dt.datetime) -> list[tuple[str, int | None]]:
    """(channel, unit id or None for the office) whose rows wait for a retry
    that has come (their wait is cleared: the job queued for them takes
    them), whose job was lost (pending longer than
    REMINDER_CLAIM_TIMEOUT_SECONDS), or whose claim went stale."""
    clock = timezone.now()
    waiting = Q(status__in=[Status.PENDING, Status.FAILED], retry_after__lte=clock)
    lost = Q(status=Status.PENDING, retry_after=None, created_at__lt=_stale_before())
    stale = Q(status=Status.CLAIMED, claimed_at__lt=_stale_before())
    with transaction.atomic():
        rows = Delivery.objects.filter(waiting | lost | stale)
        for_unit = Exists(Reminder.objects.to_units().filter(pk=OuterRef("reminder_id")))
        found = set(
            rows.annotate(for_unit=for_unit)
            .values_list("channel", "reminder__unit_id", "for_unit")
            .distinct()
        )
        rows.filter(waiting).update(retry_after=None)
    return sorted(
        {(channel, unit_id if for_unit else None) for channel, unit_id, for_unit in found},
        key=lambda pair: (pair[0], pair[1] or 0),
    )
