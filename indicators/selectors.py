"""Reads on plans and indicators."""

import datetime as dt
from dataclasses import dataclass, field

from departments.models import Unit, UnitAlias

from .models import Indicator, IndicatorUnit, Plan


def plan_expected_units(plan: Plan) -> dict[tuple[int, int], tuple[str, dt.date]]:
    """(indicator id, unit id) → (role, due date) for every unit the plan
    names, groups expanded to their members; a unit both lead and responsible
    on one indicator is there once, as lead. Who gets a task once the plan is
    adopted (tasks.services.task_sync_plan) and who is asked in its
    consultation."""
    groups = {
        group.pk: group
        for group in Unit.objects.groups().filter(
            pk__in=IndicatorUnit.objects.filter(indicator__plan=plan).values("unit")
        )
    }
    members_of = {pk: list(group.member_units().values_list("pk", flat=True)) for pk, group in groups.items()}

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


def plan_unit_ids(plan: Plan) -> set[int]:
    """Every unit the plan names, groups expanded."""
    return {unit_id for _indicator_id, unit_id in plan_expected_units(plan)}


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
