"""Writes on tasks. Every function here runs in a transaction."""

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from indicators.carry_over import plan_draft_from
from indicators.models import Indicator, Plan
from indicators.selectors import plan_expected_units

from . import changes, instructions, signals
from .models import REPORT_STATUSES, Evidence, ProgressReport, Review, TargetValue, Task, site_timezone
from .target_values import ReportedValue, values_check
from .uploads import evidence_check, evidence_store

logger = logging.getLogger(__name__)


@transaction.atomic
def task_sync_plan(
    *, plan: Plan, now: dt.datetime | None = None, changed_texts: dict[int, str] | None = None
) -> dict[str, int]:
    """Create, update and deactivate the plan's tasks so that every lead and
    responsible unit (group members included) has exactly one active task.

    Tasks are never deleted here: a unit dropped from an indicator keeps its
    reports, its task is only deactivated. Only an active plan (执行中) is
    synced: a draft, or a plan in consultation, has no tasks yet (they come
    when it is adopted); a closed plan's tasks are its record and stay as
    they were (a group's new member joins no past year). `now` (default: the
    clock) stamps the rows and their history, for a simulated past (the demo).

    The units are told what changed (tasks.changes): a due date or role
    moved, a task given or withdrawn, and — with `changed_texts`, indicator
    id → its text before an edit — a new task text."""
    if not plan.is_active:
        return {"created": 0, "updated": 0}
    now = now or timezone.now()
    expected = plan_expected_units(plan)
    existing = {(t.indicator_id, t.unit_id): t for t in Task.objects.for_plan(plan)}

    to_create, to_update, before = [], [], {}
    for key, (role, due_date) in expected.items():
        task = existing.get(key)
        if task is None:
            to_create.append(
                Task(indicator_id=key[0], unit_id=key[1], role=role, due_date=due_date, created_at=now)
            )
            continue
        if task.extended_due_date:  # an approved extension holds (延期申请)
            due_date = max(due_date, task.extended_due_date)
        if (task.role, task.due_date, task.is_active) != (role, due_date, True):
            before[task.pk] = (task.role, task.due_date, task.is_active)
            task.role, task.due_date, task.is_active = role, due_date, True
            to_update.append(task)
    for key, task in existing.items():
        if key not in expected and task.is_active:
            before[task.pk] = (task.role, task.due_date, task.is_active)
            task.is_active = False
            to_update.append(task)

    bulk_create_with_history(to_create, Task, batch_size=1000, default_date=now)
    bulk_update_with_history(
        to_update, Task, ["role", "due_date", "is_active"], batch_size=1000, default_date=now
    )
    if existing:  # a plan's first tasks are announced by its adoption, not as changes
        signals.send_changes(
            changes=changes.sync_changes(
                created=to_create,
                updated=[(task, before[task.pk]) for task in to_update],
                unchanged=[t for t in existing.values() if t.pk not in before and t.is_active],
                changed_texts=changed_texts or {},
            ),
            now=now,
        )
    signals.send_on_commit(task_ids=[t.pk for t in to_update], why="synced", now=now)
    counts = {"created": len(to_create), "updated": len(to_update)}
    logger.info("tasks synced for plan %s: %s", plan.year, counts)
    return counts


def task_sync_plans_using(*, unit_ids, now: dt.datetime | None = None) -> None:
    """Resync every plan that names one of these units or groups."""
    plans = Plan.objects.filter(
        indicators__in=Indicator.objects.filter(indicator_units__unit_id__in=unit_ids)
    ).distinct()
    for plan in plans:
        task_sync_plan(plan=plan, now=now)


def _stored(text) -> str:
    """Text kept in the history is data: in the site's language, whatever
    language the person who caused it reads the portal in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _require_running(task: Task, refusal: str) -> None:
    """Reports and reviews are taken on an active plan's tasks only: a closed
    plan (已结束) is the year's record, read-only."""
    plan = task.indicator.plan
    if not plan.is_active:
        raise ValidationError(refusal % {"year": plan.year}, code="plan_closed")


class TaskConflict(Exception):
    """The task changed after the page the user saved from was rendered."""

    def __init__(self, task: Task):
        super().__init__(f"task {task.pk} is at version {task.version}")
        self.task = task


def _claim(
    *,
    task: Task,
    user,
    expected_version: int,
    status: str,
    reason: str,
    now: dt.datetime | None = None,
    **fields,
) -> Task:
    """Move the task to `status` if nobody changed it since `expected_version`.

    One conditional UPDATE decides between two people saving at once: only
    the first matches `version = expected_version`, the second gets
    TaskConflict and nothing it sent is written. `fields` are written with
    the status. The claimed row stays locked
    until the caller's transaction ends. `.update()` bypasses signals, so the
    history row (who, when, why) is written here."""
    now = now or timezone.now()
    claimed = Task.objects.filter(pk=task.pk, version=expected_version).update(
        status=status, version=F("version") + 1, updated_at=now, **fields
    )
    if not claimed:
        raise TaskConflict(Task.objects.get(pk=task.pk))
    task.status, task.version, task.updated_at = status, expected_version + 1, now
    for name, value in fields.items():
        setattr(task, name, value)
    Task.history.bulk_history_create(
        [task], update=True, default_user=user, default_change_reason=reason, default_date=now
    )
    return task


def _partner_evidence(*, task: Task, ids: Sequence[int]) -> list[Evidence]:
    """The evidence a lead's report may reference: files of the other units'
    reports on the task's indicator. Anything else refuses the report."""
    ids = set(ids)
    if not ids:
        return []
    if task.role != Task.Role.LEAD:
        raise ValidationError(_("只有牵头单位的报送可以引用配合单位的佐证材料。"), code="referenced_evidence")
    found = list(
        Evidence.objects.filter(pk__in=ids, report__task__indicator_id=task.indicator_id).exclude(
            report__task=task
        )
    )
    if len(found) != len(ids):
        raise ValidationError(_("引用的佐证材料不属于本指标的配合单位。"), code="referenced_evidence")
    return found


@transaction.atomic
def progress_report_create(
    *,
    task: Task,
    user,
    expected_version: int,
    status: str,
    percent: int,
    progress: str,
    problems: str = "",
    next_steps: str = "",
    files: Sequence[UploadedFile] = (),
    referenced_evidence: Sequence[int] = (),
    target_values: Sequence[ReportedValue] = (),
    instruction=None,
    now: dt.datetime | None = None,
) -> ProgressReport:
    """File a progress report on the task; its status becomes the task's.
    With `instruction` (回应批示), the report is the unit's answer to that
    instruction on its task, indicator or unit (tasks.instructions).
    A lead unit's report may reference its partners' evidence files on the
    same indicator (牵头汇总), which stay where they were uploaded. With it
    the unit may give the current value of each confirmed target of its
    indicator (`target_values`, optional; tasks.target_values checks them). `now`
    (default: the clock) is when it was filed (the demo's simulated months
    pass it).

    Raises TaskConflict when the task changed since `expected_version`, and
    ValidationError for a closed task or a bad report or file."""
    if task.version != expected_version:
        raise TaskConflict(task)
    _require_running(task, _("%(year)s年度计划已结束，只能查看，不再接受报送。"))
    if task.is_closed:
        raise ValidationError(_("该任务已核实办结，不再接受报送。"), code="closed")
    if status not in REPORT_STATUSES:
        raise ValidationError(_("报送状态只能是未启动、推进中或已完成。"), code="status")
    if not 0 <= percent <= 100:
        raise ValidationError(_("完成进度应在 0 到 100 之间。"), code="percent")
    if status == Task.Status.COMPLETED and percent != 100:
        raise ValidationError(_("状态为已完成时，完成进度应为 100%。"), code="percent")
    checked = [(upload, evidence_check(upload)) for upload in files]
    now = now or timezone.now()
    referenced = _partner_evidence(task=task, ids=referenced_evidence)
    values = values_check(task=task, values=target_values, today=timezone.localdate(now))

    _claim(
        task=task,
        user=user,
        expected_version=expected_version,
        status=status,
        reason=_stored(gettext_lazy("进展报送")),
        now=now,
    )
    report = ProgressReport(
        task=task,
        author=user,
        status=status,
        percent=percent,
        progress=progress,
        problems=problems,
        next_steps=next_steps,
        created_at=now,
    )
    report._history_user, report._history_date = user, now
    report.save()
    report.referenced_evidence.set(referenced)
    for value in values:
        value.report, value.created_at = report, now
    TargetValue.objects.bulk_create(values)

    stored = evidence_store(checked, lambda **row: Evidence(report=report, created_at=now, **row))
    logger.info(
        "progress report %s on task %s by %s: %s %s%%, %d file(s), %d referenced, %d target value(s)",
        report.pk,
        task.pk,
        user.pk,
        status,
        percent,
        len(stored),
        len(referenced),
        len(values),
    )
    if instruction is not None:
        instructions.answer_with_report(instruction=instruction, report=report, user=user, now=now)
    signals.send_on_commit(task_ids=[task.pk], why="reported", now=now)
    return report


@transaction.atomic
def task_review(
    *,
    task: Task,
    user,
    decision: str,
    reason: str = "",
    expected_version: int,
    now: dt.datetime | None = None,
) -> Review:
    """The reform office verifies (核实办结) or returns (退回) a task its unit
    reported completed. Returning needs a reason, which the unit sees. `now`
    (default: the clock) is when it was decided."""
    if task.version != expected_version:
        raise TaskConflict(task)
    _require_running(task, _("%(year)s年度计划已结束，只能查看，不再审核。"))
    if decision not in Review.Decision.values:
        raise ValidationError(_("审核结果只能是核实办结或退回。"), code="decision")
    reason = reason.strip()
    if decision == Review.Decision.RETURNED and not reason:
        raise ValidationError(_("退回时请填写理由。"), code="reason")
    if not task.awaits_review:
        raise ValidationError(_("只有单位报送为已完成的任务才能审核。"), code="state")

    status = Task.Status.VERIFIED if decision == Review.Decision.VERIFIED else Task.Status.RETURNED
    label = Review.Decision(decision).label
    now = now or timezone.now()
    verified = (
        {"accepted_report_on": _accepted_report_on(task, now)} if status == Task.Status.VERIFIED else {}
    )
    _claim(
        task=task,
        user=user,
        expected_version=expected_version,
        status=status,
        reason=_stored(label),
        now=now,
        **verified,
    )
    review = Review(task=task, reviewer=user, decision=decision, reason=reason, created_at=now)
    review._history_user, review._history_date = user, now
    review.save()
    logger.info("task %s %s by %s", task.pk, decision, user.pk)
    signals.send_on_commit(task_ids=[task.pk], why="reviewed", now=now)
    return review


def _accepted_report_on(task: Task, now: dt.datetime) -> dt.date | None:
    """The day the report a verification at `now` accepts — the task's last
    before it — was filed (Asia/Shanghai), or None without one."""
    filed = (
        task.progress_reports.filter(created_at__lt=now)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return timezone.localdate(filed, site_timezone()) if filed else None


class BulkReviewError(Exception):
    """A bulk review wrote nothing: `failures` says, task by task, why."""

    def __init__(self, failures: list[str]):
        super().__init__("; ".join(failures))
        self.failures = failures


@transaction.atomic
def task_review_bulk(*, selections: Sequence[tuple[Task | None, int, int]], user) -> list[Review]:
    """核实所选: verify several completed tasks at once, each through
    task_review (its own review, history row and stale-save check).

    All or nothing: every task is tried, each in its own savepoint, so that
    the answer names every one that cannot be verified (changed since the
    page was shown, not reported completed, not found); if any cannot, the
    whole transaction is rolled back and nothing is verified. `selections`
    are (task or None when not found, expected version, id as selected)."""
    reviews, failures = [], []
    for task, expected_version, pk in selections:
        if task is None:
            failures.append(_("任务 %(pk)s 没有找到") % {"pk": pk})
            continue
        name = str(task)  # 2019 · 9 所有民生事项… · 区数管局
        try:
            with transaction.atomic():
                reviews.append(
                    task_review(
                        task=task,
                        user=user,
                        decision=Review.Decision.VERIFIED,
                        expected_version=expected_version,
                    )
                )
        except TaskConflict:
            failures.append(_("%(task)s 在页面打开后已有变更") % {"task": name})
        except ValidationError as error:
            failures.append(f"{name}：{' '.join(error.messages).rstrip('。')}")
    if failures:
        transaction.set_rollback(True)
        raise BulkReviewError(failures)
    logger.info("bulk review by %s: %d task(s) verified", user.pk, len(reviews))
    return reviews


def plan_unfinished(plan: Plan) -> dict:
    """What closing the plan leaves undone: the active tasks not verified
    (with their unit and indicator, in the plan's order) and the indicators
    that are not finished — an indicator is finished when it has tasks and
    every one of them is verified; a parent row (17 above 17-1…) goes with
    its sub-items."""
    tasks = (
        Task.objects.for_plan(plan)
        .active()
        .exclude(status=Task.Status.VERIFIED)
        .select_related("indicator", "unit")
        .order_by("indicator__position", "role", "unit__name")
    )
    indicators = list(Indicator.objects.filter(plan=plan).order_by("position"))
    statuses: dict[int, set[str]] = {}
    for indicator_id, status in Task.objects.for_plan(plan).active().values_list("indicator_id", "status"):
        statuses.setdefault(indicator_id, set()).add(status)
    verified_everywhere = {pk for pk, seen in statuses.items() if seen == {Task.Status.VERIFIED}}
    children: dict[int, list[int]] = {}
    for indicator in indicators:
        if indicator.parent_id:
            children.setdefault(indicator.parent_id, []).append(indicator.pk)
    unfinished = {i.pk for i in indicators if i.pk not in verified_everywhere}
    for parent_id, kids in children.items():
        if any(k in unfinished for k in kids):
            unfinished.add(parent_id)
        else:
            unfinished.discard(parent_id)
    return {
        "tasks": list(tasks),
        "indicators": [i for i in indicators if i.pk in unfinished],
    }


@transaction.atomic
def plan_carry_over(*, plan: Plan, year: int | None = None, user=None) -> Plan:
    """结转: next year's draft plan from the closed plan's unfinished
    indicators (see plan_unfinished), each linked to its origin; the task
    page of a carried indicator says "由2019年第8项结转". Refused unless the
    plan is closed, and when the year already has a plan."""
    if not plan.is_closed:
        raise ValidationError(
            _("只有已结束的计划可以结转：%(year)s年度计划当前为“%(status)s”。")
            % {"year": plan.year, "status": plan.get_status_display()},
            code="plan_status",
        )
    unfinished = plan_unfinished(plan)["indicators"]
    if not unfinished:
        raise ValidationError(
            _("%(year)s年度计划的指标都已核实办结，没有需要结转的指标。") % {"year": plan.year}
        )
    return plan_draft_from(plan=plan, year=year or plan.year + 1, indicators=unfinished, user=user)
