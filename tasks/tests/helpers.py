"""Helpers for tests of the work and of the apps above it: a task by unit and
code, a report or a review filed through the services, a membership."""

import datetime as dt
from zoneinfo import ZoneInfo

from departments.models import Membership, Unit
from tasks import services
from tasks.models import Task

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Mid-July 2019: indicator 8 is due at the end of the year, indicator 1 at the
# end of July, and the June items are already overdue.
JULY_15 = dt.datetime(2019, 7, 15, 9, 0, tzinfo=SHANGHAI)


def task_of(unit_name: str, code: str, year: int = 2019) -> Task:
    return Task.objects.select_related("indicator", "unit").get(
        unit__name=unit_name, indicator__code=code, indicator__plan__year=year
    )


def report(task: Task, user, *, status=Task.Status.IN_PROGRESS, percent=50, progress="推进中", **extra):
    task.refresh_from_db()
    return services.progress_report_create(
        task=task,
        user=user,
        expected_version=task.version,
        status=status,
        percent=percent,
        progress=progress,
        **extra,
    )


def review(task: Task, user, decision, reason=""):
    task.refresh_from_db()
    return services.task_review(
        task=task, user=user, decision=decision, reason=reason, expected_version=task.version
    )


def join(user, unit_name: str) -> None:
    Membership.objects.create(user=user, unit=Unit.objects.get(name=unit_name))


def completed_tasks(staff) -> list[Task]:
    """Three tasks of the 2019 plan reported completed by `staff`, of two
    units (区数管局 8 and 9, 区卫生健康局 8): what the office verifies or
    chases in bulk."""
    join(staff, "区卫生健康局")
    tasks = [task_of("区数管局", "8"), task_of("区数管局", "9"), task_of("区卫生健康局", "8")]
    for task in tasks:
        report(task, staff, status=Task.Status.COMPLETED, percent=100)
    return [Task.objects.get(pk=t.pk) for t in tasks]


def ticks(tasks) -> list[str]:
    """The tick boxes' values (task:version) a bulk form posts."""
    return [f"{t.pk}:{t.version}" for t in tasks]
