"""Delivering reminders: one digest per unit, one for the reform office.

A delivery claims the unit's pending notices with one conditional UPDATE
(a token), cancels those that no longer apply, renders one digest of at most
REMINDER_DIGEST_MAX_ITEMS items and sends it through `reminders.mail`. Each step
is committed before the next one starts:

    pending ─claim→ claimed ─mark "sending"→ (body out) ─250→ sent
       ↑               │                          ├─ no reply → unconfirmed
       └── released ───┴── refused before the body, or 4xx ┘   5xx → refused

- a claim whose worker died before the body went out goes stale and is
  taken again (REMINDER_CLAIM_TIMEOUT_SECONDS);
- a "sending" mark whose worker died goes stale and becomes *unconfirmed*:
  the server may have the digest, so it is never sent again by itself — the
  reform office sees it in 提醒记录 and may re-send it by hand;
- a 5xx refusal is *refused*: not sent again to the same addresses.

Every digest carries a Message-ID derived from its notices, so that a copy
that does get through twice is one message in the reader's mail client.
`reminders.sweep` (the sweep) and `reminders.jobs` call `deliver_unit`,
`deliver_units` (a batch of units over one SMTP connection, the sweep's jobs)
and `deliver_office`. See docs/reminders.md."""

import datetime as dt
import functools
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.db.models.constants import OnConflict
from django.utils import timezone

from departments.models import Unit
from departments.roles import REFORM_OFFICE
from indicators.models import ConsultationAnswer, Plan
from tasks.models import InstructionReply, ProgressReport, Task, site_timezone

from . import digests, mail
from .models import Reminder
from .workdays import local_date

logger = logging.getLogger(__name__)

Reason = Reminder.Reason
REPEAT_OVERDUE_DAYS = 7

# What became of a digest.
SENT, PORTAL, UNCONFIRMED, REFUSED = "sent", "portal", "unconfirmed", "refused"


class DeliveryFailed(Exception):
    """The digest was not delivered and its notices stay pending: try again
    (the retry run, the next sweep). A permanent refusal is not raised — the
    deliver_* functions return it, as a Digest whose outcome is REFUSED, since
    there is nothing to retry — but `deliver_all` reports it as one of these
    with `permanent` set."""

    def __init__(self, digest: "Digest", error: Exception, *, permanent: bool = False):
        kind = "refused permanently: " if permanent else ""
        super().__init__(f"{digest.label}: {kind}{type(error).__name__}: {error}")
        self.digest = digest
        self.error = error
        self.permanent = permanent

    @property
    def retryable(self) -> bool:
        """Whether another attempt may succeed (reminders.jobs schedules it)."""
        return not self.permanent


class ClaimLost(Exception):
    """Another delivery took the notices over before the body went out."""


@dataclass
class Digest:
    unit: Unit | None  # None: the reform office's escalation digest
    recipients: list[str]
    reminders: list[Reminder]
    sent: bool = False  # accepted by the server (or portal only)
    outcome: str = ""  # SENT, PORTAL, UNCONFIRMED, REFUSED
    refusals: dict[str, str] = field(default_factory=dict)  # address → the server's reply
    error: Exception | None = None

    @property
    def label(self) -> str:
        return self.unit.name if self.unit else REFORM_OFFICE


def _unique_addresses(addresses) -> list[str]:
    seen, out = set(), []
    for address in addresses:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def _emails(**users) -> list[str]:
    """The e-mail addresses of the active accounts that match `users`."""
    accounts = get_user_model().objects.filter(is_active=True, **users).exclude(email="")
    return list(accounts.order_by("email").values_list("email", flat=True))


def unit_recipients(unit: Unit) -> list[str]:
    """The unit's staff (active accounts with an e-mail) and its contact address."""
    return _unique_addresses([*_emails(memberships__unit=unit), unit.contact_email])


def units_recipients(units: list[Unit]) -> dict[int, list[str]]:
    """`unit_recipients` of many units, in one query."""
    staff = defaultdict(list)
    accounts = get_user_model().objects.filter(is_active=True, memberships__unit__in=units).exclude(email="")
    for unit_id, email in accounts.order_by("email").values_list("memberships__unit_id", "email"):
        staff[unit_id].append(email)
    return {unit.pk: _unique_addresses([*staff[unit.pk], unit.contact_email]) for unit in units}


def office_recipients() -> list[str]:
    return _unique_addresses(_emails(groups__name=REFORM_OFFICE))


def plan_notice_void_reason(reminder: Reminder) -> str:
    """Why a notice about a plan (or an instruction) no longer applies, or ""."""
    plan = reminder.plan
    if reminder.reason == Reason.INSTRUCTION:
        if InstructionReply.objects.filter(
            instruction_id=reminder.instruction_id, unit_id=reminder.unit_id
        ).exists():
            return "单位已回复批示"
        if plan is not None and plan.status != Plan.Status.ACTIVE:
            return "计划已结束"
        return ""
    if reminder.reason == Reason.CONSULTATION:
        if plan.status != Plan.Status.CONSULTATION:
            return "征求意见已结束"
        if ConsultationAnswer.objects.filter(consultation__plan=plan, unit_id=reminder.unit_id).exists():
            return "单位已反馈"
    elif plan.status != Plan.Status.ACTIVE:
        return "计划已结束"
    return ""


def void_reasons(reminders: list[Reminder], today: dt.date) -> dict[int, str]:
    """Notices that no longer apply by the time they go out (the task was
    verified, its due date moved, the report came in…): pk → why."""
    report_missing = {r.task_id for r in reminders if r.reason == Reason.REPORT_MISSING}
    month_reports = (
        dict(
            ProgressReport.objects.filter(task_id__in=report_missing)
            .values("task_id")
            .annotate(latest=Max("created_at"))
            .values_list("task_id", "latest")
        )
        if report_missing
        else {}
    )
    reasons = {}
    for reminder in reminders:
        task = reminder.task
        why = ""
        if task is None:
            why = plan_notice_void_reason(reminder)
        elif reminder.reason == Reason.WITHDRAWN:  # told of the task it no longer holds
            if task.is_active:
                why = "任务已恢复"
            elif not task.indicator.plan.is_active:
                why = "计划已结束"
        elif not task.is_active:
            why = "任务已停用"
        elif not task.indicator.plan.is_active:
            why = "计划已结束"
        elif task.status == Task.Status.VERIFIED:
            why = "任务已核实办结"
        elif reminder.reason in (Reason.DUE_SOON, Reason.OVERDUE, Reason.ESCALATION):
            if task.due_date != reminder.due_date:
                why = "截止日期已调整"
            elif reminder.reason == Reason.DUE_SOON and task.status == Task.Status.COMPLETED:
                why = "单位已报完成"
            elif reminder.reason == Reason.DUE_SOON and task.due_date < today:
                why = "已过截止日期"
        elif reminder.reason == Reason.REPORT_MISSING:
            latest = month_reports.get(task.pk)
            if reminder.period != f"{today:%Y-%m}":
                why = "已过当月"
            elif task.status == Task.Status.COMPLETED:
                why = "单位已报完成"
            elif latest and local_date(latest) >= today.replace(day=1):
                why = "本月已报送"
        if why:
            reasons[reminder.pk] = why
    return reasons


# The states, each one committed.


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)


def _repeats(reminders, *, now: dt.datetime) -> None:
    """Schedule each overdue notice's repeat seven days on. The repeat is one
    row, due at one moment: however long the sweep does not run after that,
    it goes out once."""
    repeat_at = dt.datetime.combine(
        local_date(now) + dt.timedelta(days=REPEAT_OVERDUE_DAYS), dt.time.min, tzinfo=site_timezone()
    )
    _insert_notices(
        [
            {
                "task_id": task_id,
                "unit_id": unit_id,
                "reason": Reason.OVERDUE,
                "period": Reminder.repeat_period(period),
                "due_date": due_date,
                "remind_after": repeat_at,
                "created_at": timezone.now(),
            }
            for task_id, unit_id, reason, period, due_date in reminders
            if reason == Reason.OVERDUE
        ]
    )


def _insert_notices(rows: list[dict]) -> None:
    """Insert notices given as attribute → value, every other column at its
    default; one already recorded (a unique constraint) is left out. What
    `bulk_create(ignore_conflicts=True)` writes, without building and
    preparing a model of thirty fields per row: with the repeats written
    after every digest, that was a tenth of a digest's CPU (issue 15)."""
    if not rows:
        return
    fields, fixed, insert, row_sql, suffix = _insert_statement()
    defaults = dict(fixed)
    for f in fields:  # the defaults made by a call (created_at's moment, a JSON field's {})
        if f.attname not in defaults:
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), db_connection)
    params = []
    for row in rows:
        given = {
            f.attname: f.get_db_prep_save(row[f.attname], db_connection) for f in fields if f.attname in row
        }
        params += [given.get(f.attname, defaults[f.attname]) for f in fields]
    with db_connection.cursor() as cursor:
        cursor.execute(f"{insert} VALUES {', '.join([row_sql] * len(rows))} {suffix}", params)


@functools.cache
def _insert_statement():
    """`_insert_notices`' columns, their fixed defaults as the database
    takes them, and its SQL."""
    fields = [f for f in Reminder._meta.concrete_fields if not f.primary_key]
    ops = db_connection.ops
    fixed = {
        f.attname: f.get_db_prep_save(f.get_default(), db_connection)
        for f in fields
        if not (f.has_default() and callable(f.default))
    }
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    insert = f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(Reminder._meta.db_table)} ({columns})"
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        fields,
        fixed,
        insert,
        row_sql,
        ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None),
    )


@transaction.atomic
def _settle_stale_sending(pending: QuerySet, *, now: dt.datetime) -> int:
    """Notices whose body went out under a claim that has since gone stale:
    the worker died (or could not write "sent") after the server may have
    taken the digest. Unconfirmed, and never sent again by itself. The claim
    token stays, so that a reply arriving after all still marks them sent."""
    stale = pending.filter(sending_at__isnull=False, claimed_at__lt=_stale_before())
    rows = list(stale.values_list("task_id", "unit_id", "reason", "period", "due_date"))
    if not rows:
        return 0
    stale.update(
        sent_at=F("sending_at"),
        unconfirmed=True,
        last_error="worker stopped after the body was sent; no reply recorded",
    )
    _repeats(rows, now=now)
    logger.warning("reminders: %d notice(s) sent before their worker stopped: unconfirmed", len(rows))
    return len(rows)


def _claim(
    candidates: QuerySet, addresses: Callable[[Reminder], list[str]]
) -> tuple[uuid.UUID, list[Reminder]]:
    """Take the notices for this delivery — one unit's, the office's, or a
    whole batch's: one conditional UPDATE marks those that are unclaimed (or
    whose claim went stale before their body went out, its worker having
    died) with a fresh token; a concurrent delivery matches none of them.
    One read brings them back with what their digests show.

    Notices refused for good are let go again unless the addresses of
    their digest (`addresses`) changed since."""
    clock = timezone.now()
    token = uuid.uuid4()
    candidates.filter(Q(claimed_at=None) | Q(claimed_at__lt=_stale_before()), sending_at=None).update(
        claim_token=token, claimed_at=clock, attempts=F("attempts") + 1
    )
    claimed = Reminder.objects.filter(claim_token=token).select_related(
        "task__indicator__plan", "task__unit", "sent_by", "plan"
    )
    claimed = list(claimed.order_by("pk"))
    refused = {r.pk for r in claimed if r.failed_at and r.recipients == ", ".join(addresses(r))}
    if refused:
        _let_go(token, refused)
    return token, [r for r in claimed if r.pk not in refused]


def _let_go(token, pks=None) -> None:
    """Claimed and not attempted (refused for good to the same addresses,
    taken over by another delivery, or — all of them, without `pks` — the
    digests after the one a batch stopped at): unclaimed, as if this
    delivery had not run."""
    claimed = Reminder.objects.filter(claim_token=token, sending_at=None, sent_at=None)
    (claimed if pks is None else claimed.filter(pk__in=pks)).update(
        claim_token=None, claimed_at=None, attempts=F("attempts") - 1
    )


def _keep_claim(token, claimed_at: dt.datetime) -> dt.datetime:
    """A batch claims all its notices at once; while it works through its
    digests over a slow server, the claim of those still waiting is renewed
    before a digest once a tenth of REMINDER_CLAIM_TIMEOUT_SECONDS has
    passed since it was taken (or last renewed), so that it goes stale only
    when its worker stops, as a claim taken per digest did. Returns the
    moment of the claim."""
    clock = timezone.now()
    if clock - claimed_at < dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS / 10):
        return claimed_at
    Reminder.objects.filter(claim_token=token, sending_at=None, sent_at=None).update(claimed_at=clock)
    return clock


def _drop_void(reminders: list[Reminder], *, token, today: dt.date) -> list[Reminder]:
    void = void_reasons(reminders, today)
    by_reason = defaultdict(list)
    for pk, why in void.items():
        by_reason[why].append(pk)
    for why, pks in by_reason.items():
        Reminder.objects.filter(pk__in=pks, claim_token=token).update(
            voided_at=timezone.now(),
            void_reason=why,
            claim_token=None,
            claimed_at=None,
            attempts=F("attempts") - 1,  # claimed, never attempted
        )
    return [r for r in reminders if r.pk not in void]


def _addressed(digest: "Digest") -> str:
    return ", ".join(digest.recipients)


def _claimed(digest: Digest, token) -> QuerySet:
    """The digest's notices still under its claim. By primary key first: the
    planner, its statistics behind a sweep's thousands of new rows, read
    `claim_token = … AND sent_at IS NULL` through the pending notices' index,
    all of them (10–30 ms a mark at province scale)."""
    return Reminder.objects.filter(pk__in=[r.pk for r in digest.reminders], claim_token=token)


def _mark_sending(digest: Digest, *, token, message_id: str) -> None:
    """Committed before the body goes out: from here on, a worker that dies
    leaves notices that are never sent again by themselves. Conditional on
    the claim: if another delivery took it over (this one having been too
    slow before the body), this one sends nothing."""
    clock = timezone.now()
    with transaction.atomic():
        marked = (
            _claimed(digest, token)
            .filter(sent_at=None, voided_at=None)
            .update(sending_at=clock, claimed_at=clock, recipients=_addressed(digest), message_id=message_id)
        )
        if marked != len(digest.reminders):
            transaction.set_rollback(True)
            raise ClaimLost(f"{digest.label}: {marked} of {len(digest.reminders)} notices still claimed")


@transaction.atomic
def _mark_sent(digest: Digest, *, token, now: dt.datetime, unconfirmed: Exception | None = None) -> None:
    """Sent (or, with `unconfirmed`, the body went out and no reply came):
    record it and schedule the overdue repeats."""
    clock = timezone.now()
    _claimed(digest, token).update(
        sent_at=F("sending_at") if unconfirmed else clock,
        recipients=_addressed(digest),
        unconfirmed=bool(unconfirmed),
        refusals=digest.refusals,
        last_error=f"{type(unconfirmed).__name__}: {unconfirmed}"[:1000] if unconfirmed else "",
        failed_at=None,
        claim_token=None,
    )
    _repeats([(r.task_id, r.unit_id, r.reason, r.period, r.due_date) for r in digest.reminders], now=now)
    for reminder in digest.reminders:
        reminder.sent_at, reminder.recipients = clock, _addressed(digest)
    if unconfirmed:
        digest.outcome, digest.error = UNCONFIRMED, unconfirmed
    else:
        digest.sent, digest.outcome = True, SENT if digest.recipients else PORTAL


def _mark_refused(digest: Digest, *, token, error: mail.NotDelivered) -> None:
    """5xx: not sent again to the same addresses (`_claim` lets them go
    until the unit's recipients change); the office sees why."""
    _claimed(digest, token).filter(sent_at=None).update(
        claim_token=None,
        claimed_at=None,
        sending_at=None,
        failed_at=timezone.now(),
        recipients=_addressed(digest),
        refusals=error.refusals,
        last_error=f"{type(error.error).__name__}: {error.error}"[:1000],
        message_id=digests.message_id(digest.reminders),  # 重新发送 takes the whole e-mail
    )
    digest.outcome, digest.error, digest.refusals = REFUSED, error.error, error.refusals


def _release(digest: Digest, token, error: Exception) -> None:
    """Nothing was delivered: back to pending, for a retry."""
    _claimed(digest, token).filter(sent_at=None).update(
        claim_token=None,
        claimed_at=None,
        sending_at=None,
        failed_at=None,
        last_error=f"{type(error).__name__}: {error}"[:1000],
    )


def _deliver_pending(
    pending: QuerySet, *, now: dt.datetime, unit: Unit | None, recipients, send: bool
) -> Digest | None:
    """One digest of `pending` (its stale "sending" marks settled by the
    caller), over a connection of its own."""
    recipients = list(recipients)
    token, reminders = _claim(pending, lambda reminder: recipients)
    reminders = _drop_void(reminders, token=token, today=local_date(now)) if reminders else []
    if not reminders:
        return None
    return _deliver(
        Digest(unit=unit, recipients=recipients, reminders=reminders), token=token, now=now, send=send
    )


def _deliver(digest: Digest, *, token, now: dt.datetime, send: bool, connection=None) -> Digest | None:
    """Send `digest`, its notices claimed under `token` and those that no
    longer apply dropped. Over `connection` if given, left open for the next
    digest; otherwise over a connection of its own, closed after it."""
    if not (digest.recipients and send):
        _mark_sent(digest, token=token, now=now)
        logger.info(
            "reminder digest to %s: %d notice(s), %s",
            digest.label,
            len(digest.reminders),
            "not sent (dry run)" if digest.recipients else "no e-mail address (portal only)",
        )
        return digest
    own = connection is None
    connection = get_connection() if own else connection
    try:
        try:
            message = digests.digest_message(digest, now=now)
            digest.refusals = mail.transmit(
                connection,
                message,
                before_data=lambda: _mark_sending(
                    digest, token=token, message_id=message.extra_headers["Message-ID"]
                ),
            )
        except ClaimLost as lost:
            # Let go of what this delivery may still hold; the other one sends the rest.
            _let_go(token, [r.pk for r in digest.reminders])
            logger.info("reminder digest not sent, another delivery has it: %s", lost)
            return None
        except mail.Unconfirmed as unconfirmed:
            _mark_sent(digest, token=token, now=now, unconfirmed=unconfirmed.error)
            logger.warning(
                "reminder digest to %s: body sent, no reply (%s): unconfirmed, not retried",
                digest.label,
                unconfirmed,
            )
            return digest
        except mail.NotDelivered as refused:
            if refused.permanent:
                _mark_refused(digest, token=token, error=refused)
                logger.error("reminder digest to %s refused permanently: %s", digest.label, refused)
                return digest
            _release(digest, token, refused.error)
            logger.warning("reminder digest to %s not sent: %s", digest.label, refused)
            raise DeliveryFailed(digest, refused.error) from refused
        except Exception as error:
            # Whatever went wrong before the body went out, the notices must not stay claimed.
            _release(digest, token, error)
            logger.warning("reminder digest to %s not sent: %s", digest.label, error)
            raise DeliveryFailed(digest, error) from error
        accepted = time.perf_counter()
        _mark_sent(digest, token=token, now=now)
        marked_ms = (time.perf_counter() - accepted) * 1000
    finally:
        if own:
            connection.close()
    logger.info(
        "reminder digest to %s: %d notice(s), %s%s; marked sent %.1f ms after the server's reply",
        digest.label,
        len(digest.reminders),
        _addressed(digest),
        f" (refused: {', '.join(digest.refusals)})" if digest.refusals else "",
        marked_ms,
    )
    return digest


def deliver_unit(*, unit_id: int, now: dt.datetime, send: bool = True) -> Digest | None:
    """Send the unit one digest of its pending notices; None when there are
    none (or another delivery has them). Raises DeliveryFailed when it should
    be tried again; returns a Digest whose outcome is UNCONFIRMED or REFUSED
    when it must not be."""
    unit = Unit.objects.get(pk=unit_id)
    pending = Reminder.objects.pending(now=now).to_units().filter(unit=unit)
    _settle_stale_sending(pending, now=now)
    return _deliver_pending(pending, now=now, unit=unit, recipients=unit_recipients(unit), send=send)


@dataclass
class Batch:
    """What became of a batch of units' digests (`deliver_units`)."""

    digests: list[Digest] = field(default_factory=list)
    failure: DeliveryFailed | None = None  # the digest the batch stopped at, left for a retry
    left: list[int] = field(default_factory=list)  # units after it: not attempted


def deliver_units(*, unit_ids: list[int], now: dt.datetime, send: bool = True) -> Batch:
    """Each unit's digest, as `deliver_unit` sends it, one after another over
    one SMTP connection: a connection per digest cost more than the digest
    (issue 15). Recipients are read, stale "sending" marks settled, and the
    notices claimed (`_keep_claim` renews the claim of those still waiting),
    read and checked once for the batch; each digest is still marked
    "sending" before its body and "sent" after its 250 on its own, so a
    worker that dies mid-batch leaves every digest in one of the states above.

    The batch stops at the first digest that fails in a way that may pass
    (the server hung up, did not answer, or refused with a 4xx) or went out
    unconfirmed: that digest follows the rules above, and the units after it
    are returned in `left`, their notices let go of (unclaimed, the attempt
    taken back), for the caller to retry. A digest refused for good does not
    stop it."""
    units = Unit.objects.in_bulk(unit_ids)
    recipients = units_recipients(list(units.values()))
    pending = Reminder.objects.pending(now=now).to_units().filter(unit_id__in=list(units))
    _settle_stale_sending(pending, now=now)
    claimed_at = timezone.now()
    token, claimed = _claim(pending, lambda reminder: recipients[reminder.unit_id])
    by_unit = defaultdict(list)
    for reminder in _drop_void(claimed, token=token, today=local_date(now)) if claimed else []:
        by_unit[reminder.unit_id].append(reminder)
    batch, finished = Batch(), False
    connection = get_connection() if send and by_unit else None
    try:
        for position, unit_id in enumerate(unit_ids):
            if unit_id not in by_unit:  # nothing to send (or the unit was deleted since)
                continue
            unit = units[unit_id]
            claimed_at = _keep_claim(token, claimed_at)
            try:
                digest = _deliver(
                    Digest(unit=unit, recipients=recipients[unit_id], reminders=by_unit[unit_id]),
                    token=token,
                    now=now,
                    send=send,
                    connection=connection,
                )
            except DeliveryFailed as failure:
                batch.failure = failure
            else:
                if digest:
                    batch.digests.append(digest)
                if not (digest and digest.outcome == UNCONFIRMED):
                    continue
            batch.left = list(unit_ids[position + 1 :])
            break
        finished = True
    finally:
        if connection is not None:
            connection.close()
        if batch.left or not finished:  # stopped, or an error: the digests not attempted go back
            _let_go(token)
    if batch.left:
        logger.warning(
            "reminder batch stopped at %s: %d unit(s) left for a retry", unit.name, len(batch.left)
        )
    return batch


def deliver_office(*, now: dt.datetime, send: bool = True) -> Digest | None:
    """Send the reform office one digest of the pending escalations (and
    reports of unowned work)."""
    pending = Reminder.objects.pending(now=now).to_office()
    _settle_stale_sending(pending, now=now)
    return _deliver_pending(pending, now=now, unit=None, recipients=office_recipients(), send=send)
