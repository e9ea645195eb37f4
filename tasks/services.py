"""Writes on tasks. Every function here runs in a transaction."""

import logging

from django.db import transaction

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Plan

from .models import Task

logger = logging.getLogger(__name__)


def _expected_tasks(plan: Plan) -> dict[tuple[int, int], tuple[str, object]]:
    """(indicator id, unit id) → (role, due date) for every unit the plan
    names, groups expanded to their members; a unit both lead and responsible
    on one indicator has one task, as lead."""
    groups = {
        group.pk: group
        for group in Unit.objects.groups().filter(
            pk__in=IndicatorUnit.objects.filter(indicator__plan=plan).values("unit")
        )
    }
    members_of = {pk: list(group.member_units().values_list("pk", flat=True)) for pk, group in groups.items()}

    expected: dict[tuple[int, int], tuple[str, object]] = {}
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


@transaction.atomic
def task_sync_plan(*, plan: Plan) -> dict[str, int]:
    """Create, update and deactivate the plan's tasks so that every lead and
    responsible unit (group members included) has exactly one active task.

    Tasks are never deleted here: a unit dropped from an indicator keeps its
    reports, its task is only deactivated."""
    expected = _expected_tasks(plan)
    existing = {(t.indicator_id, t.unit_id): t for t in Task.objects.for_plan(plan)}

    to_create, to_update = [], []
    for key, (role, due_date) in expected.items():
        task = existing.get(key)
        if task is None:
            to_create.append(Task(indicator_id=key[0], unit_id=key[1], role=role, due_date=due_date))
        elif (task.role, task.due_date, task.is_active) != (role, due_date, True):
            task.role, task.due_date, task.is_active = role, due_date, True
            to_update.append(task)
    for key, task in existing.items():
        if key not in expected and task.is_active:
            task.is_active = False
            to_update.append(task)

    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    bulk_create_with_history(to_create, Task, batch_size=1000)
    bulk_update_with_history(to_update, Task, ["role", "due_date", "is_active"], batch_size=1000)
    counts = {"created": len(to_create), "updated": len(to_update)}
    logger.info("tasks synced for plan %s: %s", plan.year, counts)
    return counts


def task_sync_plans_using(*, unit_ids) -> None:
    """Resync every plan that names one of these units or groups."""
    plans = Plan.objects.filter(
        indicators__in=Indicator.objects.filter(indicator_units__unit_id__in=unit_ids)
    ).distinct()
    for plan in plans:
        task_sync_plan(plan=plan)
