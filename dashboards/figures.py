"""Reads for the dashboards (进展总览) of the reform office and the leaders:
the counts by unit, category and due date, the overdue list, the ranking.

Every figure comes out of the database from a handful of queries — one
for the counts by unit, by category and by due date (the trend's query over
the task history is in dashboards.trend) — so a page costs the same number
of queries for 50 tasks as for 50,000, and Python reads sums (a row per
unit, category and day), never the tasks or their reports: whether a
verified task was on time is its accepted report's day
(Task.accepted_report_on, kept by the review) against its due date.

The words, defined once here and in docs/dashboards.md (the state as of a
day: dashboards.asof):

- **overdue (已逾期)** as of D: due before D and not verified then — the rule
  of Task.is_overdue, so a task due on D itself is not overdue on D.
- **on time (按期完成)**: verified, and the completed report the verification
  accepted — the last progress report filed before the verifying review — was
  filed on or before the due date (its Asia/Shanghai date). The unit is not
  blamed for the time the office takes to verify.
- **on time after an extension (延期后按期)**: verified with an approved
  extension (延期申请), late against the original due date but on time
  against the extended one. Not on time, and not in the on-time rate: an
  extension is not on time against the original date. Overdue (已逾期) is
  against the due date in force, the extended one.
- **on-time rate (按期完成率)** = on time ÷ assessable, where assessable
  (应完成) = tasks whose due date has passed (due before D) plus tasks
  already verified before their due date (those are on time by definition),
  so finishing early counts and the rate never exceeds 100%.
"""

import datetime as dt
import operator
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.utils.dateparse import parse_datetime

from departments.models import Unit
from indicators.models import Indicator, Plan, Target
from tasks.models import ProgressReport, TargetValue, Task, TaskQuerySet, history_model

from .asof import Scope, day_end, scoped_states
from .trend import TrendPoint, completion_trend

Status = Task.Status
# The overdue list shows the longest overdue first, at most this many; the
# total is always shown.
OVERDUE_LIST_LIMIT = 100


def _late_report(due_date_field: str) -> Q:
    """The report the verification accepted (the task's last before it,
    Task.accepted_report_on, set when it was verified) was filed after
    `due_date_field` (a field of the task or history row). Verified without
    a report is not late."""
    return Q(accepted_report_on__gt=F(due_date_field))


def on_time_q() -> Q:
    """按期: verified, and on time against the **original** due date — the
    task's due date, or for a task with an approved extension (延期申请) the
    indicator's date it had before. An extension does not make a task on
    time. Works on tasks and on task history rows alike."""
    not_extended = Q(extended_due_date__isnull=True) & ~_late_report("due_date")
    extended = Q(extended_due_date__isnull=False) & ~_late_report("indicator__due_date")
    return Q(status=Status.VERIFIED) & (not_extended | extended)


def extended_on_time_q() -> Q:
    """延期后按期: verified with an approved extension, late against the
    original date but on time against the extended one (the task's due date)."""
    return (
        Q(status=Status.VERIFIED, extended_due_date__isnull=False)
        & _late_report("indicator__due_date")
        & ~_late_report("due_date")
    )


def _counts(as_of: dt.date) -> dict:
    """The aggregates of Figures, in the order of its fields."""
    return {
        "total": Count("id"),
        "verified": Count("id", filter=Q(status=Status.VERIFIED)),
        "completed": Count("id", filter=Q(status=Status.COMPLETED)),
        "in_progress": Count("id", filter=Q(status__in=[Status.IN_PROGRESS, Status.RETURNED])),
        "returned": Count("id", filter=Q(status=Status.RETURNED)),
        "not_started": Count("id", filter=Q(status=Status.NOT_STARTED)),
        "overdue": Count("id", filter=TaskQuerySet.overdue_q(as_of)),
        "assessable": Count("id", filter=Q(due_date__lt=as_of) | Q(status=Status.VERIFIED)),
        "on_time": Count("id", filter=on_time_q()),
        "extended_on_time": Count("id", filter=extended_on_time_q()),
    }


@dataclass
class Figures:
    """Counts over a set of tasks. in_progress includes returned."""

    total: int = 0
    verified: int = 0
    completed: int = 0
    in_progress: int = 0
    returned: int = 0
    not_started: int = 0
    overdue: int = 0
    assessable: int = 0
    on_time: int = 0
    extended_on_time: int = 0  # 延期后按期: not in on_time, nor in the rate

    @classmethod
    def of(cls, row: dict) -> "Figures":
        return cls(*(row.get(name, 0) for name in FIGURES))

    def __add__(self, other: "Figures") -> "Figures":
        # The fields in their order (vars() keeps it): ~230 sums a page.
        return Figures(*map(operator.add, vars(self).values(), vars(other).values()))

    @property
    def open(self) -> int:
        """Not verified."""
        return self.total - self.verified

    @property
    def pending(self) -> int:
        """Not verified and not overdue (not yet due)."""
        return self.total - self.verified - self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Percent, or None when nothing is assessable yet."""
        return round(100 * self.on_time / self.assessable, 1) if self.assessable else None

    @property
    def verified_percent(self) -> float | None:
        return round(100 * self.verified / self.total, 1) if self.total else None


FIGURES = [f.name for f in fields(Figures)]


@dataclass
class UnitRow:
    unit_id: int
    name: str
    lead: Figures = field(default_factory=Figures)
    responsible: Figures = field(default_factory=Figures)
    rank: int | None = None

    @cached_property
    def all(self) -> Figures:
        """Lead and responsible together (read once lead and responsible are set)."""
        return self.lead + self.responsible


@dataclass
class CategoryRow:
    name: str
    figures: Figures


@dataclass
class DueRow:
    """Tasks due on one day, or in one month (`day` is then the 1st)."""

    day: dt.date
    figures: Figures


@dataclass
class OverdueRow:
    id: int  # the task's
    code: str
    task_text: str
    unit_name: str
    role: str
    status: str
    due_date: dt.date
    days_late: int
    latest_percent: int | None
    latest_reported_at: dt.datetime | None


@dataclass
class Overview:
    scope: Scope
    totals: Figures
    categories: list[CategoryRow]
    units: list[UnitRow]  # ranked by on-time rate
    months: list[DueRow]
    days: list[DueRow]
    overdue: list[OverdueRow]
    trend: list[TrendPoint]

    @property
    def units_by_size(self) -> list[UnitRow]:
        """Most tasks first."""
        return sorted(self.units, key=lambda row: (-row.all.total, row.name))


def plan_categories(*, plan: Plan) -> list[str]:
    """The plan's categories (指标名称), in annex order."""
    rows = (
        Indicator.objects.filter(plan=plan)
        .values("category")
        .annotate(first=Min("position"))
        .order_by("first", "category")
    )
    return [row["category"] for row in rows]


def plan_units(*, plan: Plan) -> list[Unit]:
    """The units with a task in the plan, by name."""
    return list(
        Unit.objects.filter(pk__in=Task.objects.filter(indicator__plan=plan).values("unit_id"))
        .only("pk", "name")
        .order_by("name")
    )


def units_figures(states: QuerySet, as_of: dt.date) -> list[UnitRow]:
    """Figures per unit, lead and responsible apart, ranked by on-time rate."""
    rows = states.values_list("unit_id", "unit__name", "role").annotate(**_counts(as_of)).order_by()
    return _units((unit_id, name, role, Figures(*counts)) for unit_id, name, role, *counts in rows)


def _units(rows) -> list[UnitRow]:
    """Ranked UnitRows from rows (unit id, unit name, role, Figures)."""
    units: dict[int, UnitRow] = {}
    for unit_id, name, role, figures in rows:
        unit = units.setdefault(unit_id, UnitRow(unit_id, name))
        side = "lead" if role == Task.Role.LEAD else "responsible"
        setattr(unit, side, getattr(unit, side) + figures)
    return rank_units(list(units.values()))


def rank_units(units: list[UnitRow]) -> list[UnitRow]:
    """Best on-time rate first (equal rates share a rank; among them more
    tasks assessed, then the name, come first). Units with nothing
    assessable yet come last, unranked, by name."""

    def rate(unit: UnitRow) -> Fraction:
        return Fraction(unit.all.on_time, unit.all.assessable)

    ranked = sorted(
        (u for u in units if u.all.assessable), key=lambda u: (-rate(u), -u.all.assessable, u.name)
    )
    previous, rank = None, 0
    for position, unit in enumerate(ranked, start=1):
        if rate(unit) != previous:
            rank, previous = position, rate(unit)
        unit.rank = rank
    return ranked + sorted((u for u in units if not u.all.assessable), key=lambda u: u.name)


@dataclass
class _Grouped:
    """The scope's figures by unit and role, by category and by due date,
    from one query that compiles the ten counts once: PostgreSQL groups the
    tasks by the three at once (GROUPING SETS); SQLite, the demo's
    database, has none, and adds up the tasks grouped by all three
    (a CTE) three ways. Python reads ~150 sums, not a county plan's
    ~1,100 groups of ten counts."""

    units: list[UnitRow]
    categories: list[CategoryRow]
    months: list[DueRow]
    days: list[DueRow]


_GROUPED_BY = ("unit_id", "unit__name", "role", "indicator__category", "due_date")
# The ORM's grouped query ends with its GROUP BY (by position since Django 4.2).
_GROUP_BY_ALL = re.compile(r"GROUP BY 1, 2, 3, 4, 5\Z")


# The SQL of the overview's two large queries, by what it is compiled from:
# building and compiling them through the ORM (ten filtered counts, the
# on-time subqueries, the overdue list's latest report) took 5-6 ms of a
# 35 ms page, on every first view after a report, for the same text. Kept
# per process, the most recent _COMPILED_KEPT; the key is the scope's
# states as SQL with their parameters (task ids of a past day included)
# and the day, all the text and parameters depend on.
_COMPILED: OrderedDict[tuple, tuple[str, list]] = OrderedDict()
_COMPILED_KEPT = 64


def _states_key(states: QuerySet) -> tuple:
    sql, params = states.query.sql_with_params()
    return (sql, tuple(tuple(p) if isinstance(p, list) else p for p in params))


def _compiled(name: str, states_key: tuple, as_of: dt.date, build: Callable[[], tuple[str, list]]):
    key = (name, connection.vendor, as_of, states_key)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = build()
        while len(_COMPILED) > _COMPILED_KEPT:
            _COMPILED.popitem(last=False)
    else:
        _COMPILED.move_to_end(key)
    return found


def _grouped_sql(states: QuerySet, scope: Scope) -> tuple[str, list]:
    """Rows of (unit_id, unit name, role, category, due date, *FIGURES,
    first position): a unit's and role's (category and day NULL), a
    category's (unit and day NULL) and a day's (unit and category NULL)."""
    query = (
        states.values_list(*_GROUPED_BY)
        .annotate(**_counts(scope.as_of), first=Min("indicator__position"))
        .order_by()
    )
    inner, params = query.query.sql_with_params()
    if connection.vendor == "postgresql":
        sql, found = _GROUP_BY_ALL.subn("GROUP BY GROUPING SETS ((1, 2, 3), (4), (5))", inner)
        if found != 1:  # pragma: no cover - the ORM's SQL changed
            raise RuntimeError(f"no GROUP BY 1, 2, 3, 4, 5 at the end of {inner!r}")
        return sql, list(params)
    sums = ", ".join(f"SUM({name})" for name in FIGURES)
    columns = ", ".join(["unit_id", "unit_name", "role", "category", "due_date", *FIGURES, "position"])
    sql = f"""
        WITH g ({columns}) AS ({inner})
        SELECT unit_id, unit_name, role, NULL, NULL, {sums}, NULL FROM g
        GROUP BY unit_id, unit_name, role
        UNION ALL
        SELECT NULL, NULL, NULL, category, NULL, {sums}, MIN(position) FROM g GROUP BY category
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, due_date, {sums}, NULL FROM g GROUP BY due_date
    """  # noqa: S608 - the inner query is the ORM's, with its parameters; the rest is fixed
    return sql, list(params)


def _grouped(states: QuerySet, scope: Scope, states_key: tuple) -> _Grouped:
    sql, params = _compiled("grouped", states_key, scope.as_of, lambda: _grouped_sql(states, scope))
    # Read with the cursor: the ORM's converters would pass every count
    # through int().
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    units, categories, days = [], [], []
    for unit_id, unit_name, role, category, due_date, *counts, first in rows:
        figures = Figures(*counts)
        if unit_id is not None:
            units.append((unit_id, unit_name, role, figures))
        elif category is not None:
            categories.append((first, category, figures))
        else:
            if isinstance(due_date, str):  # SQLite gives days as text
                due_date = dt.date.fromisoformat(due_date)
            days.append(DueRow(due_date, figures))
    days.sort(key=lambda row: row.day)
    months = {dt.date(scope.plan.year, month, 1): Figures() for month in range(1, 13)}
    for row in days:
        month = row.day.replace(day=1)
        months[month] = months.get(month, Figures()) + row.figures
    return _Grouped(
        units=_units(units),
        categories=[CategoryRow(name, figures) for _first, name, figures in sorted(categories)],
        months=[DueRow(month, months[month]) for month in sorted(months)],
        days=days,
    )


def _overdue_sql(states: QuerySet, scope: Scope) -> tuple[str, list]:
    latest = ProgressReport.objects.filter(
        task_id=OuterRef("id"), created_at__lt=day_end(scope.as_of)
    ).order_by("-created_at", "-pk")
    rows = (
        states.filter(TaskQuerySet.overdue_q(scope.as_of))
        .annotate(
            latest_reported_at=Subquery(latest.values("created_at")[:1]),
            latest_percent=Subquery(latest.values("percent")[:1]),
        )
        # The plan first (one plan here, so the order is the same): ordered by
        # due date alone, with LIMIT, PostgreSQL walked the reminders' index
        # on open tasks' due dates across every plan (22 ms, not 1 ms).
        .order_by("indicator__plan", "due_date", "indicator__position", "unit__name")
        .values_list(
            "id",
            "indicator__code",
            "indicator__task_text",
            "unit__name",
            "role",
            "status",
            "due_date",
            "latest_percent",
            "latest_reported_at",
        )[:OVERDUE_LIST_LIMIT]
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _overdue_list(states: QuerySet, scope: Scope, states_key: tuple) -> list[OverdueRow]:
    sql, params = _compiled("overdue", states_key, scope.as_of, lambda: _overdue_sql(states, scope))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    overdue = []
    for pk, code, text, unit, role, status, due, percent, reported in rows:
        if isinstance(reported, str):  # SQLite: a subquery's moment, as text or naive, in UTC
            reported = parse_datetime(reported)
        if reported is not None and reported.tzinfo is None:
            reported = reported.replace(tzinfo=dt.UTC)
        overdue.append(
            OverdueRow(pk, code, text, unit, role, status, due, (scope.as_of - due).days, percent, reported)
        )
    return overdue


class DashboardVersion(NamedTuple):
    """dashboard_version's answer: the fingerprint the overview's cache is
    keyed on, and when the plan was imported."""

    tasks_updated: dt.datetime | None
    tasks: int
    active: int
    leads: int
    task_units: int | None  # the tasks' units, fingerprinted: SUM(id × unit_id)
    due_days: float | None
    indicators: int | None  # the plan's latest indicator history row
    units: int | None
    targets: int | None
    target_values: int | None  # the newest value reported for one of its targets
    imported: dt.datetime | None  # when its first task was created (dashboards.asof.first_recorded)

    @property
    def structure(self) -> tuple:
        """The part a report or a review leaves as it is (they move
        tasks_updated, and a report with a target's value target_values):
        which tasks there are, their units, roles and due dates, the
        indicators, units and targets — what the filter's choices and the
        unowned panel are read from, so they stay cached across reports."""
        return (
            self.tasks,
            self.active,
            self.leads,
            self.task_units,
            self.due_days,
            self.indicators,
            self.units,
            self.targets,
            self.imported,
        )


def dashboard_version(*, plan: Plan) -> DashboardVersion:
    """A fingerprint of everything the plan's overview is computed from, in
    one cheap query: it changes when a task of the plan is reported on or
    reviewed (updated_at, set by every status claim), created, deactivated,
    given another role or due date, when one of the plan's indicators is
    edited (its history), when any unit is renamed (unit history), and
    when one of its targets is confirmed or changed (target history) and
    when a value is reported for one (the newest value's id).
    dashboards.views keys its cache on it. Its last value is when the plan's
    first task was created (its import: dashboards.asof.first_recorded)."""
    tables = {
        "task": Task._meta.db_table,
        "indicator": Indicator._meta.db_table,
        "indicator_history": history_model(Indicator)._meta.db_table,
        "unit_history": history_model(Unit)._meta.db_table,
        "target_history": history_model(Target)._meta.db_table,
        "target": Target._meta.db_table,
        "target_value": TargetValue._meta.db_table,
    }
    # The due dates' fingerprint is their sum as day numbers; date arithmetic
    # is not portable SQL (SQLite, the demo, counts days with julianday).
    due_day = (
        "t.due_date - DATE '2000-01-01'" if connection.vendor == "postgresql" else "julianday(t.due_date)"
    )
    sql = """
        SELECT MAX(t.updated_at), COUNT(*), COUNT(*) FILTER (WHERE t.is_active),
               COUNT(*) FILTER (WHERE t.role = %s), SUM(CAST(t.id AS BIGINT) * t.unit_id),
               SUM({due_day}),
               (SELECT MAX(history_id) FROM {indicator_history} WHERE plan_id = %s),
               (SELECT MAX(history_id) FROM {unit_history}),
               (SELECT MAX(h.history_id) FROM {target_history} h
                JOIN {indicator} ti ON ti.id = h.indicator_id WHERE ti.plan_id = %s),
               (SELECT MAX(v.id) FROM {target_value} v JOIN {target} vt ON vt.id = v.target_id
                JOIN {indicator} vi ON vi.id = vt.indicator_id WHERE vi.plan_id = %s),
               MIN(t.created_at)
        FROM {task} t JOIN {indicator} i ON i.id = t.indicator_id
        WHERE i.plan_id = %s
    """.format(**tables, due_day=due_day)  # noqa: S608 - table names from the models, due_day above
    with connection.cursor() as cursor:
        cursor.execute(sql, [Task.Role.LEAD, plan.pk, plan.pk, plan.pk, plan.pk])
        version = DashboardVersion(*cursor.fetchone())
    if isinstance(version.imported, str):  # SQLite: UTC text
        version = version._replace(imported=parse_datetime(version.imported).replace(tzinfo=dt.UTC))
    return version


def dashboard_overview(*, scope: Scope, version: DashboardVersion | None = None) -> Overview:
    """Everything the overview shows, in four or five queries whatever the
    size of the plan (today, unfiltered by status, the trend's last point
    is read off the figures). With the plan's dashboard_version, the trend's past days come
    from the cache (completion_trend)."""
    states = scoped_states(scope)
    states_key = _states_key(states)
    grouped = _grouped(states, scope, states_key)
    totals = sum((unit.all for unit in grouped.units), Figures())
    today_point = None
    if scope.is_current and not scope.status:
        # Today the figures count the trend's tasks (the scope's active
        # tasks, whatever their status): its last point is read off them.
        today_point = TrendPoint(
            scope.today,
            due=sum(row.figures.total for row in grouped.days if row.day <= scope.today),
            completed=totals.completed + totals.verified,
            verified=totals.verified,
        )
    return Overview(
        scope=scope,
        totals=totals,
        categories=grouped.categories,
        units=grouped.units,
        months=grouped.months,
        days=grouped.days,
        overdue=_overdue_list(states, scope, states_key),
        trend=completion_trend(
            scope=scope,
            indicators_version=version.indicators,
            imported=version.imported,
            today_point=today_point,
        )
        if version
        else completion_trend(scope=scope, today_point=today_point),
    )
