"""Reads on plans and indicators."""

from departments.models import Unit, UnitAlias

from .models import Indicator, Plan


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
