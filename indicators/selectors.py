"""Reads on plans and indicators."""

import datetime as dt

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
