"""The reminder sweep: find what is due, record it once, deliver it once.

A sweep, as of a moment in Asia/Shanghai, runs small steps in one
transaction, with its `SweepRun`. Each `find_*` step looks for one kind of
due work, records a `Reminder` row per task for it and returns how many rows
it inserted:

- `find_overdue` — past the due date and not verified: the first notice for
  that due date (repeats are scheduled when a notice is sent, see
  `reminders.delivery._repeats`);
- `find_due_soon` — not done, due within the plan's N working days;
- `find_report_missing` — still open with no progress report this month, from
  the plan's report day D on;
- `find_escalations` — overdue for more than 15 days: to the reform office;
- `find_unowned` — an active plan's indicators nobody holds and groups with
  no members: to the reform office, once a week while it lasts;
- `find_consultation_due_soon` — a consultation due within N working days:
  the units asked that have not answered;
- `find_consultation_deemed` — past a consultation's deadline: the units that
  did not answer are recorded as no objection (an answer, not a notice);
- `find_instructions_unanswered` — an instruction (批示) past its reply
  deadline: each unit concerned that has not answered, once per
  instruction and unit.

Only tasks of active plans (执行中) are looked at: a closed year records nothing.

Then `deliver_unit` / `deliver_office` (reminders.delivery)
send one digest per unit (and one to the reform office for escalations) with
every pending notice whose time has come: claim the rows with a conditional
UPDATE, mark them "sending" before the body goes out and "sent" once the mail
server accepted; a refusal before the body releases the claim so the next
attempt (the retry run, or the next sweep) sends them.

Nothing here knows about Celery: `reminders.jobs` and the `send_reminders`
command call `run()`, `deliveries_to_queue()` and the `deliver_*`
functions. The lock is reminders.lock. See docs/reminders.md."""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import AutoField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from indicators.consultations import consultation_record_deemed, consultations_past_deadline
from indicators.models import Consultation, ConsultationAnswer, Plan
from indicators.selectors import plan_unit_ids, plan_unowned
from tasks.instructions import concerned_unit_ids, running_q, with_subjects
from tasks.models import Instruction, ProgressReport, Task

from . import channels
from .channels import ChannelResult
from .delivery import REFUSED, DeliveryFailed, Digest, deliver_office, deliver_unit
from .lock import sweep_lock
from .models import ChannelSettings, Reminder, SweepRun
from .workdays import WorkdayCalendar, local_date, start_of_day

logger = logging.getLogger(__name__)

Reason = Reminder.Reason
ESCALATE_AFTER_DAYS = 15  # overdue for more than this many days
# Tasks a unit still has to work on (and so to report on every month).
OPEN_STATUSES = [Task.Status.NOT_STARTED, Task.Status.IN_PROGRESS, Task.Status.RETURNED]


# Finding due work. Each step runs in one transaction (inside the sweep's)
# and returns how many notices it recorded (0: nothing due). Rows that exist
# already are skipped by the query and, should a concurrent sweep insert them
# first, by the unique constraint (ON CONFLICT DO NOTHING); the count is of
# the rows this sweep inserted. Voided notices count for nothing: a notice
# that applies again (the due date moved back, the unit was re-added) is
# recorded again.


def _running_tasks() -> QuerySet:
    """Tasks of active plans (执行中) only: a closed year (or a draft) records
    no notice."""
    return Task.objects.filter(is_active=True, indicator__plan__status=Plan.Status.ACTIVE)


def _open_tasks() -> QuerySet:
    # Matches the partial index task_open_due.
    return _running_tasks().exclude(status=Task.Status.VERIFIED)


def _noticed_for_due_date(reason: str) -> Exists:
    """A live notice of this reason exists for the task's current due date."""
    return Exists(
        Reminder.objects.live().filter(task=OuterRef("pk"), reason=reason, due_date=OuterRef("due_date"))
    )


def insert_new(rows: list[models.Model]) -> list[int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the primary keys of the
    rows this statement inserted, leaving out those a unique constraint
    turned away (recorded already, or a moment earlier by a concurrent
    sweep), which bulk_create(ignore_conflicts=True) cannot tell apart.
    Django writes the SQL (every column, PostgreSQL or SQLite); we only ask
    for the keys back."""
    if not rows:
        return []
    opts = rows[0]._meta
    fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, AutoField)]
    inserted = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            query = InsertQuery(type(rows[0]), on_conflict=OnConflict.IGNORE)
            query.insert_values(fields, rows[start : start + 1000])
            compiler = query.get_compiler(connection=connection)
            compiler.returning_fields = [opts.pk]
            for sql, params in compiler.as_sql():
                cursor.execute(sql, params)
                inserted += [pk for (pk,) in cursor.fetchall()]
    return inserted


def _record(tasks: QuerySet, *, reason: str, period, now: dt.datetime) -> int:
    rows = [
        Reminder(
            task_id=task_id,
            unit_id=unit_id,
            reason=reason,
            period=period(due_date),
            due_date=due_date,
            remind_after=now,
            created_at=now,
        )
        for task_id, unit_id, due_date in tasks.order_by("pk").values_list("pk", "unit_id", "due_date")
    ]
    return _log_recorded(reason, len(insert_new(rows)), now)


def _log_recorded(reason: str, count: int, now: dt.datetime) -> int:
    if count:
        logger.info("reminders: %d %s notice(s) as of %s", count, reason, now.isoformat())
    return count


@transaction.atomic
def find_overdue(*, now: dt.datetime, calendar: WorkdayCalendar | None = None) -> int:
    """The first overdue notice for each task past its due date and not
    verified (``2019-07-31#0``). Repeats are scheduled when a notice is sent
    (see `_mark_sent`); a task whose waiting repeat was voided when its day
    came (the unit had been removed, the due date moved, the task verified)
    and that is overdue again on the same due date gets that repeat now. It
    runs at month end whatever the day, since every annex deadline is a
    month end."""
    overdue = _open_tasks().filter(due_date__lt=local_date(now))
    found = _record(
        overdue.exclude(_noticed_for_due_date(Reason.OVERDUE)),
        reason=Reason.OVERDUE,
        period=lambda due: f"{due.isoformat()}#0",
        now=now,
    )
    live = Reminder.objects.live().filter(
        task=OuterRef("pk"), reason=Reason.OVERDUE, due_date=OuterRef("due_date")
    )
    last_sent = live.filter(sent_at__isnull=False).order_by("-sent_at", "-pk").values("period")[:1]
    stalled = (
        overdue.filter(Exists(live))
        .exclude(Exists(live.filter(sent_at=None)))
        .annotate(last_period=Subquery(last_sent))
        .exclude(last_period=None)
    )
    rows = [
        Reminder.overdue_repeat(task_id, unit_id, due_date, after=last_period, at=now, created_at=now)
        for task_id, unit_id, due_date, last_period in stalled.order_by("pk").values_list(
            "pk", "unit_id", "due_date", "last_period"
        )
    ]
    return found + _log_recorded("resumed overdue", len(insert_new(rows)), now)


@transaction.atomic
def find_due_soon(*, now: dt.datetime, calendar: WorkdayCalendar) -> int:
    """Tasks not done whose due date is at most N working days away (N set per
    plan), once per due date. A sweep that did not run on the day a task came
    within N days sends it at the next run."""
    today = local_date(now)
    found = 0
    for days in Plan.objects.order_by().values_list("due_soon_days", flat=True).distinct():
        tasks = (
            _open_tasks()
            .filter(
                indicator__plan__due_soon_days=days,
                due_date__gte=today,
                due_date__lte=calendar.horizon(today, days),
            )
            .exclude(status=Task.Status.COMPLETED)
            .exclude(_noticed_for_due_date(Reason.DUE_SOON))
        )
        found += _record(tasks, reason=Reason.DUE_SOON, period=dt.date.isoformat, now=now)
    return found


@transaction.atomic
def find_report_missing(*, now: dt.datetime, calendar: WorkdayCalendar | None = None) -> int:
    """Tasks still open (ongoing 全年 items too) with no progress report since
    the first of the month, once the plan's report day has come; once a month."""
    today = local_date(now)
    period = f"{today:%Y-%m}"
    reported = ProgressReport.objects.filter(
        task=OuterRef("pk"), created_at__gte=start_of_day(today.replace(day=1))
    )
    noticed = Reminder.objects.live().filter(task=OuterRef("pk"), reason=Reason.REPORT_MISSING, period=period)
    tasks = (
        _running_tasks()
        .filter(
            status__in=OPEN_STATUSES,
            indicator__plan__year__lte=today.year,
            indicator__plan__report_day__lte=today.day,
        )
        .exclude(Exists(reported))
        .exclude(Exists(noticed))
    )
    return _record(tasks, reason=Reason.REPORT_MISSING, period=lambda due: period, now=now)


@transaction.atomic
def find_escalations(*, now: dt.datetime, calendar: WorkdayCalendar | None = None) -> int:
    """Tasks overdue for more than 15 days, once per due date, for the reform
    office's digest."""
    cutoff = local_date(now) - dt.timedelta(days=ESCALATE_AFTER_DAYS)
    tasks = _open_tasks().filter(due_date__lt=cutoff).exclude(_noticed_for_due_date(Reason.ESCALATION))
    return _record(tasks, reason=Reason.ESCALATION, period=dt.date.isoformat, now=now)


@transaction.atomic
def find_unowned(*, now: dt.datetime, calendar: WorkdayCalendar | None = None) -> int:
    """Indicators of an active plan that nobody holds, and groups on it with
    no members: one notice to the reform office per plan and ISO week while
    it lasts (the first sweep of the week records it; the period names the
    week, so the constraint keeps it once)."""
    year, week, _weekday = local_date(now).isocalendar()
    # Plans already reported this week are not looked at again (the reading
    # costs a few queries per plan; the daily sweep would repeat it).
    reported = Reminder.objects.live().filter(reason=Reason.UNOWNED, period__endswith=f"/{year}-W{week:02d}")
    rows = []
    for plan in Plan.objects.active().exclude(pk__in=reported.values("plan_id")).order_by("year"):
        unowned = plan_unowned(plan=plan)
        if unowned:
            rows.append(
                Reminder(
                    plan=plan,
                    reason=Reason.UNOWNED,
                    period=f"{plan.year}/{year}-W{week:02d}",
                    remind_after=now,
                    created_at=now,
                    note=unowned.summary(),
                )
            )
    return _log_recorded(Reason.UNOWNED, len(insert_new(rows)), now)


@transaction.atomic
def find_consultation_due_soon(*, now: dt.datetime, calendar: WorkdayCalendar) -> int:
    """Units asked in a consultation that have not answered, once its
    deadline is at most the plan's N working days away: one notice per unit
    and consultation (``2019/2019-04-30``)."""
    today = local_date(now)
    rows = []
    open_consultations = Consultation.objects.filter(
        closed_at=None, plan__status=Plan.Status.CONSULTATION, deadline__gte=today
    ).select_related("plan")
    for consultation in open_consultations:
        plan = consultation.plan
        if consultation.deadline > calendar.horizon(today, plan.due_soon_days):
            continue
        answered = set(
            ConsultationAnswer.objects.filter(consultation=consultation).values_list("unit_id", flat=True)
        )
        rows += [
            Reminder(
                plan=plan,
                unit_id=unit_id,
                reason=Reason.CONSULTATION,
                period=f"{plan.year}/{consultation.deadline.isoformat()}",
                due_date=consultation.deadline,
                remind_after=now,
                created_at=now,
            )
            for unit_id in sorted(plan_unit_ids(plan) - answered)
        ]
    return _log_recorded(Reason.CONSULTATION, len(insert_new(rows)), now)


DEEMED = "consultation_deemed"


@transaction.atomic
def find_consultation_deemed(*, now: dt.datetime, calendar: WorkdayCalendar | None = None) -> int:
    """After a consultation's deadline: the units that did not answer are
    recorded as "逾期未反馈，视作无意见" — once per unit, even when two sweeps
    run at once (indicators.consultations.consultation_record_deemed)."""
    recorded = 0
    for consultation in consultations_past_deadline(today=local_date(now)):
        if consultation.plan.status == Plan.Status.CONSULTATION:
            recorded += consultation_record_deemed(consultation=consultation, now=now)
    return _log_recorded(DEEMED, recorded, now)


INSTRUCTION_NOTE_CHARS = 200


@transaction.atomic
def find_instructions_unanswered(*, now: dt.datetime, calendar: WorkdayCalendar | None = None) -> int:
    """Instructions past their reply deadline (still running: on a unit, or
    on a plan in progress): one notice to each unit concerned that has not
    answered, once per instruction and unit (``instruction/12``; the
    constraint reminder_instruction_once_live turns a second one away). The
    note carries the instruction's words, so the digest can quote them."""
    overdue = with_subjects(
        Instruction.objects.filter(running_q(), reply_due__lt=local_date(now)).order_by("pk")
    ).prefetch_related(
        models.Prefetch(
            "reminders",
            queryset=Reminder.objects.live().filter(reason=Reason.INSTRUCTION),
            to_attr="live_notices",
        )
    )
    rows = []
    for instruction in overdue:
        done = {r.unit_id for r in instruction.replies.all()} | {n.unit_id for n in instruction.live_notices}
        text = " ".join(instruction.text.split())
        if len(text) > INSTRUCTION_NOTE_CHARS:
            text = text[:INSTRUCTION_NOTE_CHARS] + "…"
        rows += [
            Reminder(
                instruction=instruction,
                plan=instruction.plan,
                unit_id=unit_id,
                reason=Reason.INSTRUCTION,
                period=f"instruction/{instruction.pk}",
                due_date=instruction.reply_due,
                remind_after=now,
                created_at=now,
                note=f"{instruction.author.get_full_name() or instruction.author.username}：{text}",
            )
            for unit_id in concerned_unit_ids(instruction)
            if unit_id not in done
        ]
    return _log_recorded(Reason.INSTRUCTION, len(insert_new(rows)), now)


DAILY_STEPS = [
    (Reason.OVERDUE, find_overdue),
    (Reason.DUE_SOON, find_due_soon),
    (Reason.REPORT_MISSING, find_report_missing),
    (Reason.ESCALATION, find_escalations),
    (Reason.UNOWNED, find_unowned),
    (Reason.CONSULTATION, find_consultation_due_soon),
    (DEEMED, find_consultation_deemed),
    (Reason.INSTRUCTION, find_instructions_unanswered),
]
MONTH_END_STEPS = [(Reason.OVERDUE, find_overdue)]


# Delivering (reminders.delivery): which deliveries are due.


def units_with_pending(*, now: dt.datetime) -> list[int]:
    """Units with notices waiting to go out (escalations excepted)."""
    pending = Reminder.objects.pending(now=now).to_units().order_by("unit_id")
    return list(pending.values_list("unit_id", flat=True).distinct())


def office_has_pending(*, now: dt.datetime) -> bool:
    return Reminder.objects.pending(now=now).to_office().exists()


def deliveries_to_queue(*, now: dt.datetime, retries_only: bool = False) -> tuple[list[int], bool]:
    """The units (and whether the reform office) a delivery job must be
    queued for, as of `now`: their pending notices that no queued delivery
    covers — new ones (recorded by this sweep, repeats whose day came, ones
    a delivery gave up on) unless `retries_only`, and those whose retry
    moment came (a refused digest, a job lost with the broker). Marks them
    covered for REMINDER_CLAIM_TIMEOUT_SECONDS, so that a backlog of sweeps,
    or the retry run meanwhile, queues nothing more for them; if their job
    has not sent them by then, the retry run queues another."""
    clock = timezone.now()
    uncovered = Q(retry_after__lte=clock) if retries_only else Q(retry_after=None) | Q(retry_after__lte=clock)
    with transaction.atomic():
        waiting = Reminder.objects.pending(now=now).filter(uncovered)
        if retries_only:
            # Refused for good (5xx): only the sweep looks at them again, in
            # case the unit's addresses changed; not the retry run.
            waiting = waiting.filter(failed_at=None)
        targets = set(waiting.order_by().values_list("unit_id", "reason").distinct())
        waiting.filter(failed_at=None).update(
            retry_after=clock + dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)
        )
    units = sorted({unit_id for unit_id, reason in targets if reason not in Reminder.OFFICE_REASONS})
    return units, any(reason in Reminder.OFFICE_REASONS for _, reason in targets)


# The sweep.


@dataclass
class SweepResult:
    as_of: dt.datetime
    month_end: bool
    dry_run: bool = False
    skipped: str = ""
    found: dict[str, int] = field(default_factory=dict)
    digests: list[Digest] = field(default_factory=list)
    failures: list[DeliveryFailed] = field(default_factory=list)
    fallback_years: set[int] = field(default_factory=set)
    sent_by_channel: list[ChannelResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ran(self) -> bool:
        return not self.skipped

    def summary(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "month_end": self.month_end,
            "skipped": self.skipped,
            "found": self.found,
            "digests": len(self.digests),
            "failures": [str(f) for f in self.failures],
            "channels": [
                f"{c.channel} {c.label}: {c.count} {c.outcome.status}" for c in self.sent_by_channel
            ],
            "fallback_years": sorted(self.fallback_years),
            "seconds": round(self.seconds, 3),
        }


def deliver_all(*, now: dt.datetime, send: bool = True) -> tuple[list[Digest], list[DeliveryFailed]]:
    """Every pending digest, in this process: the `send_reminders` command's
    way (Celery fans out one job per digest instead, see reminders.jobs)."""
    digests, failures = [], []
    deliveries = [(deliver_unit, {"unit_id": unit_id}) for unit_id in units_with_pending(now=now)]
    if office_has_pending(now=now):
        deliveries.append((deliver_office, {}))
    for deliver, kwargs in deliveries:
        try:
            digest = deliver(now=now, send=send, **kwargs)
        except DeliveryFailed as failure:
            failures.append(failure)
        else:
            if digest and digest.outcome == REFUSED:
                failures.append(DeliveryFailed(digest, digest.error, permanent=True))
            elif digest:
                digests.append(digest)
    return digests, failures


def run(
    *,
    now: dt.datetime | None = None,
    month_end: bool = False,
    any_day: bool = False,
    deliver: bool = True,
    dry_run: bool = False,
    once: bool = False,
) -> SweepResult:
    """Run the sweep as of `now`: the daily sweep (working days only, unless
    `any_day`) or the month-end one (overdue notices only, any day). With
    `deliver`, send the digests here too; with `dry_run`, do everything but
    send and then roll it all back, so the result shows what would happen.
    With `once` (beat's trigger), a sweep of the same kind that has already
    run for the day (the month, for month end) is dropped."""
    now = now or timezone.now()
    result = SweepResult(as_of=now, month_end=month_end, dry_run=dry_run)
    started = time.perf_counter()
    calendar = WorkdayCalendar.load()
    if not (month_end or any_day or calendar.is_workday(local_date(now))):
        result.skipped = "not a working day"
    elif dry_run:
        with transaction.atomic():
            _record_and_deliver(result, calendar=calendar, deliver=deliver, send=False, once=False)
            transaction.set_rollback(True)
    else:
        with sweep_lock() as held:
            if held:
                _record_and_deliver(result, calendar=calendar, deliver=deliver, send=True, once=once)
            else:
                result.skipped = "another sweep is running"
    result.fallback_years = set(calendar.fallback_years)
    result.seconds = time.perf_counter() - started
    logger.info("reminder sweep: %s", result.summary())
    return result


def _sweep_period(*, now: dt.datetime, month_end: bool) -> tuple[str, dt.date]:
    """The kind of sweep and the period it runs for: the day, or for the
    month-end sweep the first of the month."""
    today = local_date(now)
    if month_end:
        return SweepRun.Kind.MONTH_END, today.replace(day=1)
    return SweepRun.Kind.DAILY, today


# A sweep that records this many notices refreshes the table's statistics.
ANALYZE_AFTER = 1000


def _analyze_notices() -> None:
    """PostgreSQL's statistics, before the deliveries read what the sweep
    wrote. Autovacuum analyses a table once a tenth of it changed: a
    month-end sweep's 30,000 notices on a table of a few hundred thousand
    do not qualify, and the planner, still counting the pending notices'
    index as near empty, read each digest's claim through the whole of it
    (10–30 ms a statement; issue 15). A few hundred milliseconds, once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Reminder._meta.db_table}")


def _record_and_deliver(
    result: SweepResult, *, calendar: WorkdayCalendar, deliver: bool, send: bool, once: bool
) -> None:
    """Record what is due in one transaction, with the sweep's run: all of
    it or (on any error) nothing; then deliver."""
    kind, period = _sweep_period(now=result.as_of, month_end=result.month_end)
    with transaction.atomic():
        # A concurrent sweep for the same period waits here until the other
        # commits, then finds its run.
        run = insert_new([SweepRun(kind=kind, period=period, as_of=result.as_of, started_at=timezone.now())])
        if once and not run:
            result.skipped = f"the {kind} sweep for {period} has run already"
            return
        for reason, step in MONTH_END_STEPS if result.month_end else DAILY_STEPS:
            result.found[str(reason)] = step(now=result.as_of, calendar=calendar)
        if run:
            SweepRun.objects.filter(pk=run[0]).update(finished_at=timezone.now(), recorded=result.found)
    if sum(result.found.values()) >= ANALYZE_AFTER:
        _analyze_notices()
    if deliver:
        destinations = [*units_with_pending(now=result.as_of), None]
        result.digests, result.failures = deliver_all(now=result.as_of, send=send)
        if send:  # a message posted cannot be rolled back: not in a dry run
            result.sent_by_channel = deliver_channels(unit_ids=destinations, now=result.as_of)


def deliver_channels(*, unit_ids: list[int | None], now: dt.datetime) -> list[ChannelResult]:
    """The channels beside e-mail (DingTalk, SMS) of these units (None: the
    office), in this process: the `send_reminders` command's way."""
    results = []
    # One query for who has a channel on at all (most units, often none).
    switched_on = ChannelSettings.objects.filter(Q(dingtalk_enabled=True) | Q(sms_enabled=True))
    with_channels = set(switched_on.values_list("unit_id", flat=True))
    for unit_id in (u for u in unit_ids if u in with_channels):
        for channel in channels.enabled_channels(unit_id):
            result = channels.deliver(channel=channel, unit_id=unit_id, now=now)
            if result:
                results.append(result)
    return results
