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
June) count from the day they were added. The figures (dashboards.figures), the trend (dashboards.trend) and
the monthly report (dashboards.report) all read tasks through here.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import F, Min, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy

from indicators.models import Plan
from tasks.models import Task, TaskQuerySet, history_model, site_timezone

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
        latest = cache.get(key)
        if latest is None:
            latest = list(
                before.order_by("id", "-history_date", "-history_id")
                .distinct("id")
                .values_list("history_id", flat=True)
            )
            cache.set(key, latest, PAST_STATES_SECONDS)
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
    # The plan again: PostgreSQL then reads its indicators by index (not all
    # 5,000 of a province) when it joins them for their categories.
    return history.filter(history_id__in=rows, is_active=True, indicator__plan=plan).exclude(history_type="-")


def scoped_states(scope: Scope) -> QuerySet:
    """The scope's tasks as they stood at the end of its day."""
    states = scope.narrow(task_states(plan=scope.plan, as_of=scope.as_of, today=scope.today))
    return states.filter(StatusFilter.condition(scope.status, as_of=scope.as_of))
