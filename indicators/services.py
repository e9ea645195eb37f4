"""Writes on plans and indicators."""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from departments.models import Unit, UnitAlias

from .annex import Annex, AnnexRow, Problem
from .consultations import consultation_record_deemed
from .models import Consultation, Indicator, IndicatorUnit, Plan, Target
from .selectors import annex_snapshot, indicator_shape
from .signals import plan_changed, plan_status_changed
from .target_services import TargetChange, targets_sync

logger = logging.getLogger(__name__)

# A name written in the annex that no unit or alias knows becomes a group when
# it reads like one ("各…", "…各部门"); the preview lists it for the admin.
GROUP_MARKER = "各"

FIELD_LABELS = {
    "parent": "上级指标",
    "category": "指标名称",
    "task": "目标任务",
    "lead": "牵头单位",
    "responsible": "责任单位",
    "deadline_label": "时间进度",
    "due_date": "截止日期",
    "ongoing": "全年持续",
    "position": "排序",
}


@dataclass
class IndicatorChange:
    code: str
    kind: str  # "new", "update" or "skip"
    row: int
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    year: int | None
    dry_run: bool
    changes: list[IndicatorChange] = field(default_factory=list)
    new_units: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    aliases_applied: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    snapshot: dict | None = None
    # Code → the targets read from its text, and what the import did with
    # them (TargetChange), for the preview and the JSON output.
    targets: dict[str, list["TargetChange"]] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_line(self) -> str:
        return (
            f"indicators: {self.count('new')} new, {self.count('update')} updated, "
            f"{self.count('skip')} unchanged; units: {len(self.new_units)} new; "
            f"warnings: {len(self.warnings)}; errors: {len(self.errors)}"
        )

    def target_list(self) -> list[tuple[str, "TargetChange"]]:
        return [(code, change) for code, changes in self.targets.items() for change in changes]

    @property
    def summary_targets_new(self) -> int:
        return self.target_count(TargetChange.NEW)

    def target_count(self, outcome: str) -> int:
        return sum(1 for changes in self.targets.values() for c in changes if c.outcome == outcome)

    def as_json(self) -> dict:
        data = dict(self.snapshot or {"plan": None, "indicators": [], "departments": [], "aliases": {}})
        if self.snapshot:
            data["indicators"] = [
                item | {"targets": [c.proposal.as_dict() for c in self.targets.get(item["code"], [])]}
                for item in self.snapshot["indicators"]
            ]
        data["summary"] = {
            "dry_run": self.dry_run,
            "indicators_new": self.count("new"),
            "indicators_updated": self.count("update"),
            "indicators_unchanged": self.count("skip"),
            "units_new": [{"name": name, "kind": kind} for name, kind in self.new_units],
            "aliases_applied": self.aliases_applied,
            "targets_proposed": self.target_count(TargetChange.NEW),
            "targets_known": sum(self.target_count(o) for o in TargetChange.KNOWN),
            "targets_deleted_before": self.target_count(TargetChange.DELETED),
        }
        data["warnings"] = [p.as_dict() for p in self.warnings]
        data["errors"] = [p.as_dict() for p in self.errors]
        return data


def annex_import(
    *, annex: Annex, dry_run: bool = False, user=None, draft: bool = False, now: dt.datetime | None = None
) -> ImportReport:
    """Write a parsed annex as plan `annex.year`: all or nothing. `now`
    (default: the clock) stamps the history and the tasks it creates, for a
    simulated past (the demo).

    A new plan is active (执行中: its tasks are created at once) unless
    `draft`, when it starts as a draft (草案) for the office to consult on
    and adopt. Importing into a draft or a plan in consultation is how the
    revised annex is applied; a closed plan (已结束) is refused.

    With errors nothing is written. With dry_run everything is written and
    then rolled back, so the report (and its snapshot) shows exactly what a
    real import would store."""
    report = ImportReport(year=annex.year, dry_run=dry_run, warnings=list(annex.warnings))
    report.errors = list(annex.errors)
    closed = Plan.objects.filter(year=annex.year, status=Plan.Status.CLOSED).first() if annex.year else None
    if closed:
        report.errors.append(
            Problem(
                _("%(year)s年度计划已结束，不能再导入：已结束的计划只读。如需修改，请联系系统管理员。")
                % {"year": annex.year}
            )
        )
    if report.errors:
        return report
    with transaction.atomic():
        _write(annex, report, user, now, draft=draft)
        if dry_run:
            transaction.set_rollback(True)
    logger.info("annex import year=%s dry_run=%s: %s", annex.year, dry_run, report.summary_line())
    return report


def _write(annex: Annex, report: ImportReport, user, now: dt.datetime | None, *, draft: bool = False) -> None:
    units = _resolve_units(annex, report)

    defaults = {"title": annex.title or f"{annex.year}年度改革工作指标和时间安排"}
    if draft:
        defaults["status"] = Plan.Status.DRAFT
    plan, created = Plan.objects.get_or_create(year=annex.year, defaults=defaults)
    if created:  # its creation is the first of its key dates: who, and when (`now`)
        plan.history.filter(history_type="+").update(history_user=user, history_date=now or timezone.now())
    elif annex.title and plan.title != annex.title:
        plan.title = annex.title
        plan._history_user = user
        plan.save(update_fields=["title"])

    existing = {i.code: i for i in Indicator.objects.filter(plan=plan).with_units().select_related("parent")}
    to_create, to_update, relink = [], [], []
    changed_texts: dict[int, str] = {}  # indicator id → its text before, for the units
    for position, row in enumerate(annex.rows, start=1):
        wanted = _row_shape(row, units) | {"position": position}
        indicator = existing.get(row.code)
        if indicator is None:
            indicator = Indicator(plan=plan, code=row.code)
            _apply(indicator, row, position)
            to_create.append(indicator)
            relink.append((indicator, row))
            report.changes.append(IndicatorChange(row.code, "new", row.row))
            continue
        current = indicator_shape(indicator) | {"position": indicator.position}
        changed = [FIELD_LABELS[k] for k in FIELD_LABELS if current[k] != wanted[k]]
        if current["task"] != wanted["task"]:
            changed_texts[indicator.pk] = indicator.task_text
        if changed:
            _apply(indicator, row, position)
            to_update.append(indicator)
            if current["lead"] != wanted["lead"] or current["responsible"] != wanted["responsible"]:
                relink.append((indicator, row))
            report.changes.append(IndicatorChange(row.code, "update", row.row, changed))
        else:
            report.changes.append(IndicatorChange(row.code, "skip", row.row))

    missing = sorted(set(existing) - {row.code for row in annex.rows})
    if missing:
        report.warnings.append(
            Problem(f"系统中已有、但本次工作簿中没有的指标（未删除，请手工处理）：{'、'.join(missing)}。")
        )

    # Parents stand above their sub-items, so creating top-level rows first
    # gives every sub-item its parent's id without a second pass.
    parents = {row.code: row.parent for row in annex.rows}
    by_code = dict(existing)
    for level in (False, True):
        batch = [i for i in to_create if bool(parents[i.code]) == level]
        for indicator in batch:
            indicator.parent = by_code[parents[indicator.code]] if level else None
        bulk_create_with_history(batch, Indicator, batch_size=500, default_user=user, default_date=now)
        by_code.update((i.code, i) for i in batch)
    for indicator in to_update:
        indicator.parent = by_code[parents[indicator.code]] if parents[indicator.code] else None
    fields = ["parent", "position", "category", "task_text", "deadline_label", "due_date", "ongoing"]
    bulk_update_with_history(
        to_update, Indicator, fields, batch_size=500, default_user=user, default_date=now
    )

    if relink:
        IndicatorUnit.objects.filter(indicator__in=[i for i, _ in relink]).delete()
        links = []
        for indicator, row in relink:
            for role, names in (
                (IndicatorUnit.Role.LEAD, row.lead),
                (IndicatorUnit.Role.RESPONSIBLE, row.responsible),
            ):
                for position, unit in enumerate(_units_for(names, units)):
                    links.append(IndicatorUnit(indicator=indicator, unit=unit, role=role, position=position))
        bulk_create_with_history(links, IndicatorUnit, batch_size=1000, default_user=user, default_date=now)

    report.targets = targets_sync(plan=plan, user=user)
    _warn_about_targets_to_review(plan, report)
    plan_changed.send(sender=Plan, plan=plan, now=now, changed_texts=changed_texts)
    report.snapshot = annex_snapshot(plan)
    _warn_about_empty_groups(plan, report)


def _warn_about_targets_to_review(plan: Plan, report: ImportReport) -> None:
    """A confirmed target whose words the new text no longer has."""
    for target in Target.objects.filter(indicator__plan=plan).needing_review().select_related("indicator"):
        report.warnings.append(
            Problem(
                f"指标 {target.indicator.code} 已确认的目标“{target.name} {target.goal_display}”的原文"
                f"“{target.quote}”已不在目标任务中：请在“目标”中核对、修改或删除。"
            )
        )


def _warn_about_empty_groups(plan: Plan, report: ImportReport) -> None:
    """A group with no members gives nobody a task: say so, with the items."""
    codes_by_group: dict[Unit, list[str]] = {}
    links = IndicatorUnit.objects.filter(indicator__plan=plan, unit__kind=Unit.Kind.GROUP)
    for link in links.select_related("unit", "indicator").order_by("indicator__position"):
        codes_by_group.setdefault(link.unit, []).append(link.indicator.code)
    for group, codes in codes_by_group.items():
        if not group.member_units().exists():
            report.warnings.append(
                Problem(
                    f"单位组“{group.name}”还没有成员单位，指标 {'、'.join(codes)} 中它的任务无人承接："
                    "请在“单位与单位组”中为它列出成员或指定按类型包含。"
                )
            )


def _resolve_units(annex: Annex, report: ImportReport) -> dict[str, Unit]:
    """Written name → Unit, through the alias table; unknown names are created."""
    aliases = UnitAlias.objects.as_dict()
    written = []
    for row in annex.rows:
        for name in [*row.lead, *row.responsible]:
            if name not in written:
                written.append(name)
    canonical = {name: aliases.get(name, name) for name in written}
    report.aliases_applied = {name: target for name, target in canonical.items() if name != target}

    known = {u.name: u for u in Unit.objects.filter(name__in=set(canonical.values()))}
    new = []
    for name in dict.fromkeys(canonical.values()):
        if name not in known:
            kind = Unit.Kind.GROUP if GROUP_MARKER in name else Unit.Kind.UNIT
            unit = Unit(name=name, kind=kind)
            known[name] = unit
            new.append(unit)
            report.new_units.append((name, kind.value))
    bulk_create_with_history(new, Unit, batch_size=500)
    return {name: known[target] for name, target in canonical.items()}


def _units_for(names: list[str], units: dict[str, Unit]) -> list[Unit]:
    """Resolved units in written order, once each (two aliases may meet)."""
    seen, result = set(), []
    for name in names:
        unit = units[name]
        if unit.pk not in seen:
            seen.add(unit.pk)
            result.append(unit)
    return result


def _row_shape(row: AnnexRow, units: dict[str, Unit]) -> dict:
    return {
        "parent": row.parent,
        "category": row.category,
        "task": row.task_text,
        "lead": [u.name for u in _units_for(row.lead, units)],
        "responsible": [u.name for u in _units_for(row.responsible, units)],
        "deadline_label": row.deadline_label,
        "due_date": row.due_date.isoformat(),
        "ongoing": row.ongoing,
    }


def _apply(indicator: Indicator, row: AnnexRow, position: int) -> None:
    indicator.position = position
    indicator.category = row.category
    indicator.task_text = row.task_text
    indicator.deadline_label = row.deadline_label
    indicator.due_date = row.due_date
    indicator.ongoing = row.ongoing


@transaction.atomic
def indicator_sections_fill(
    *, plan: Plan, sections: dict[str, str], user=None, now: dt.datetime | None = None
) -> int:
    """Give the plan's indicators the section of the work-points text they
    belong to (code → "二（二）2 持续推进商事登记便利化改革"), where none is set:
    the annex does not carry it, and what an admin entered is kept."""
    indicators = list(Indicator.objects.filter(plan=plan, section="", code__in=sections))
    for indicator in indicators:
        indicator.section = sections[indicator.code]
    bulk_update_with_history(
        indicators, Indicator, ["section"], batch_size=500, default_user=user, default_date=now
    )
    return len(indicators)


# The plan's year (docs/year.md): 草案 → 征求意见 → 执行中 → 已结束. Each
# change is one service; a change in the wrong order is refused with the
# plan's current status in the message. Who may: the views ask
# departments.roles (the reform office or an admin); the services record who
# did it in the plan's history.


def _plan_move(
    *, plan: Plan, user, to: str, allowed: set[str], refusal: str, now: dt.datetime | None = None
) -> str:
    """Move the plan (locked for the transaction) to `to` if its status is in
    `allowed`; returns the status it had. The history records who, when
    (`now`, default the clock) and the new status; plan_status_changed goes
    out after commit."""
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    if locked.status not in allowed:
        raise ValidationError(
            refusal % {"year": locked.year, "status": locked.get_status_display()}, code="plan_status"
        )
    old = locked.status
    locked.status = to
    locked._history_user = user
    locked._change_reason = str(Plan.Status(to).label)
    if now is not None:
        locked._history_date = now
    locked.save(update_fields=["status"])
    plan.status = to
    logger.info("plan %s: %s -> %s by user %s", locked.year, old, to, getattr(user, "pk", None))
    transaction.on_commit(
        lambda: plan_status_changed.send(sender=Plan, plan=locked, old=old, new=to, user=user)
    )
    return old


@transaction.atomic
def plan_adopt(*, plan: Plan, user=None, now: dt.datetime | None = None) -> Plan:
    """通过执行: a draft, or a plan whose consultation is over, becomes active
    (执行中). Its tasks are created (or refreshed, for units a revised annex
    added or dropped) at once through plan_changed, and every unit with a
    task is told (the reminders hear plan_status_changed). `now` (default:
    the clock) stamps the consultation's end and the tasks (the demo)."""
    if not plan.indicators.exists():
        raise ValidationError(_("该计划还没有任何指标，不能通过执行：请先导入附件。"), code="empty")
    old = _plan_move(
        plan=plan,
        user=user,
        to=Plan.Status.ACTIVE,
        allowed={Plan.Status.DRAFT, Plan.Status.CONSULTATION},
        refusal=_("只有草案或征求意见中的计划可以通过执行：%(year)s年度计划当前为“%(status)s”。"),
        now=now,
    )
    if old == Plan.Status.CONSULTATION:
        _consultation_close(plan, now=now)
    plan_changed.send(sender=Plan, plan=plan, now=now)
    return plan


def _consultation_close(plan: Plan, *, now: dt.datetime | None = None) -> None:
    """Adopting ends the consultation; past its deadline, the units that did
    not answer are recorded as no objection first (if the sweep has not yet)."""
    consultation = Consultation.objects.filter(plan=plan, closed_at=None).first()
    if consultation is None:
        return
    now = now or timezone.now()
    if consultation.deadline < timezone.localdate(now):
        consultation_record_deemed(consultation=consultation, now=now)
    Consultation.objects.filter(pk=consultation.pk).update(closed_at=now)


@transaction.atomic
def plan_consultation_open(
    *, plan: Plan, user=None, deadline: dt.date, message: str, now: dt.datetime | None = None
) -> Consultation:
    """征求意见: the office sends the draft to every unit it names (groups
    expanded), with a deadline and its notice; the plan goes to 征求意见.
    Units answer until the deadline; the sweep chases those that have not
    and, after it, records them as no objection."""
    now = now or timezone.now()
    message = message.strip()
    if deadline < timezone.localdate(now):
        raise ValidationError(_("反馈截止日期不能早于今天。"), code="deadline")
    if not message:
        raise ValidationError(_("请填写征求意见通知。"), code="message")
    if not plan.indicators.exists():
        raise ValidationError(_("该计划还没有任何指标，不能征求意见：请先导入附件。"), code="empty")
    _plan_move(
        plan=plan,
        user=user,
        to=Plan.Status.CONSULTATION,
        allowed={Plan.Status.DRAFT},
        refusal=_("只有草案可以征求意见：%(year)s年度计划当前为“%(status)s”。"),
        now=now,
    )
    consultation = Consultation(plan=plan, deadline=deadline, message=message, opened_by=user, opened_at=now)
    consultation._history_user = user
    consultation.save()
    return consultation


@transaction.atomic
def plan_close(*, plan: Plan, user=None, now: dt.datetime | None = None) -> Plan:
    """结束: an active plan becomes closed (已结束) — read-only, no reports,
    reviews or reminders any more, still on the dashboards and in exports.
    Unverified tasks stay as they are: they are what carry-over takes. `now`
    (default: the clock) dates the change in the plan's history (the demo)."""
    _plan_move(
        plan=plan,
        user=user,
        to=Plan.Status.CLOSED,
        allowed={Plan.Status.ACTIVE},
        refusal=_("只有执行中的计划可以结束：%(year)s年度计划当前为“%(status)s”。"),
        now=now,
    )
    return plan
