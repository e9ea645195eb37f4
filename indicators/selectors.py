"""Reads on plans and indicators."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from departments.models import Unit, UnitAlias

from .models import Consultation, ConsultationAnswer, Indicator, IndicatorUnit, Plan, Target
from .xlsx import Sheet, in_site_language, write_workbook


def plan_expected_units(plan: Plan) -> dict[tuple[int, int], tuple[str, dt.date]]:
    """(indicator id, unit id) → (role, due date) for every unit the plan
    names, groups expanded to their members; a unit both lead and responsible
    on one indicator is there once, as lead. Who gets a task once the plan is
    adopted (tasks.services.task_sync_plan) and who is asked in its
    consultation."""
    members_of = _group_members(plan)
    expected: dict[tuple[int, int], tuple[str, dt.date]] = {}
    rows = IndicatorUnit.objects.filter(indicator__plan=plan).values_list(
        "indicator_id", "unit_id", "role", "indicator__due_date"
    )
    for indicator_id, unit_id, role, due_date in rows:
        for member_id in members_of.get(unit_id, [unit_id]):
            key = (indicator_id, member_id)
            if key in expected and expected[key][0] == IndicatorUnit.Role.LEAD:
                continue
            expected[key] = (role, due_date)
    return expected


def _group_members(plan: Plan) -> dict[int, list[int]]:
    """The member units of each group (a Unit of kind group) the plan names."""
    groups = Unit.objects.groups().filter(
        pk__in=IndicatorUnit.objects.filter(indicator__plan=plan).values("unit")
    )
    return {group.pk: list(group.member_units().values_list("pk", flat=True)) for group in groups}


def plan_unit_ids(plan: Plan) -> set[int]:
    """Every unit the plan names, groups expanded: plan_expected_units's
    units, from the ~60 units named rather than its ~1,100 pairs (征求意见反馈
    asks on every view: 6.8 -> 4.2 ms at province scale)."""
    members_of = _group_members(plan)
    named = (
        IndicatorUnit.objects.filter(indicator__plan=plan)
        .order_by()
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return {member for unit_id in named for member in members_of.get(unit_id, [unit_id])}


def indicator_shape(indicator: Indicator) -> dict:
    """One indicator as the annex JSON describes it (see
    fixtures/xiaoshan-2019-annex.expected.json). Expects with_units()."""
    return {
        "code": indicator.code,
        "parent": indicator.parent.code if indicator.parent_id else None,
        "category": indicator.category,
        "task": indicator.task_text,
        "lead": indicator.lead_names,
        "responsible": indicator.responsible_names,
        "deadline_label": indicator.deadline_label,
        "due_date": indicator.due_date.isoformat(),
        "ongoing": indicator.ongoing,
    }


def annex_snapshot(plan: Plan) -> dict:
    """The plan as stored, in the shape of the annex JSON: its indicators, the
    units and groups they name (in order of first mention, lead first) and
    the aliases that point at those units."""
    indicators = [
        indicator_shape(i) for i in Indicator.objects.filter(plan=plan).with_units().select_related("parent")
    ]
    names: list[str] = []
    for item in indicators:
        for name in [*item["lead"], *item["responsible"]]:
            if name not in names:
                names.append(name)
    kinds = dict(Unit.objects.filter(name__in=names).values_list("name", "kind"))
    aliases = dict(
        UnitAlias.objects.filter(unit__name__in=names).order_by("alias").values_list("alias", "unit__name")
    )
    return {
        "plan": {"year": plan.year, "title": plan.title},
        "indicators": indicators,
        "departments": [{"name": name, "kind": kinds[name]} for name in names],
        "aliases": aliases,
    }


@dataclass
class StatusChange:
    status: str
    label: str
    at: dt.datetime
    user: object


def plan_status_changes(plan: Plan) -> list[StatusChange]:
    """The plan's key dates: each status it took, when and by whom, oldest
    first (from its history; the first entry is its creation)."""
    changes: list[StatusChange] = []
    for entry in plan.history.select_related("history_user").order_by("history_date", "history_id"):
        if not changes or changes[-1].status != entry.status:
            label = Plan.Status(entry.status).label if entry.status in Plan.Status.values else entry.status
            changes.append(StatusChange(entry.status, label, entry.history_date, entry.history_user))
    return changes


def plan_list() -> list[Plan]:
    """Every plan, newest first, with its number of indicators."""
    return list(Plan.objects.annotate(indicator_count=Count("indicators")).order_by("-year"))


def plan_targets(plan: Plan, *, status: str = "") -> tuple[list[Target], dict[str, int]]:
    """The plan's targets for the office's page, in the annex's order, with
    their indicator and who confirmed them (two queries whatever their
    number), and the count of each status."""
    targets = Target.objects.filter(indicator__plan=plan)
    counts = dict(targets.order_by().values_list("status").annotate(n=Count("pk")))
    if status:
        targets = targets.filter(status=status)
    targets = targets.select_related("indicator", "confirmed_by").order_by(
        "indicator__position", "position", "pk"
    )
    return list(targets), counts


# The consultation (征求意见)


def consultation_unit_items(plan: Plan, unit: Unit) -> set[int]:
    """The ids of the plan's indicators that name the unit (groups expanded)."""
    return {indicator_id for indicator_id, unit_id in plan_expected_units(plan) if unit_id == unit.pk}


def consultation_user_units(consultation: Consultation, user) -> list[Unit]:
    """The user's units (staff membership) that the consultation asks."""
    if not user.is_authenticated:
        return []
    asked = plan_unit_ids(consultation.plan)
    return list(Unit.objects.filter(memberships__user=user, pk__in=asked).order_by("name"))


@dataclass
class OpenConsultation:
    consultation: Consultation
    unit: Unit
    answered: bool


def consultations_open_for_units(unit_ids: list[int]) -> list[OpenConsultation]:
    """Consultations under way that ask one of these units, and whether the
    unit has answered (for 本单位任务). A few queries per open consultation;
    there is one at a time in practice."""
    result = []
    for consultation in (
        Consultation.objects.filter(closed_at=None).select_related("plan").order_by("deadline")
    ):
        asked = plan_unit_ids(consultation.plan) & set(unit_ids)
        if not asked:
            continue
        answered = set(consultation.answers.filter(unit_id__in=asked).values_list("unit_id", flat=True))
        for unit in Unit.objects.filter(pk__in=asked).order_by("name"):
            result.append(OpenConsultation(consultation, unit, unit.pk in answered))
    return result


@dataclass
class UnitConsultation:
    items: list[tuple[Indicator, ConsultationAnswer | None]]  # the unit's items
    plan_answer: ConsultationAnswer | None  # on the whole plan
    indicators: list[Indicator]  # the whole plan, to read


def consultation_for_unit(consultation: Consultation, unit: Unit) -> UnitConsultation:
    mine = consultation_unit_items(consultation.plan, unit)
    indicators = list(Indicator.objects.filter(plan=consultation.plan).with_units().order_by("position"))
    answers = {
        a.indicator_id: a
        for a in ConsultationAnswer.objects.filter(consultation=consultation, unit=unit).select_related(
            "answered_by", "decided_by"
        )
    }
    return UnitConsultation(
        items=[(i, answers.get(i.pk)) for i in indicators if i.pk in mine],
        plan_answer=answers.get(None),
        indicators=indicators,
    )


@dataclass
class Feedback:
    answers: QuerySet  # of ConsultationAnswer, filtered by kind, item by item
    counts: dict[str, int]  # kind → answers, all kinds
    asked: int  # units asked
    answered: int  # units that answered (or were recorded as no objection)
    missing: list[Unit]  # units yet to answer
    kind: str


_PERSON = ("first_name", "last_name", "username")
ANSWER_COLUMNS = (
    *(f.name for f in ConsultationAnswer._meta.concrete_fields),
    "indicator__code",
    "indicator__task_text",
    "unit__name",
    *(f"answered_by__{name}" for name in _PERSON),
    *(f"decided_by__{name}" for name in _PERSON),
)


def consultation_feedback(consultation: Consultation, *, kind: str = "") -> Feedback:
    """The office's table: every answer, the whole-plan ones first, then item
    by item in the plan's order, unit by unit (a fixed number of queries)."""
    answers = ConsultationAnswer.objects.filter(consultation=consultation)
    counts = dict(answers.order_by().values_list("kind").annotate(n=Count("pk")))
    asked = plan_unit_ids(consultation.plan)
    answered = set(answers.order_by().values_list("unit_id", flat=True))
    rows = answers.filter(kind=kind) if kind else answers
    rows = (
        rows.select_related("unit", "indicator", "answered_by", "decided_by")
        # The columns the table and its workbook show: the indicator's and
        # the users' others are wide, and sorting every answer with them
        # took a third of the query (a page: 10.2 -> 7.1 ms).
        .only(*ANSWER_COLUMNS)
        .order_by(F("indicator__position").asc(nulls_first=True), "unit__name")
    )
    return Feedback(
        answers=rows,
        counts={k: counts.get(k, 0) for k in ConsultationAnswer.Kind.values},
        asked=len(asked),
        answered=len(answered & asked),
        missing=list(Unit.objects.filter(pk__in=asked - answered).order_by("name")),
        kind=kind,
    )


def _cn_day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@in_site_language
def consultation_feedback_xlsx(table: Feedback, plan: Plan) -> bytes:
    """The feedback table as a workbook (indicators.xlsx: text never becomes a
    formula), one row per answer; the units yet to answer below. In Chinese,
    whatever the interface language."""
    rows = []
    for a in table.answers:
        rows.append(
            [
                a.indicator.code if a.indicator_id else "整个计划",
                a.indicator.task_text if a.indicator_id else "",
                a.unit.name,
                a.get_kind_display(),
                a.text if a.kind == ConsultationAnswer.Kind.COMMENT else "",
                _cn_day(a.proposed_due_date) if a.proposed_due_date else "",
                a.proposed_units,
                (a.answered_by.get_full_name() or a.answered_by.username) if a.answered_by_id else "",
                f"{_cn_day(timezone.localtime(a.answered_at))} {timezone.localtime(a.answered_at):%H:%M}",
                a.get_decision_display() if a.decision else "",
                a.reply,
            ]
        )
    for unit in table.missing:
        rows.append(["", "", unit.name, "未反馈", "", "", "", "", "", "", ""])
    sheet = Sheet(
        title="征求意见反馈",
        caption=f"{plan} 征求意见反馈（{_cn_day(timezone.localdate())}导出）",
        headers=[
            "序号",
            "目标任务",
            "单位",
            "意见",
            "修改意见",
            "建议截止日期",
            "建议调整责任单位",
            "反馈人",
            "反馈时间",
            "处理结果",
            "答复",
        ],
        rows=rows,
        widths=[8, 40, 20, 14, 40, 12, 20, 10, 16, 10, 30],
    )
    return write_workbook([sheet])


@dataclass
class UnownedGroup:
    """A group the plan names that has no member units: its share of these
    indicators belongs to nobody."""

    group: Unit
    codes: list[str]


@dataclass
class Unowned:
    indicators: list[Indicator] = field(default_factory=list)  # nobody has a task on them
    groups: list[UnownedGroup] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.indicators or self.groups)

    def summary(self) -> str:
        """In Chinese, as data (stored in the weekly notice to the office)."""
        parts = []
        if self.indicators:
            parts.append(f"指标 {'、'.join(i.code for i in self.indicators)} 没有任何承接单位")
        for item in self.groups:
            parts.append(
                f"单位组“{item.group.name}”没有成员单位，指标 {'、'.join(item.codes)} 中它的任务无人承接"
            )
        return "；".join(parts) + "。" if parts else ""


def plan_unowned(*, plan: Plan) -> Unowned:
    """The plan's work that belongs to nobody: indicators on which no unit
    has a task (they name no unit, or only groups without members) and the
    groups without members it names, with their indicators. At most six
    queries whatever the plan's size; for the dashboard, the plan's page and the
    office's weekly notice."""
    links = list(
        IndicatorUnit.objects.filter(indicator__plan=plan)
        .order_by("indicator__position", "role", "position")
        .values_list("indicator_id", "unit_id", "unit__kind", "unit__member_type")
    )
    group_ids = {unit_id for _i, unit_id, kind, _t in links if kind == Unit.Kind.GROUP}
    listed = set(
        Unit.objects.units().filter(member_of__in=group_ids).values_list("member_of", flat=True).distinct()
    )
    types = set(Unit.objects.units().exclude(unit_type="").values_list("unit_type", flat=True).distinct())
    empty = {
        unit_id
        for _i, unit_id, kind, member_type in links
        if kind == Unit.Kind.GROUP and unit_id not in listed and member_type not in types
    }
    owned = {indicator_id for indicator_id, unit_id, _k, _t in links if unit_id not in empty}
    indicators = list(
        Indicator.objects.filter(plan=plan, sub_items__isnull=True).exclude(pk__in=owned).order_by("position")
    )
    codes: dict[int, list[str]] = {}
    if empty:
        code_of = dict(Indicator.objects.filter(plan=plan).values_list("pk", "code"))
        for indicator_id, unit_id, _k, _t in links:
            if unit_id in empty and code_of[indicator_id] not in codes.setdefault(unit_id, []):
                codes[unit_id].append(code_of[indicator_id])
    groups = Unit.objects.in_bulk(codes)
    return Unowned(
        indicators=indicators,
        groups=[
            UnownedGroup(groups[pk], found)
            for pk, found in sorted(codes.items(), key=lambda kv: groups[kv[0]].name)
        ],
    )
