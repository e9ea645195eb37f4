"""The months of the plan year so far, simulated through the services.

Every row is what the portal would have written on that day: progress
reports (tasks.services.progress_report_create), evidence files, the
office's reviews (task_review), and the reminder sweeps at the working day
after each month's report day and at each month end (reminders.sweep.run),
each called with `now=` the simulated moment, so the task history, the
notices and the reports carry the simulated dates. No clock is moved
(time-machine is a test dependency only).

Deterministic: one random.Random seeded with the year; a task's fate is
drawn in task order, the events then run in time order.

The fates (share of tasks): most units report every month with rising
percent, a few skip months; a task is finished early, near its deadline,
late, or not at all (then overdue once its deadline passed). A claim is
verified, or returned with a reason and completed again. The office
confirms the targets read from the task texts on the first day, and the lead
unit's reports carry their values, rising with the reported percent."""

import calendar
import datetime as dt
import io
import logging
import random
import struct
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from dashboards.models import MonthEnd
from indicators.models import IndicatorUnit, Plan, Target
from indicators.target_services import target_confirm
from reminders import sweep
from reminders.workdays import WorkdayCalendar
from tasks import services
from tasks.models import ProgressReport, Review, Task, site_timezone
from tasks.target_values import ReportedValue

from . import texts
from .setup import unit_reporters

OFFICE = "office"
SEED = 20190425  # the day the draft went out for comments
WORK_HOURS = (9, 17)
# Claims returned in the last weeks and not yet completed again.
RETURNS_WAITING = 3
HOUR = dt.timedelta(hours=1)


def plan_start(*, year: int, now: dt.datetime) -> dt.datetime:
    """When the demo's plan is imported: 9:00 on the first working day of
    its year, or now if that is still to come."""
    workdays = WorkdayCalendar.load()
    day = dt.date(year, 1, 1)
    while not workdays.is_workday(day):
        day += dt.timedelta(days=1)
    return min(now, dt.datetime.combine(day, dt.time(9), tzinfo=site_timezone()))


def is_built(*, plan: Plan) -> bool:
    """The story of this plan has run (its reports exist)."""
    return ProgressReport.objects.filter(task__indicator__plan=plan).exists()


@dataclass(order=True)
class Event:
    at: dt.datetime
    order: int  # ties: in the order drawn
    kind: str = field(compare=False)  # "report", "review", "sweep", "month_end"
    task_id: int | None = field(default=None, compare=False)
    values: dict = field(default_factory=dict, compare=False)


class Story:
    def __init__(
        self, plan: Plan, now: dt.datetime, *, light: bool = False, start: dt.datetime | None = None
    ):
        # light (a past year, closed): a report every third month, no sweeps.
        self.light = light
        self.plan = plan
        self.now = now
        self.end = min(
            now, dt.datetime.combine(dt.date(plan.year + 1, 1, 1), dt.time.min, tzinfo=site_timezone())
        )
        self.start = start or plan_start(year=plan.year, now=now)
        self.rng = random.Random(SEED + plan.year)
        self.workdays = WorkdayCalendar.load()
        self.events: list[Event] = []
        self.returns_waiting = 0
        # Target values draw from their own generator: the fates stay as
        # they were before targets existed.
        self.value_rng = random.Random(SEED + plan.year + 1)
        self.targets: dict[int, list[Target]] = defaultdict(list)

    def confirm_targets(self, office) -> int:
        """The office confirms every proposed target on the story's first
        day; the lead units report against them from then on."""
        proposed = Target.objects.filter(indicator__plan=self.plan, status=Target.Status.PROPOSED)
        confirmed = target_confirm(targets=proposed, user=office, now=self.start)
        for target in Target.objects.filter(indicator__plan=self.plan, status=Target.Status.CONFIRMED):
            self.targets[target.indicator_id].append(target)
        return confirmed

    def _target_values(self, task: Task, percent: int, day: dt.date) -> list[ReportedValue]:
        """The lead's figures for its indicator's targets: as far along as
        its percent, give or take, so some are met and some fall short."""
        if task.role != IndicatorUnit.Role.LEAD:
            return []
        values = []
        for target in self.targets.get(task.indicator_id, ()):
            share = Decimal(min(percent * self.value_rng.uniform(0.85, 1.1), 100)) / 100
            if target.direction == Target.Direction.RANGE:
                value = target.value_min + (target.value_max - target.value_min) * share
            elif target.direction == Target.Direction.AT_MOST:
                value = target.value * (2 - share)  # from twice the limit down to it
            else:
                value = target.value * share
            value = value.quantize(Decimal("1") if value >= 10 else Decimal("0.1"), ROUND_HALF_UP)
            if target.is_percent:
                value = min(value, Decimal(100))
            values.append(ReportedValue(target.pk, value, day, source="单位统计"))
        return values

    # When things happen.

    def _at(self, day: dt.date) -> dt.datetime:
        """A moment in working hours on `day`, or the next working day."""
        while not self.workdays.is_workday(day):
            day += dt.timedelta(days=1)
        hour = self.rng.randint(*WORK_HOURS)
        return dt.datetime.combine(day, dt.time(hour, self.rng.randrange(0, 60, 5)), tzinfo=site_timezone())

    def _add(self, at: dt.datetime, kind: str, task_id=None, **values) -> bool:
        if not self.start < at < self.end:
            return False
        self.events.append(Event(at, len(self.events), kind, task_id, values))
        return True

    # What happens.

    def draw(self, tasks: list[Task]) -> None:
        diligent = {}
        for task in tasks:
            if task.unit_id not in diligent:
                diligent[task.unit_id] = self.rng.random() < 0.85
            self._draw_task(task, diligent=diligent[task.unit_id])
        if not self.light:
            self._draw_sweeps()

    def _draw_task(self, task: Task, *, diligent: bool) -> None:
        rng = self.rng
        due = dt.datetime.combine(task.due_date, dt.time(17), tzinfo=site_timezone())
        fate = rng.random()
        if task.indicator.ongoing:
            done_at = None  # 全年: runs until the year's end
        elif fate < 0.55:
            done_at = due - dt.timedelta(days=rng.uniform(4, 45))  # early
        elif fate < 0.78:
            done_at = due - dt.timedelta(days=rng.uniform(0, 3))  # just in time
        elif fate < 0.9:
            done_at = due + dt.timedelta(days=rng.uniform(4, 40))  # late
        else:
            done_at = None  # not finished: overdue once due
        if done_at is None and not diligent and rng.random() < 0.5:
            return  # never started: the sweep chases it
        # Monthly reports from a month or two into the year until done; each
        # event of a task after the one before it.
        last = self.start
        month, percent = min(rng.randint(1, 3), task.due_date.month), 0
        stop = min(done_at or self.end, self.end)
        while month <= 12:
            at = max(self._at(dt.date(self.plan.year, month, rng.randint(5, 22))), last + HOUR)
            if at >= stop:
                break
            if diligent or rng.random() < 0.5:
                span = max((due - self.start).total_seconds(), 1)
                share = (at - self.start).total_seconds() / span
                percent = max(percent, min(90, 5 * round((100 * share + rng.uniform(-10, 15)) / 5)), 5)
                self._add(at, "report", task.pk, status=Task.Status.IN_PROGRESS, percent=percent)
                last = at
            month += 3 if self.light else 1
        if done_at is None:
            return

        def after(moment: dt.datetime, days: int) -> dt.datetime:
            return max(self._at((moment + dt.timedelta(days=days)).date()), moment + HOUR)

        done_at = after(max(done_at, last), 0)
        evidence = rng.random() < 0.2
        if not self._add(
            done_at, "report", task.pk, status=Task.Status.COMPLETED, percent=100, evidence=evidence
        ):
            return
        checked = after(done_at, rng.randint(1, 6))
        if self.returns_waiting < RETURNS_WAITING and self.end - dt.timedelta(days=45) < checked < self.end:
            # Returned lately, the unit still on it: the overview has some.
            self.returns_waiting += 1
            self._add(checked, "review", task.pk, decision=Review.Decision.RETURNED)
            return
        if rng.random() < 0.12:
            if not self._add(checked, "review", task.pk, decision=Review.Decision.RETURNED):
                return
            again = after(checked, rng.randint(3, 12))
            if not self._add(again, "report", task.pk, status=Task.Status.COMPLETED, percent=100, again=True):
                return
            checked = after(again, rng.randint(1, 5))
        self._add(checked, "review", task.pk, decision=Review.Decision.VERIFIED)

    def _draw_sweeps(self) -> None:
        """The sweeps beat would have run: the daily one on the first working
        day after the report day (due soon, report missing, overdue) and the
        month-end one just after midnight on the 1st (overdue)."""
        for month in range(1, 13):
            day = dt.date(self.plan.year, month, self.plan.report_day + 1)
            while not self.workdays.is_workday(day):
                day += dt.timedelta(days=1)
            self._add(dt.datetime.combine(day, dt.time(8, 30), tzinfo=site_timezone()), "sweep")
            last = calendar.monthrange(self.plan.year, month)[1]
            midnight = dt.datetime.combine(
                dt.date(self.plan.year, month, last), dt.time.min, tzinfo=site_timezone()
            )
            self._add(midnight + dt.timedelta(days=1, minutes=10), "month_end")

    # Writing it, through the services.

    def run(self, tasks: dict[int, Task], reporters: dict, office) -> Counter:
        """The events in time order. What happens between two sweeps is
        committed at once (one transaction: SQLite commits cost a disk
        flush each), so the reports' on-commit signals have run when the
        sweep looks."""
        done = Counter()
        batch: list[Event] = []
        for event in [*sorted(self.events), None]:
            if event is not None and event.kind not in ("sweep", "month_end"):
                batch.append(event)
                continue
            with transaction.atomic():
                for work in batch:
                    self._work(work, tasks, reporters, office, done)
            batch = []
            if event is not None:
                result = sweep.run(now=event.at, month_end=event.kind == "month_end", any_day=True)
                done["notices"] += sum(result.found.values())
                done["digests"] += len(result.digests)
        return done

    def _work(self, event: Event, tasks: dict[int, Task], reporters: dict, office, done: Counter) -> None:
        task = tasks[event.task_id]
        if event.kind == "report":
            self._report(task, reporters[task.unit_id], event)
            done["reports"] += 1
            return
        decision = event.values["decision"]
        reason = texts.return_reason(self.rng, task.indicator) if decision == Review.Decision.RETURNED else ""
        services.task_review(
            task=task,
            user=office,
            decision=decision,
            reason=reason,
            expected_version=task.version,
            now=event.at,
        )
        done[str(decision)] += 1

    def _report(self, task: Task, user, event: Event) -> None:
        values = event.values
        indicator = task.indicator
        if values["status"] == Task.Status.COMPLETED:
            progress = (
                texts.resubmitted(indicator) if values.get("again") else texts.completed(self.rng, indicator)
            )
            problems, next_steps = "", ""
        else:
            progress, problems, next_steps = texts.progress(self.rng, indicator, values["percent"])
        files = [evidence_file(indicator.code, self.rng)] if values.get("evidence") else []
        services.progress_report_create(
            task=task,
            user=user,
            expected_version=task.version,
            status=values["status"],
            percent=values["percent"],
            progress=progress,
            problems=problems,
            next_steps=next_steps,
            files=files,
            target_values=self._target_values(task, values["percent"], event.at.date()),
            now=event.at,
        )


def build(*, plan: Plan, now: dt.datetime, light: bool = False, start: dt.datetime | None = None) -> str:
    """Simulate the plan's year from `start` (default: its first working
    day) until `now` (or its end); a summary line."""
    from django.contrib.auth import get_user_model

    story = Story(plan, now, light=light, start=start)
    tasks = {
        task.pk: task
        for task in Task.objects.for_plan(plan)
        .filter(is_active=True)
        .select_related("indicator")
        .order_by("pk")
    }
    story.draw(list(tasks.values()))
    with transaction.atomic():
        reporters = unit_reporters()
        office = get_user_model().objects.get(username=OFFICE)
        targets = story.confirm_targets(office)
    # Thousands of reports: their INFO lines would drown the command's output.
    quiet = [logging.getLogger(name) for name in ("tasks.services", "reminders")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    try:
        done = story.run(tasks, reporters, office)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    done["targets confirmed"] = targets
    if not light:
        done["instructions"] = leader_instructions(plan=plan, start=story.start, now=now)
    # The story wrote history dated in the past: a month-end copied before it
    # (dashboards.models.MonthEnd, a past month taken as settled) is not.
    MonthEnd.objects.filter(plan=plan).delete()
    return ", ".join(f"{count} {what}" for what, count in sorted(done.items()))


LEADER = "leader"
SGJ_UNIT = "区数管局"


def leader_instructions(*, plan: Plan, start: dt.datetime, now: dt.datetime) -> int:
    """批示: the leader writes twice on 区数管局's first lead task — midway
    through the year so far, answered by the unit two days later, and the
    day before `now` on the whole indicator, with a reply deadline ten days
    on, still open. Nothing when the year has barely begun."""
    from django.contrib.auth import get_user_model

    from tasks import instructions

    task = (
        Task.objects.for_plan(plan)
        .active()
        .filter(unit__name=SGJ_UNIT, role=Task.Role.LEAD)
        .select_related("indicator", "unit")
        .order_by("indicator__position")
        .first()
    )
    if task is None or not plan.is_active or now - start < dt.timedelta(days=10):
        return 0
    leader = get_user_model().objects.get(username=LEADER)
    reporter = unit_reporters()[task.unit_id]
    local = site_timezone()
    written = start + (now - start) / 2
    first = instructions.instruction_create(
        user=leader,
        task=task,
        text=f"请{task.unit.name}抓紧推进第{task.indicator.code}项，两周内拿出具体方案报区政府。",
        reply_due=written.astimezone(local).date() + dt.timedelta(days=14),
        now=written,
    )
    instructions.instruction_reply(
        instruction=first,
        unit=task.unit,
        user=reporter,
        text="方案已起草完成，经局务会讨论后于本周报区政府审定；数据归集进度按周报送跑改办。",
        now=written + dt.timedelta(days=2),
    )
    yesterday = now - dt.timedelta(days=1)
    instructions.instruction_create(
        user=leader,
        indicator=task.indicator,
        text="各责任单位对照目标逐项梳理进度，存在困难的写明原因和需要协调的事项。",
        reply_due=yesterday.astimezone(local).date() + dt.timedelta(days=10),
        now=yesterday,
    )
    return 2


# Evidence files: small, real PDFs and PNGs (they pass the upload checks).


def evidence_file(code: str, rng: random.Random) -> SimpleUploadedFile:
    if rng.random() < 0.5:
        return SimpleUploadedFile(
            f"指标{code}佐证材料.pdf", _pdf(f"xsreform demo evidence: indicator {code}")
        )
    return SimpleUploadedFile(f"指标{code}系统截图.png", _png(rng))


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _png(rng: random.Random, width: int = 64, height: int = 40) -> bytes:
    colour = bytes(rng.randrange(80, 230) for _ in range(3))
    raw = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
