"""Reads for the dashboards (进展总览) of the reform office and the leaders.

Every figure comes out of the database from a handful of aggregate queries
(GROUP BY unit and role, by category, by due date, and one windowed query over
the task history for the trend), so a page costs the same number of queries
for 50 tasks as for 50,000, and no Python loop ever walks the tasks: Python
only adds up the grouped rows (units, categories, days) and shapes them for
the charts.

The words, defined once here and in docs/dashboards.md:

- **state as of a day**: the task as it stood at the end of that day
  (Asia/Shanghai). For today it is the task table itself; for an earlier day
  it is, for each task, the newest django-simple-history row written before
  the next midnight (every report and review writes one, see
  tasks.services._claim). Tasks not yet created then, or inactive then, are
  not counted.
- **overdue (已逾期)** as of D: due before D and not verified then — the rule
  of Task.is_overdue, so a task due on D itself is not overdue on D.
- **on time (按期完成)**: verified, and the completed report the verification
  accepted — the last progress report filed before the verifying review — was
  filed on or before the due date (its Asia/Shanghai date). The unit is not
  blamed for the time the office takes to verify.
- **on-time rate (按期完成率)** = on time ÷ assessable, where assessable
  (应完成) = tasks whose due date has passed (due before D) plus tasks
  already verified before their due date (those are on time by definition),
  so finishing early counts and the rate never exceeds 100%.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field, fields
from fractions import Fraction
from functools import cache as cache_function
from functools import cached_property

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lead, RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Unit
from indicators.models import Indicator, Plan
from tasks.models import ProgressReport, Review, Task, TaskQuerySet, site_timezone

Status = Task.Status
# The overdue list shows the longest overdue first, at most this many; the
# total is always shown.
OVERDUE_LIST_LIMIT = 100
# A past day's trend point never changes; a day's worth of caching is plenty.
TREND_CACHE_SECONDS = 24 * 3600


class StatusFilter:
    """The status filter of the overview: the four buckets of the totals, the
    returned tasks inside 推进中, and overdue."""

    VERIFIED = Status.VERIFIED.value
    COMPLETED = Status.COMPLETED.value
    IN_PROGRESS = Status.IN_PROGRESS.value
    RETURNED = Status.RETURNED.value
    NOT_STARTED = Status.NOT_STARTED.value
    OVERDUE = "overdue"

    CHOICES = [
        (VERIFIED, gettext_lazy("已办结")),
        (COMPLETED, gettext_lazy("已完成待核实")),
        (IN_PROGRESS, gettext_lazy("推进中（含退回）")),
        (RETURNED, gettext_lazy("其中：退回")),
        (NOT_STARTED, gettext_lazy("未启动")),
        (OVERDUE, gettext_lazy("已逾期")),
    ]

    @classmethod
    def condition(cls, status: str, *, as_of: dt.date) -> Q:
        if status == cls.OVERDUE:
            return TaskQuerySet.overdue_q(as_of)
        if status == cls.IN_PROGRESS:
            return Q(status__in=[Status.IN_PROGRESS, Status.RETURNED])
        if status in Status.values:
            return Q(status=status)
        return Q()


@cache_function
def history_model(model):
    """django-simple-history's model for `model`. (Reading `Model.history`
    builds a new manager class each time, with inspect.getmembers: 0.5 ms.)"""
    return model.history.model


def day_end(day: dt.date) -> dt.datetime:
    """The first instant after `day`, in the site's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=site_timezone())


@dataclass(frozen=True)
class Scope:
    """What the overview shows: one plan, as of one day, optionally narrowed
    to a category, a unit and a status."""

    plan: Plan
    as_of: dt.date
    today: dt.date
    category: str = ""
    unit_id: int | None = None
    status: str = ""

    @property
    def is_current(self) -> bool:
        return self.as_of >= self.today


def task_states(*, plan: Plan, as_of: dt.date, today: dt.date) -> QuerySet:
    """The plan's active tasks as they stood at the end of `as_of`: rows with
    the task's id, unit, indicator, role, status and due date. Today's state
    is the task table; an earlier day's comes from the task history."""
    if as_of >= today:
        return Task.objects.filter(indicator__plan=plan, is_active=True)
    history = history_model(Task)._default_manager
    before = history.filter(indicator__plan=plan, history_date__lt=day_end(as_of))
    if connection.vendor == "postgresql":
        # Each task's newest row before the day's end, found once (one query,
        # DISTINCT ON) rather than in each of the overview's queries, and
        # passed as one array parameter: a thousand-item IN list costs more to
        # parse and plan than the query takes to run.
        latest = list(
            before.order_by("id", "-history_date", "-history_id")
            .distinct("id")
            .values_list("history_id", flat=True)
        )
        rows = RawSQL("SELECT unnest(%s::integer[])", (latest,))
    else:
        # SQLite (the demo) has neither DISTINCT ON nor arrays: the newest row
        # per task by a window function, as a subquery of each query.
        rows = (
            before.annotate(
                newest=Window(
                    RowNumber(),
                    partition_by=[F("id")],
                    order_by=[F("history_date").desc(), F("history_id").desc()],
                )
            )
            .filter(newest=1)
            .values("history_id")
        )
    return history.filter(history_id__in=rows, is_active=True).exclude(history_type="-")


def scoped_states(scope: Scope) -> QuerySet:
    states = task_states(plan=scope.plan, as_of=scope.as_of, today=scope.today)
    if scope.category:
        states = states.filter(indicator__category=scope.category)
    if scope.unit_id:
        states = states.filter(unit_id=scope.unit_id)
    return states.filter(StatusFilter.condition(scope.status, as_of=scope.as_of))


def on_time_q() -> Q:
    """Verified, with no progress report filed after the due date and before
    the verification — so the report the verification accepted (the last one
    before it) was on time. Works on tasks and on task history rows alike."""
    verified_at = Review.objects.filter(
        task_id=OuterRef("task_id"), decision=Review.Decision.VERIFIED
    ).order_by("created_at", "pk")
    late_report = ProgressReport.objects.filter(
        task_id=OuterRef("id"),
        created_at__date__gt=OuterRef("due_date"),
        created_at__lt=Subquery(verified_at.values("created_at")[:1]),
    )
    return Q(status=Status.VERIFIED) & ~Exists(late_report)


def _counts(as_of: dt.date) -> dict:
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

    @classmethod
    def of(cls, row: dict) -> "Figures":
        return cls(*(row.get(name, 0) for name in FIGURES))

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(*(getattr(self, name) + getattr(other, name) for name in FIGURES))

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
class TrendPoint:
    day: dt.date
    due: int  # due on or before the day
    completed: int  # reported completed or verified
    verified: int


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
    rows = states.values("unit_id", "unit__name", "role").annotate(**_counts(as_of)).order_by()
    units: dict[int, UnitRow] = {}
    for row in rows:
        unit = units.setdefault(row["unit_id"], UnitRow(row["unit_id"], row["unit__name"]))
        setattr(unit, "lead" if row["role"] == Task.Role.LEAD else "responsible", Figures.of(row))
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


def _by_category(states: QuerySet, as_of: dt.date) -> list[CategoryRow]:
    rows = (
        states.values("indicator__category")
        .annotate(**_counts(as_of), first=Min("indicator__position"))
        .order_by("first", "indicator__category")
    )
    return [CategoryRow(row["indicator__category"], Figures.of(row)) for row in rows]


def _by_due_date(states: QuerySet, scope: Scope) -> tuple[list[DueRow], list[DueRow]]:
    """Tasks by due date (the calendar) and by due month: every month of the
    plan year, and any other month in which something is due."""
    counts = {
        key: value for key, value in _counts(scope.as_of).items() if key not in ("assessable", "on_time")
    }
    rows = states.values("due_date").annotate(**counts).order_by("due_date")
    days = [DueRow(row["due_date"], Figures.of(row)) for row in rows]
    months = {dt.date(scope.plan.year, month, 1): Figures() for month in range(1, 13)}
    for row in days:
        month = row.day.replace(day=1)
        months[month] = months.get(month, Figures()) + row.figures
    return [DueRow(month, months[month]) for month in sorted(months)], days


def _overdue_list(states: QuerySet, scope: Scope) -> list[OverdueRow]:
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
    return [
        OverdueRow(pk, code, text, unit, role, status, due, (scope.as_of - due).days, percent, reported)
        for pk, code, text, unit, role, status, due, percent, reported in rows
    ]


def trend_days(*, year: int, as_of: dt.date) -> list[dt.date]:
    """The ends of the plan year's months up to `as_of` (the last one cut to
    `as_of`), and `as_of` itself when it lies after the plan year."""
    days = []
    for month in range(1, 13):
        if dt.date(year, month, 1) > as_of:
            break
        days.append(min(dt.date(year, month, calendar.monthrange(year, month)[1]), as_of))
    if as_of > dt.date(year, 12, 31):
        days.append(as_of)
    return days


def _trend_scope(tasks: QuerySet, scope: Scope) -> QuerySet:
    tasks = tasks.filter(indicator__plan=scope.plan)
    if scope.category:
        tasks = tasks.filter(indicator__category=scope.category)
    if scope.unit_id:
        tasks = tasks.filter(unit_id=scope.unit_id)
    return tasks


def _trend_key(scope: Scope, day: dt.date, indicators_version) -> str:
    return f"xsreform:trend:{scope.plan.pk}:{scope.unit_id}:{indicators_version}:{day}:{scope.category}"


def completion_trend(*, scope: Scope, indicators_version=None) -> list[TrendPoint]:
    """For each day of trend_days: how many of the (category- and unit-
    filtered) tasks were due by then, reported completed (or verified) and
    verified. The status filter does not apply: it describes the state on
    one day, the trend spans many. One query whatever the size.

    A day before today never changes (history is only ever appended, with
    today's date), so with `indicators_version` (what the category filter
    depends on, from dashboard_version) those days are kept in the cache;
    then today's point, when it is the only one missing, is read from the
    task table, and the history is not read at all."""
    days = trend_days(year=scope.plan.year, as_of=scope.as_of)
    if not days:
        return []
    known: dict[dt.date, TrendPoint] = {}
    keys = {}
    if indicators_version is not None:
        keys = {day: _trend_key(scope, day, indicators_version) for day in days if day < scope.today}
        cached = cache.get_many(keys.values())
        known = {day: TrendPoint(day, *cached[key]) for day, key in keys.items() if key in cached}
    missing = [day for day in days if day not in known]
    if missing == [scope.today]:
        known[scope.today] = TrendPoint(
            scope.today,
            **_trend_scope(Task.objects.filter(is_active=True), scope).aggregate(
                due=Count("id", filter=Q(due_date__lte=scope.today)),
                completed=Count("id", filter=Q(status__in=[Status.COMPLETED, Status.VERIFIED])),
                verified=Count("id", filter=Q(status=Status.VERIFIED)),
            ),
        )
    elif missing:
        for point in _trend_from_history(scope, missing):
            known[point.day] = point
            if point.day in keys:
                cache.set(keys[point.day], (point.due, point.completed, point.verified), TREND_CACHE_SECONDS)
    return [known[day] for day in days]


def _trend_from_history(scope: Scope, days: list[dt.date]) -> list[TrendPoint]:
    """The trend's points from the task history. Each history row is the
    task's state from its history_date until the next row's (a window
    function finds it). Instead of joining every row with every day, the
    database puts each row's start, end and due date into buckets of the
    days (width_bucket on PostgreSQL, see _bounds_reached) and counts rows
    per bucket; Python then adds the few hundred bucket counts to the days
    they cover."""
    cutoffs = [day_end(day) for day in days]
    history = _trend_scope(history_model(Task)._default_manager.filter(history_date__lt=cutoffs[-1]), scope)
    rows = (
        history.annotate(
            valid_until=Window(
                Lead("history_date"),
                partition_by=[F("id")],
                order_by=[F("history_date").asc(), F("history_id").asc()],
            )
        )
        .values("status", "due_date", "is_active", "history_type", "history_date", "valid_until")
        .order_by()
    )
    rows_sql, rows_params = rows.query.sql_with_params()
    # A row is in force at the end of day k when history_date < cutoff[k] <=
    # valid_until: for k in [first, last), first = #cutoffs <= history_date,
    # last = #cutoffs <= valid_until. It is due on day k when due_date <=
    # days[k]: for k >= #days before due_date.
    first, first_params = _bounds_reached("r.history_date", cutoffs, "timestamptz")
    last, last_params = _bounds_reached("r.valid_until", cutoffs, "timestamptz")
    # #days before due_date = #(the days after them) on or before due_date.
    due_from, due_params = _bounds_reached("r.due_date", [day + dt.timedelta(days=1) for day in days], "date")
    sql = f"""
        SELECT {first} AS first,
               COALESCE({last}, %s) AS last,
               {due_from} AS due_from,
               r.status IN (%s, %s) AS completed,
               r.status = %s AS verified,
               COUNT(*)
        FROM ({rows_sql}) AS r
        WHERE r.is_active AND r.history_type <> '-'
        GROUP BY 1, 2, 3, 4, 5
    """  # noqa: S608 - the only interpolation is the ORM's own parametrised SQL and _bounds_reached's
    params = [
        *first_params,
        *last_params,
        len(days),
        *due_params,
        Status.COMPLETED,
        Status.VERIFIED,
        Status.VERIFIED,
        *rows_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        buckets = cursor.fetchall()
    points = [TrendPoint(day, 0, 0, 0) for day in days]
    for first, last, due_from, completed, verified, count in buckets:
        for point in points[first:last]:
            point.completed += count if completed else 0
            point.verified += count if verified else 0
        for point in points[max(first, due_from) : last]:
            point.due += count
    return points


def _bounds_reached(column: str, bounds: list, db_type: str) -> tuple[str, list]:
    """SQL and parameters for how many of the sorted `bounds` are at or
    before `column` (NULL when it is NULL). PostgreSQL: width_bucket over
    one array parameter. SQLite (the demo) has neither: a sum of
    comparisons, each 1 or 0 (13 bounds at most, trend_days), with the
    bounds adapted as the ORM stores them (UTC text)."""
    if connection.vendor == "postgresql":
        return f"width_bucket({column}, %s::{db_type}[])", [bounds]
    adapt = {
        "timestamptz": connection.ops.adapt_datetimefield_value,
        "date": connection.ops.adapt_datefield_value,
    }[db_type]
    return "(" + " + ".join(f"({column} >= %s)" for _ in bounds) + ")", [adapt(b) for b in bounds]


def dashboard_version(*, plan: Plan) -> tuple:
    """A fingerprint of everything the plan's overview is computed from, in
    one cheap query: it changes when a task of the plan is reported on or
    reviewed (updated_at, set by every status claim), created, deactivated,
    given another role or due date, when one of the plan's indicators is
    edited (its history), and when any unit is renamed (unit history).
    views_dashboard keys its cache on it."""
    tables = {
        "task": Task._meta.db_table,
        "indicator": Indicator._meta.db_table,
        "indicator_history": history_model(Indicator)._meta.db_table,
        "unit_history": history_model(Unit)._meta.db_table,
    }
    # The due dates' fingerprint is their sum as day numbers; date arithmetic
    # is not portable SQL (SQLite, the demo, counts days with julianday).
    due_day = (
        "t.due_date - DATE '2000-01-01'" if connection.vendor == "postgresql" else "julianday(t.due_date)"
    )
    sql = """
        SELECT MAX(t.updated_at), COUNT(*), COUNT(*) FILTER (WHERE t.is_active),
               COUNT(*) FILTER (WHERE t.role = %s), SUM({due_day}),
               (SELECT MAX(history_id) FROM {indicator_history} WHERE plan_id = %s),
               (SELECT MAX(history_id) FROM {unit_history})
        FROM {task} t JOIN {indicator} i ON i.id = t.indicator_id
        WHERE i.plan_id = %s
    """.format(**tables, due_day=due_day)  # noqa: S608 - table names from the models, due_day above
    with connection.cursor() as cursor:
        cursor.execute(sql, [Task.Role.LEAD, plan.pk, plan.pk])
        return cursor.fetchone()


def dashboard_overview(*, scope: Scope, version: tuple | None = None) -> Overview:
    """Everything the overview shows, in five queries whatever the size of
    the plan. With the plan's dashboard_version, the trend's past days come
    from the cache (completion_trend)."""
    states = scoped_states(scope)
    units = units_figures(states, scope.as_of)
    totals = sum((unit.all for unit in units), Figures())
    months, days = _by_due_date(states, scope)
    return Overview(
        scope=scope,
        totals=totals,
        categories=_by_category(states, scope.as_of),
        units=units,
        months=months,
        days=days,
        overdue=_overdue_list(states, scope),
        trend=completion_trend(scope=scope, indicators_version=version[5] if version else None),
    )


# The charts: the same numbers as the tables, shaped for static/js/dashboard.js.


def dashboard_charts(overview: Overview) -> dict:
    """The data of every chart, with its labels (translated here, so the
    script holds no words)."""
    verified, completed, in_progress, not_started = (
        _("已办结"),
        _("已完成待核实"),
        _("推进中"),
        _("未启动"),
    )
    units = overview.units_by_size
    ranked = [u for u in overview.units if u.rank is not None]
    return {
        "categories": {
            "names": [row.name for row in overview.categories],
            "series": [
                {
                    "name": verified,
                    "key": "verified",
                    "data": [r.figures.verified for r in overview.categories],
                },
                {
                    "name": completed,
                    "key": "completed",
                    "data": [r.figures.completed for r in overview.categories],
                },
                {
                    "name": in_progress,
                    "key": "in_progress",
                    "data": [r.figures.in_progress for r in overview.categories],
                },
                {
                    "name": not_started,
                    "key": "not_started",
                    "data": [r.figures.not_started for r in overview.categories],
                },
            ],
        },
        "units": {
            "names": [u.name for u in units],
            "ids": [u.unit_id for u in units],
            "series": [
                {
                    "name": _("牵头·已办结"),
                    "stack": "lead",
                    "key": "verified",
                    "data": [u.lead.verified for u in units],
                },
                {
                    "name": _("牵头·未办结"),
                    "stack": "lead",
                    "key": "lead_open",
                    "data": [u.lead.open for u in units],
                },
                {
                    "name": _("责任·已办结"),
                    "stack": "responsible",
                    "key": "verified_light",
                    "data": [u.responsible.verified for u in units],
                },
                {
                    "name": _("责任·未办结"),
                    "stack": "responsible",
                    "key": "responsible_open",
                    "data": [u.responsible.open for u in units],
                },
            ],
        },
        "months": {
            "names": [_month_label(r.day, overview.scope.plan.year) for r in overview.months],
            "series": [
                {"name": verified, "key": "verified", "data": [r.figures.verified for r in overview.months]},
                {"name": _("已逾期"), "key": "overdue", "data": [r.figures.overdue for r in overview.months]},
                {"name": _("未到期"), "key": "pending", "data": [r.figures.pending for r in overview.months]},
            ],
        },
        "calendar": {
            "range": _calendar_range(overview),
            "label": _("当日到期任务数"),
            "data": [
                [r.day.isoformat(), r.figures.total, r.figures.verified, r.figures.overdue]
                for r in overview.days
            ],
            "words": {"due": _("到期"), "verified": _("已办结"), "overdue": _("已逾期")},
        },
        "ranking": {
            "names": [u.name for u in ranked],
            "ids": [u.unit_id for u in ranked],
            "values": [u.all.on_time_rate for u in ranked],
            "label": _("按期完成率（%）"),
        },
        "trend": {
            "days": [f"{p.day.month}月{p.day.day}日" for p in overview.trend],
            "series": [
                {"name": _("应完成（已到截止日）"), "key": "due", "data": [p.due for p in overview.trend]},
                {
                    "name": _("已报完成（含已办结）"),
                    "key": "completed",
                    "data": [p.completed for p in overview.trend],
                },
                {"name": verified, "key": "verified", "data": [p.verified for p in overview.trend]},
            ],
        },
    }


def _month_label(month: dt.date, year: int) -> str:
    if month.year == year:
        return _("%(month)d月") % {"month": month.month}
    return _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month}


def _calendar_range(overview: Overview) -> list[str] | str:
    year = overview.scope.plan.year
    if not overview.days:
        return str(year)
    first, last = overview.days[0].day, overview.days[-1].day
    if first.year == last.year == year:
        return str(year)
    return [first.replace(day=1).isoformat(), last.isoformat()]
