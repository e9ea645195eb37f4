"""What changed about tasks, for their units (变更告知): a resync of the plan
(an import, an admin edit of an indicator), an admin edit of a task and an
approved extension each describe what they changed, old → new, as one
`signals.TaskChange` per task; `signals.send_changes` hands them to the
reminders inside the writing transaction. Who is told what:

- a unit whose task's due date, text or role changed: what changed;
- a unit given a task on an indicator that already had tasks (re-added, a
  new indicator mid-year, a new member of a group): that it holds it now;
- a unit relieved of a task (its task deactivated): that it was withdrawn;
- the lead units of an indicator whose units changed: which units were
  added and removed (the responsible units do not hear of each other, so
  that a group gaining a member is not a notice to every other member on
  every indicator it is named on).

A verified task (已办结) is told nothing more; nor is anyone when a plan's
tasks are first created (the units hear of an adoption instead)."""

import datetime as dt
from collections import defaultdict

from departments.models import Unit
from indicators.models import Indicator

from .models import Task
from .signals import TaskChange


def sync_changes(
    *,
    created: list[Task],
    updated: list[tuple[Task, tuple[str, dt.date, bool]]],
    unchanged: list[Task],
    changed_texts: dict[int, str],
    why: str = "synced",
) -> list[TaskChange]:
    """The changes of one resync: `created` tasks, `updated` ones with their
    (role, due date, is_active) before, the `unchanged` active ones (their
    indicator's text may have changed), and `changed_texts` (indicator id →
    its text before the edit)."""
    by_task: dict[int, TaskChange] = {}

    def change(task: Task) -> TaskChange:
        if task.pk not in by_task:
            by_task[task.pk] = TaskChange(
                task_id=task.pk, unit_id=task.unit_id, due_date=task.due_date, why=why
            )
        return by_task[task.pk]

    added: dict[int, list[Task]] = defaultdict(list)
    removed: dict[int, list[Task]] = defaultdict(list)
    for task in created:
        added[task.indicator_id].append(task)
    for task, (role, due_date, was_active) in updated:
        if task.status == Task.Status.VERIFIED:
            continue
        if not task.is_active:
            change(task).withdrawn = True
            removed[task.indicator_id].append(task)
            continue
        if not was_active:
            added[task.indicator_id].append(task)
            continue
        if due_date != task.due_date:
            change(task).due_dates = (due_date, task.due_date)
        if role != task.role:
            change(task).role = (role, task.role)

    current = [t for t in [*unchanged, *(t for t, _old in updated)] if t.is_active]
    texts = dict(Indicator.objects.filter(pk__in=changed_texts).values_list("pk", "task_text"))
    for task in current:
        old_text = changed_texts.get(task.indicator_id)
        if old_text is not None and old_text != texts.get(task.indicator_id) and not task.is_closed:
            change(task).task_text = (old_text, texts[task.indicator_id])
    for tasks in added.values():
        for task in tasks:
            change(task).added = True

    moved = set(added) | set(removed)
    if moved:
        ids = {t.unit_id for i in moved for t in [*added[i], *removed[i]]}
        names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
        newcomers = {t.pk for tasks in added.values() for t in tasks}
        for task in current:
            lead = task.role == Task.Role.LEAD and not task.is_closed
            if lead and task.indicator_id in moved and task.pk not in newcomers:
                change(task).units_added = sorted(names[t.unit_id] for t in added[task.indicator_id])
                change(task).units_removed = sorted(names[t.unit_id] for t in removed[task.indicator_id])
    return [c for c in by_task.values() if c]
