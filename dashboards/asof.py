"""The plan's tasks as they stood on a day, and the scope the overview
narrows them to.

The **state as of a day** is the task as it stood at the end of that day
(Asia/Shanghai). For today it is the task table itself; for an earlier day it
is, for each task, the newest django-simple-history row written before the
next midnight (every report and review writes one, see
tasks.services._claim). Tasks inactive then are not counted.

A plan imported after its year began (the import writes each task's first
history row) has no record of the days before: from the plan's start (1
January of its year) until the import, its tasks are counted **as they were
imported** — the page says so and names the import's day (`first_recorded`,
docs/dashboards.md). Tasks added later (a unit added to an indicator in
June) count from the day they were added. The figures (dashboards.figures),
the trend (dashboards.trend) and the monthly report (dashboards.report) all
read tasks through here.

A **month's last day**, once it has ended, is read from a copy of those
history rows (MonthEnd, on PostgreSQL): the report periods the office
compares with (对比上月底) cost the overview what today does, rather than
a thousand lookups in the history per query.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Min, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy

from indicators.models import Indicator, Plan
from tasks.models import Task, TaskQuerySet, history_model, site_timezone

from .models import MonthEnd, MonthEndState

logger = logging.getLogger(__name__)

Status = Task.Status


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

    def narrow(self, tasks: QuerySet) -> QuerySet:
        """`tasks` (or task history rows) of the scope's category and unit."""
        if self.category:
            tasks = tasks.filter(indicator__category=self.category)
        if self.unit_id:
            tasks = tasks.filter(unit_id=self.unit_id)
        return tasks


def day_end(day: dt.date) -> dt.datetime:
    """The first instant after `day`, in the site's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=site_timezone())


# How long the history rows of a past day's state are kept (task_states).
PAST_STATES_SECONDS = 3600

# The rows the import's sync wrote, one transaction: within this of the
# plan's first task-history row.
IMPORT_WINDOW = dt.timedelta(minutes=1)


def plan_start(plan: Plan) -> dt.datetime:
    return dt.datetime.combine(dt.date(plan.year, 1, 1), dt.time.min, tzinfo=site_timezone())


def first_recorded(plan: Plan) -> dt.datetime | None:
    """When the plan's tasks were first recorded (its import), or None.
    (An aggregate over the plan's indicators: PostgreSQL reads the plan's
    rows by indicator. As `ORDER BY history_date LIMIT 1` it walked the
    history's date index from the oldest row of every plan, 1.5 s for the
    newest plan of a province.) Once there is one it never changes — history
    is only appended — and is kept for PAST_STATES_SECONDS."""
    key = f"xsreform:first-recorded:{plan.pk}"
    first = cache.get(key)
    if first is None:
        first = (
            history_model(Task)
            ._default_manager.filter(indicator_id__in=plan.indicators.values("id"))
            .aggregate(first=Min("history_date"))["first"]
        )
        if first is not None:
            cache.set(key, first, PAST_STATES_SECONDS)
    return first


def task_states(*, plan: Plan, as_of: dt.date, today: dt.date, backdate_import: bool = True) -> QuerySet:
    """The plan's active tasks as they stood at the end of `as_of`: rows with
    the task's id, unit, indicator, role, status and due date. Today's state
    is the task table; an earlier day's comes from the task history (from the
    plan's start on, a task imported late as it was imported — unless not
    `backdate_import`: then a day before the import has no tasks, which is
    what "who could have reported" needs)."""
    if as_of >= today:
        return Task.objects.filter(indicator__plan=plan, is_active=True)
    history = history_model(Task)._default_manager
    recorded = Q(history_date__lt=day_end(as_of))
    imported = None
    if backdate_import and day_end(as_of) > plan_start(plan):
        imported = first_recorded(plan)
        if imported is not None:
            recorded |= Q(history_date__lt=imported + IMPORT_WINDOW)
    before = history.filter(recorded, indicator__plan=plan)
    if connection.vendor == "postgresql":
        # Each task's newest row before the day's end, found once (one query,
        # DISTINCT ON) rather than in each of the overview's queries, and
        # passed as one array parameter: a thousand-item IN list costs more to
        # parse and plan than the query takes to run. A day that has ended
        # does not change (history is only appended, dated when written), so
        # the rows are kept for PAST_STATES_SECONDS: the first look at last
        # month-end after today's reports reads no history to find them.
        key = f"xsreform:asof:{plan.pk}:{as_of.isoformat()}:{backdate_import}:{imported and imported.timestamp()}"

        def latest() -> list[int]:
            found = cache.get(key)
            if found is None:
                found = list(
                    before.order_by("id", "-history_date", "-history_id")
                    .distinct("id")
                    .values_list("history_id", flat=True)
                )
                cache.set(key, found, PAST_STATES_SECONDS)
            return found

        if backdate_import and imported is not None and _kept_as_month_end(as_of):
            return MonthEndState.objects.filter(month_end_id=_month_end(plan, as_of, imported, latest))
        rows = RawSQL("SELECT unnest(%s::integer[])", (latest(),))
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
    # The plan again: PostgreSQL then reads its indicators by index (not all
    # 5,000 of a province) when it joins them for their categories.
    return history.filter(history_id__in=rows, is_active=True, indicator__plan=plan).exclude(history_type="-")


# How long after a month's end its state is copied (MonthEnd): by then
# every transaction begun before midnight has committed its history rows.
MONTH_END_SETTLED = dt.timedelta(minutes=10)


def _kept_as_month_end(day: dt.date) -> bool:
    """Is `day` a month's last day, ended long enough ago to be copied?"""
    return (day + dt.timedelta(days=1)).day == 1 and timezone.now() >= day_end(day) + MONTH_END_SETTLED


def _month_end(plan: Plan, day: dt.date, imported: dt.datetime, latest) -> int:
    """The id of the plan's MonthEnd for `day`, its tasks' states copied
    from the history rows `latest()` names the first time it is asked for
    (one INSERT … SELECT in a transaction with the MonthEnd row, so a
    MonthEnd is never seen half-written; two requests at once: the second
    waits for the first's row and uses it). Its id is kept in the cache
    with the import's time, as the rows' ids are."""
    key = f"xsreform:month-end:{plan.pk}:{day.isoformat()}:{imported.timestamp()}"
    month_end_id = cache.get(key)
    if month_end_id is None:
        month_end_id = MonthEnd.objects.filter(plan=plan, day=day).values_list("pk", flat=True).first()
        if month_end_id is None:
            month_end_id = _copy_month_end(plan, day, latest())
        cache.set(key, month_end_id, PAST_STATES_SECONDS)
    return month_end_id


def _copy_month_end(plan: Plan, day: dt.date, history_ids: list[int]) -> int:
    history = history_model(Task)
    columns = ", ".join(MonthEndState.COPIED)
    sql = f"""
        INSERT INTO {MonthEndState._meta.db_table} (month_end_id, {columns})
        SELECT %s, {columns} FROM {history._meta.db_table}
        WHERE history_id = ANY(%s) AND is_active AND history_type <> '-'
          AND indicator_id IN (SELECT id FROM {Indicator._meta.db_table} WHERE plan_id = %s)
    """  # noqa: S608 - table and column names from the models
    with transaction.atomic():
        month_end, created = MonthEnd.objects.get_or_create(plan=plan, day=day)
        if created:
            with connection.cursor() as cursor:
                cursor.execute(sql, [month_end.pk, history_ids, plan.pk])
                copied = cursor.rowcount
            logger.info("month-end %s of plan %s: %d task states copied", day, plan.year, copied)
    return month_end.pk


def scoped_states(scope: Scope) -> QuerySet:
    """The scope's tasks as they stood at the end of its day."""
    states = scope.narrow(task_states(plan=scope.plan, as_of=scope.as_of, today=scope.today))
    return states.filter(StatusFilter.condition(scope.status, as_of=scope.as_of))
