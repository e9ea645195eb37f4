"""The trend over the plan year (完成趋势): at the end of each month, how many
of the scope's tasks were due, reported completed and verified.

One query whatever the size (the history bucketed by day in the database,
_trend_from_history), and a past day's point kept in the cache, since history
is only ever appended (completion_trend).
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Lead

from tasks.models import Task, history_model

from .asof import IMPORT_WINDOW, Scope, day_end, first_recorded, plan_start

Status = Task.Status
# A past day's trend point never changes; a day's worth of caching is plenty.
TREND_CACHE_SECONDS = 24 * 3600


@dataclass
class TrendPoint:
    day: dt.date
    due: int  # due on or before the day
    completed: int  # reported completed or verified
    verified: int


def trend_days(*, year: int, as_of: dt.date) -> list[dt.date]:
    """The ends of the plan year's months up to `as_of` (the last one cut to
    `as_of`): never a day outside the plan year (a past plan's trend ends on
    31 December)."""
    days = []
    for month in range(1, 13):
        if dt.date(year, month, 1) > as_of:
            break
        days.append(min(dt.date(year, month, calendar.monthrange(year, month)[1]), as_of))
    return days


def _trend_key(scope: Scope, day: dt.date, indicators_version) -> str:
    return f"xsreform:trend:{scope.plan.pk}:{scope.unit_id}:{indicators_version}:{day}:{scope.category}"


def completion_trend(
    *, scope: Scope, indicators_version=None, imported=..., today_point: TrendPoint | None = None
) -> list[TrendPoint]:
    """For each day of trend_days: how many of the (category- and unit-
    filtered) tasks were due by then, reported completed (or verified) and
    verified. The status filter does not apply: it describes the state on
    one day, the trend spans many. One query whatever the size.

    A day before today never changes (history is only ever appended, with
    today's date), so with `indicators_version` (what the category filter
    depends on, from dashboard_version) those days are kept in the cache;
    then today's point, when it is the only one missing, is read from the
    task table, and the history is not read at all. `imported` is
    asof.first_recorded, when the caller knows it already; `today_point`
    today's point, when the caller has counted the same tasks already (the
    overview's figures do, unfiltered by status)."""
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
    if missing == [scope.today] and today_point is not None:
        known[scope.today] = today_point
    elif missing == [scope.today]:
        known[scope.today] = TrendPoint(
            scope.today,
            **scope.narrow(Task.objects.filter(indicator__plan=scope.plan, is_active=True)).aggregate(
                due=Count("id", filter=Q(due_date__lte=scope.today)),
                completed=Count("id", filter=Q(status__in=[Status.COMPLETED, Status.VERIFIED])),
                verified=Count("id", filter=Q(status=Status.VERIFIED)),
            ),
        )
    elif missing:
        for point in _trend_from_history(scope, missing, imported):
            known[point.day] = point
            if point.day in keys:
                cache.set(keys[point.day], (point.due, point.completed, point.verified), TREND_CACHE_SECONDS)
    return [known[day] for day in days]


def _trend_from_history(scope: Scope, days: list[dt.date], imported=...) -> list[TrendPoint]:
    """The trend's points from the task history. Each history row is the
    task's state from its history_date until the next row's (a window
    function finds it). Instead of joining every row with every day, the
    database puts each row's start, end and due date into buckets of the
    days (width_bucket on PostgreSQL, see _bounds_reached) and counts rows
    per bucket; Python then adds the few hundred bucket counts to the days
    they cover.

    A plan imported after its start: the rows of the import count from the
    first day (asof.task_states)."""
    cutoffs = [day_end(day) for day in days]
    if imported is ...:
        imported = first_recorded(scope.plan)
    # The import's rows count from the first day, even when written later.
    backfill = imported is not None and imported + IMPORT_WINDOW > plan_start(scope.plan)
    until = max(cutoffs[-1], imported + IMPORT_WINDOW) if backfill else cutoffs[-1]
    history = scope.narrow(
        history_model(Task)._default_manager.filter(indicator__plan=scope.plan, history_date__lt=until)
    )
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
    if backfill:
        first = f"CASE WHEN r.history_date < %s THEN 0 ELSE {first} END"
        first_params = [_adapt_moment(imported + IMPORT_WINDOW), *first_params]
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


def _adapt_moment(moment: dt.datetime):
    if connection.vendor == "postgresql":
        return moment
    return connection.ops.adapt_datetimefield_value(moment)


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
