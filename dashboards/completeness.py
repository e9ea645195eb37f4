"""Reporting completeness by month (报送完整率): for a month, which units
reported on every open task and which did not.

The rule, the same for the month's table, its chart, its workbook and a
unit's year:

- a task is **open in a month** when it belongs to the plan, is active and
  is not verified (已办结) as it stood at the end of the month — or today,
  for the month under way (dashboards.asof.task_states). A task verified
  during the month needs no report for it; one created after it is not
  counted;
- it is **reported** when its unit filed at least one progress report on it
  between the first of the month and the first of the next (Asia/Shanghai);
- a unit's **rate** is reported ÷ open tasks; the unit is **complete** when
  it reported on every open task. Units without open tasks in the month are
  not listed.

Each month costs the same few queries however many units, tasks and
reports there are (one grouped count, the unit names)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from departments.models import Unit
from indicators.models import Plan
from tasks.models import ProgressReport, Task, site_timezone

from .asof import task_states


@dataclass
class UnitMonth:
    unit_id: int
    name: str
    open: int
    reported: int

    @property
    def missing(self) -> int:
        return self.open - self.reported

    @property
    def complete(self) -> bool:
        return self.reported >= self.open

    @property
    def rate(self) -> int:
        """Whole percent, rounded down: 99.6 % is not yet 100."""
        return 100 * self.reported // self.open if self.open else 100


@dataclass
class MonthCompleteness:
    plan: Plan
    month: dt.date  # the first of the month
    as_of: dt.date
    units: list[UnitMonth] = field(default_factory=list)

    @property
    def complete(self) -> list[UnitMonth]:
        return [unit for unit in self.units if unit.complete]

    @property
    def incomplete(self) -> list[UnitMonth]:
        return [unit for unit in self.units if not unit.complete]

    @property
    def open(self) -> int:
        return sum(unit.open for unit in self.units)

    @property
    def reported(self) -> int:
        return sum(unit.reported for unit in self.units)

    @property
    def rate(self) -> int:
        return 100 * self.reported // self.open if self.open else 100


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = month.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    zone = site_timezone()
    return dt.datetime.combine(start, dt.time.min, tzinfo=zone), dt.datetime.combine(
        following, dt.time.min, tzinfo=zone
    )


def plan_months(*, plan: Plan, today: dt.date) -> list[dt.date]:
    """The plan year's months up to this one (the firsts of the months)."""
    last = 12 if plan.year < today.year else today.month if plan.year == today.year else 0
    return [dt.date(plan.year, number, 1) for number in range(1, last + 1)]


def _counts(*, plan: Plan, month: dt.date, today: dt.date, unit_ids=None) -> dict[int, tuple[int, int]]:
    """unit id → (open tasks, reported tasks) in the month: one query."""
    start, end = month_bounds(month)
    as_of = min(end.date() - dt.timedelta(days=1), today)
    states = task_states(plan=plan, as_of=as_of, today=today).exclude(status=Task.Status.VERIFIED)
    if unit_ids is not None:
        states = states.filter(unit_id__in=unit_ids)
    reported = Exists(
        ProgressReport.objects.filter(task_id=OuterRef("id"), created_at__gte=start, created_at__lt=end)
    )
    rows = (
        states.order_by()
        .values("unit_id")
        .annotate(open=Count("id"), reported=Count("id", filter=Q(reported)))
        .values_list("unit_id", "open", "reported")
    )
    return {unit_id: (open_, done) for unit_id, open_, done in rows}


def completeness_month(*, plan: Plan, month: dt.date, today: dt.date) -> MonthCompleteness:
    """Every unit with open tasks in the month, least complete first."""
    counts = _counts(plan=plan, month=month, today=today)
    names = dict(Unit.objects.filter(pk__in=counts).values_list("pk", "name"))
    units = [UnitMonth(unit_id, names.get(unit_id, ""), *counts[unit_id]) for unit_id in counts]
    units.sort(key=lambda unit: (unit.rate, -unit.missing, unit.name))
    _start, end = month_bounds(month)
    as_of = min(end.date() - dt.timedelta(days=1), today)
    return MonthCompleteness(plan=plan, month=month.replace(day=1), as_of=as_of, units=units)


@dataclass
class UnitYear:
    unit: Unit
    months: list[tuple[dt.date, UnitMonth | None]]  # None: no open task that month


def completeness_year(*, plan: Plan, units: list[Unit], today: dt.date) -> list[UnitYear]:
    """Each unit's completeness month by month over the plan's year so far:
    one query a month, however many units."""
    by_month = {
        month: _counts(plan=plan, month=month, today=today, unit_ids=[unit.pk for unit in units])
        for month in plan_months(plan=plan, today=today)
    }
    years = []
    for unit in units:
        months = []
        for month, counts in by_month.items():
            found = counts.get(unit.pk)
            months.append((month, UnitMonth(unit.pk, unit.name, *found) if found else None))
        years.append(UnitYear(unit=unit, months=months))
    return years
