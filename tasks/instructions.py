"""批示: a leader or the reform office writes an instruction on an indicator,
a task or a unit, optionally with a reply deadline; every unit concerned
answers it once, by a reply or by a progress report that references it
(tasks.services.progress_report_create). Writes, each in a transaction,
and the reads of the instruction pages.

The units concerned: on an indicator, every unit with an active task on
it; on a task, its unit; on a unit, that unit. An instruction on a plan
that stopped running is no longer answered (nor chased). The reminders
chase the units that have not answered by the deadline (reminders.sweep,
批示待回复) and cancel the notice when the answer comes
(signals.instruction_answered)."""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Unit
from indicators.models import Indicator, Plan

from . import access, signals
from .models import Instruction, InstructionReply, ProgressReport, Task
from .templatetags.portal import cn_date

logger = logging.getLogger(__name__)

TEXT_MAX = 2000


def can_instruct(user) -> bool:
    """Leaders and the reform office write instructions."""
    return access.reads_all(user)


def concerned_unit_ids(instruction: Instruction) -> list[int]:
    """The units that must answer, in a stable order. With the instructions
    of `with_subjects`, no query."""
    if instruction.unit_id:
        return [instruction.unit_id]
    if instruction.task_id:
        return [instruction.task.unit_id]
    tasks = getattr(instruction.indicator, "active_tasks", None)
    if tasks is None:
        tasks = Task.objects.active().filter(indicator_id=instruction.indicator_id).select_related("unit")
    return sorted({t.unit_id for t in tasks})


# Writes


@transaction.atomic
def instruction_create(
    *,
    user,
    text: str,
    indicator: Indicator | None = None,
    task: Task | None = None,
    unit: Unit | None = None,
    reply_due: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Instruction:
    """A leader or the reform office writes on exactly one of an indicator, a
    task or a unit. Refused for anyone else, for a plan that is not running,
    a withdrawn task, an indicator nobody holds, an empty text or a reply
    deadline in the past."""
    now = now or timezone.now()
    if not can_instruct(user):
        raise PermissionDenied(_("只有区领导和跑改办可以写批示。"))
    if sum(subject is not None for subject in (indicator, task, unit)) != 1:
        raise ValidationError(_("请选择批示对象：一个指标、一项任务或一个单位。"), code="subject")
    if task is not None:
        task = Task.objects.select_related("indicator__plan").get(pk=task.pk)
        if not task.is_active:
            raise ValidationError(_("该任务已不在计划中，不能批示。"), code="subject")
        plan = task.indicator.plan
    elif indicator is not None:
        plan = indicator.plan
        if not Task.objects.active().filter(indicator=indicator).exists():
            raise ValidationError(_("该指标没有承担单位，不能批示。"), code="subject")
    else:
        plan = None
        if unit.kind != Unit.Kind.UNIT:
            raise ValidationError(_("批示只能写给单位，不能写给单位分组。"), code="subject")
    if plan is not None and plan.status != Plan.Status.ACTIVE:
        raise ValidationError(_("%(plan)s不在执行中，不能批示。") % {"plan": plan}, code="subject")
    text = text.strip()
    if not text:
        raise ValidationError(_("请填写批示内容。"), code="text")
    if reply_due is not None and reply_due < timezone.localdate(now):
        raise ValidationError(_("回复期限不能早于今天。"), code="reply_due")
    instruction = Instruction(
        indicator=indicator,
        task=task,
        unit=unit,
        text=text[:TEXT_MAX],
        reply_due=reply_due,
        author=user,
        created_at=now,
    )
    instruction._history_user, instruction._history_date = user, now
    instruction.save()
    logger.info("instruction %s by %s on %s, reply by %s", instruction.pk, user.pk, instruction, reply_due)
    return instruction


def reply_refusal(instruction: Instruction, unit_id: int) -> str:
    """Why this unit cannot answer this instruction now, or ""."""
    if unit_id not in concerned_unit_ids(instruction):
        return _("该批示不是写给本单位的，不能回复。")
    if not instruction.is_running():
        return _("该批示所在的年度计划已结束，不能再回复。")
    return ""


@transaction.atomic
def instruction_reply(
    *,
    instruction: Instruction,
    unit: Unit,
    user,
    text: str,
    report: ProgressReport | None = None,
    now: dt.datetime | None = None,
) -> InstructionReply:
    """A unit concerned answers, once. Refused for someone not staff of the
    unit, a unit the instruction does not concern, a plan that stopped
    running, an empty text, or a unit that has answered already."""
    now = now or timezone.now()
    if unit.pk not in access.unit_ids(user):
        raise PermissionDenied(_("只有本单位联络员可以回复批示。"))
    # One answer per unit: two replies at once wait here for each other.
    instruction = (
        Instruction.objects.select_for_update(of=("self",))
        .select_related("indicator__plan", "task__indicator__plan", "unit")
        .get(pk=instruction.pk)
    )
    refusal = reply_refusal(instruction, unit.pk)
    if refusal:
        if unit.pk not in concerned_unit_ids(instruction):
            raise PermissionDenied(refusal)
        raise ValidationError(refusal, code="state")
    text = text.strip()
    if not text:
        raise ValidationError(_("请填写回复内容。"), code="text")
    if instruction.replies.filter(unit=unit).exists():
        raise ValidationError(_("本单位已回复过该批示。"), code="state")
    reply = InstructionReply(
        instruction=instruction, unit=unit, author=user, text=text[:TEXT_MAX], report=report, created_at=now
    )
    reply._history_user, reply._history_date = user, now
    reply.save()
    signals.instruction_answered_on_commit(instruction_id=instruction.pk, unit_id=unit.pk, now=now)
    logger.info("instruction %s answered by unit %s (user %s)", instruction.pk, unit.pk, user.pk)
    return reply


def answer_with_report(*, instruction: Instruction, report: ProgressReport, user, now: dt.datetime):
    """回应批示: a progress report that references an open instruction on its
    task, indicator or unit counts as the unit's answer (inside the report's
    transaction)."""
    task = report.task
    if not Instruction.objects.concerning_task(task).filter(pk=instruction.pk).exists():
        raise ValidationError(_("所选批示与本任务无关。"), code="instruction")
    text = _("见进展报送（%(date)s）：%(progress)s") % {
        "date": cn_date(timezone.localdate(now)),
        "progress": report.progress,
    }
    return instruction_reply(
        instruction=instruction, unit=task.unit, user=user, text=text, report=report, now=now
    )


# Reads for the pages: a constant number of queries whatever the number of
# instructions, units and replies.


def _found(instructions) -> list[int]:
    """The ids of `instructions`, a small query of its own: with with_subjects'
    seven joins, PostgreSQL spent 25 ms planning the filter that finds them
    (OR over three ways to concern a unit), on every 本单位任务 and task page,
    for a table usually empty."""
    return list(instructions.order_by().values_list("pk", flat=True).distinct())


def with_subjects(instructions):
    """Everything a page shows of each instruction: its subject, author,
    replies and, on an indicator, the units holding it."""
    return instructions.select_related(
        "author", "unit", "indicator__plan", "task__indicator__plan", "task__unit"
    ).prefetch_related(
        Prefetch("replies", queryset=InstructionReply.objects.select_related("unit", "author", "report")),
        Prefetch(
            "indicator__tasks",
            queryset=Task.objects.active().select_related("unit").order_by("unit__name"),
            to_attr="active_tasks",
        ),
    )


@dataclass
class UnitAnswer:
    unit: Unit
    reply: InstructionReply | None


@dataclass
class InstructionRow:
    instruction: Instruction
    answers: list[UnitAnswer] = field(default_factory=list)
    overdue: bool = False  # past its deadline with a unit still to answer

    @property
    def unanswered(self) -> list[Unit]:
        return [a.unit for a in self.answers if a.reply is None]

    def answer_of(self, unit_id: int) -> UnitAnswer | None:
        return next((a for a in self.answers if a.unit.pk == unit_id), None)


def _units_of(instruction: Instruction) -> list[Unit]:
    if instruction.unit_id:
        return [instruction.unit]
    if instruction.task_id:
        return [instruction.task.unit]
    return [t.unit for t in instruction.indicator.active_tasks]


def _row(instruction: Instruction, today: dt.date) -> InstructionRow:
    replies = {r.unit_id: r for r in instruction.replies.all()}
    answers = [UnitAnswer(unit, replies.get(unit.pk)) for unit in _units_of(instruction)]
    # A unit removed from the indicator after it answered keeps its answer on show.
    shown = {a.unit.pk for a in answers}
    answers += [UnitAnswer(r.unit, r) for r in replies.values() if r.unit_id not in shown]
    row = InstructionRow(instruction, answers)
    row.overdue = (
        instruction.is_overdue(today) and instruction.is_running() and any(a.reply is None for a in answers)
    )
    return row


def instruction_list(*, today: dt.date, overdue_only: bool = False) -> list[InstructionRow]:
    """批示 for the office and leaders, newest first, each with its units and
    their replies; with `overdue_only`, those past their reply deadline that
    a unit has not answered (逾期未回复)."""
    instructions = Instruction.objects.order_by("-created_at", "-pk")
    if overdue_only:
        instructions = instructions.filter(reply_due__lt=today)
    rows = [_row(i, today) for i in with_subjects(instructions)]
    return [row for row in rows if row.overdue] if overdue_only else rows


def running_q() -> Q:
    """Instructions still to be answered: on a unit, or on a running plan."""
    active = Plan.Status.ACTIVE
    return Q(unit__isnull=False) | Q(indicator__plan__status=active) | Q(task__indicator__plan__status=active)


@dataclass
class OpenInstruction:
    instruction: Instruction
    unit: Unit


def open_instructions(*, unit_ids: list[int]) -> list[OpenInstruction]:
    """The instructions these units have still to answer, each with the unit
    that must (a user of two units may see one instruction twice): the top
    of 本单位任务, oldest deadline first."""
    if not unit_ids:
        return []
    found = _found(Instruction.objects.concerning_units(unit_ids))
    if not found:
        return []
    candidates = with_subjects(Instruction.objects.filter(running_q(), pk__in=found)).order_by(
        "reply_due", "created_at", "pk"
    )
    wanted = set(unit_ids)
    return [
        OpenInstruction(row.instruction, answer.unit)
        for row in (_row(i, dt.date.min) for i in candidates)
        for answer in row.answers
        if answer.reply is None and answer.unit.pk in wanted
    ]


def task_instructions(task: Task) -> list[InstructionRow]:
    """The instructions on the task page: on the task, its indicator and its
    unit, each with its units' answers (the page shows this unit's)."""
    found = _found(Instruction.objects.concerning_task(task))
    if not found:
        return []
    instructions = Instruction.objects.filter(pk__in=found).order_by("-created_at", "-pk")
    return [_row(i, timezone.localdate()) for i in with_subjects(instructions)]


def open_for_task(task: Task, rows: list[InstructionRow] | None = None) -> list[Instruction]:
    """The instructions a report on this task may answer (回应批示): on the
    task, its indicator or its unit, running, not yet answered by its unit
    (`rows`: task_instructions(task), if the page has them already)."""
    rows = task_instructions(task) if rows is None else rows
    return [
        row.instruction
        for row in rows
        if row.instruction.is_running()
        and (answer := row.answer_of(task.unit_id)) is not None
        and answer.reply is None
    ]
