"""目标达成 on the overview and in the monthly report: the plan's confirmed
targets against their indicators' latest values known on the day (the lead
unit's, tasks.target_values), met / confirmed by category and by lead unit,
and the targets furthest from their goal. Four queries whatever the number
of targets and values, which are read only for the newest of each."""

import datetime as dt
from dataclasses import dataclass, field

from indicators.models import Plan, Target
from tasks.models import TargetValue, Task
from tasks.target_values import latest_values

from .asof import Scope, day_end

FURTHEST_LIMIT = 10


@dataclass
class TargetRow:
    target: Target
    lead_unit: str
    lead_task_id: int | None
    latest: TargetValue | None

    @property
    def met(self) -> bool | None:
        return self.target.is_met(self.latest.value if self.latest else None)

    @property
    def gap(self) -> float | None:
        return self.target.gap(self.latest.value if self.latest else None)


@dataclass
class Tally:
    name: str
    met: int = 0
    confirmed: int = 0
    reported: int = 0

    @property
    def rate(self) -> int | None:
        return round(100 * self.met / self.confirmed) if self.confirmed else None


@dataclass
class Attainment:
    rows: list[TargetRow]
    total: Tally
    categories: list[Tally] = field(default_factory=list)
    units: list[Tally] = field(default_factory=list)
    furthest: list[TargetRow] = field(default_factory=list)


def target_rows(
    *, plan: Plan, as_of: dt.date, category: str = "", unit_id: int | None = None
) -> list[TargetRow]:
    """The plan's targets confirmed by the end of `as_of`, in annex order,
    each with its lead unit and the latest value known that day."""
    targets = Target.objects.filter(
        indicator__plan=plan, status=Target.Status.CONFIRMED, confirmed_at__lt=day_end(as_of)
    ).select_related("indicator")
    if category:
        targets = targets.filter(indicator__category=category)
    targets = list(targets.order_by("indicator__position", "position", "pk"))
    leads = {
        indicator_id: (task_id, unit_id_, name)
        for task_id, indicator_id, unit_id_, name in Task.objects.filter(
            indicator__plan=plan, role=Task.Role.LEAD, is_active=True
        )
        .order_by("indicator_id", "unit__name")
        .values_list("pk", "indicator_id", "unit_id", "unit__name")
    }
    if unit_id:
        targets = [t for t in targets if leads.get(t.indicator_id, (None, None, ""))[1] == unit_id]
    values = latest_values([t.pk for t in targets], on=as_of) if targets else {}
    rows = []
    for target in targets:
        task_id, _unit, name = leads.get(target.indicator_id, (None, None, ""))
        rows.append(TargetRow(target, name, task_id, values.get(target.pk)))
    return rows


def _tally(rows, key) -> list[Tally]:
    tallies: dict[str, Tally] = {}
    for row in rows:
        name = key(row)
        tally = tallies.setdefault(name, Tally(name))
        _count(tally, row)
    return list(tallies.values())


def _count(tally: Tally, row: TargetRow) -> None:
    tally.confirmed += 1
    tally.reported += row.latest is not None
    tally.met += bool(row.met)


def target_attainment(*, scope: Scope) -> Attainment:
    """目标达成 for the overview's scope (its plan, day, category and unit)."""
    rows = target_rows(plan=scope.plan, as_of=scope.as_of, category=scope.category, unit_id=scope.unit_id)
    total = Tally("")
    for row in rows:
        _count(total, row)
    units = sorted(_tally(rows, lambda r: r.lead_unit), key=lambda t: (-(t.rate or 0), t.name))
    unmet = [r for r in rows if r.met is False]
    furthest = sorted(unmet, key=lambda r: (-r.gap, r.target.indicator.position))[:FURTHEST_LIMIT]
    return Attainment(
        rows=rows,
        total=total,
        categories=_tally(rows, lambda r: r.target.indicator.category),
        units=units,
        furthest=furthest,
    )


def met_label(met: bool | None) -> str:
    """For the Excel sheet (data: in the site's language, like the other sheets)."""
    return {True: "已达成", False: "未达成", None: "未报送"}[met]


def attainment_sheet_rows(*, plan: Plan, as_of: dt.date) -> list[list]:
    """The monthly report's 目标达成 sheet: one row per confirmed target."""
    return [
        [
            row.target.indicator.code,
            row.target.indicator.category,
            row.lead_unit,
            row.target.name,
            row.target.goal_display,
            None if row.latest is None else row.latest.value,
            row.target.unit,
            ""
            if row.latest is None
            else f"{row.latest.as_of.year}年{row.latest.as_of.month}月{row.latest.as_of.day}日",
            met_label(row.met),
        ]
        for row in target_rows(plan=plan, as_of=as_of)
    ]


ATTAINMENT_HEADERS = [
    "序号",
    "指标名称",
    "牵头单位",
    "目标",
    "目标值",
    "最新数值",
    "单位",
    "截至",
    "是否达成",
]
ATTAINMENT_WIDTHS = [6, 18, 16, 28, 14, 10, 10, 14, 10]
