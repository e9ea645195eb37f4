"""What the work tells the apps above it. `reminders` and `dashboards` import
`tasks`; `tasks` never imports them (tests/test_architecture.py), so where
they must hear of something here, or add to a page here, they listen.

- `tasks_changed`: tasks changed in a way others may care about — a report
  filed or a review made (status), a plan resynced (due date, unit, role,
  withdrawn). Sent after the transaction committed, with the tasks' ids and
  why. The reminders cancel notices that no longer apply at once, rather
  than when their digest goes out.
- `task_changes`: what changed about tasks that their units should be told
  — a due date moved, the text or the units of the indicator changed, a
  unit given or relieved of a task — one `TaskChange` per task. Sent inside
  the writing transaction (an import, an admin edit, an approved
  extension), so the reminders record their notices with the change or
  not at all.
- `instruction_answered`: a unit answered an instruction (批示); sent after
  commit with the instruction's and the unit's ids. The reminders cancel
  the unit's unsent 批示待回复 notice.
- `task_page_panels`: the task page asks for panels to show beside the
  task; each receiver returns a `Panel` (or None). The reminders add 催办 for
  the reform office."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

# task_ids: list[int], why: str ("reported", "reviewed", "synced"), now: the
# moment it happened (None: the clock; the demo's simulated months pass it)
tasks_changed = Signal()
task_changes = Signal()  # changes: list[TaskChange], now: dt.datetime
task_page_panels = Signal()  # task, request → Panel | None
# instruction_id: int, unit_id: int, now: the moment of the answer
instruction_answered = Signal()


@dataclass
class TaskChange:
    """What changed about one task in one event, old → new. `why`: "synced"
    (an import or an admin edit of the indicator), "edited" (an admin edit
    of the task), "extended" (an approved 延期申请)."""

    task_id: int
    unit_id: int
    due_date: dt.date  # the task's due date after the change
    why: str
    due_dates: tuple[dt.date, dt.date] | None = None
    task_text: tuple[str, str] | None = None
    role: tuple[str, str] | None = None
    units_added: list[str] = field(default_factory=list)
    units_removed: list[str] = field(default_factory=list)
    added: bool = False  # the unit was given this task (or given it back)
    withdrawn: bool = False  # the unit no longer holds this task

    def __bool__(self) -> bool:
        return bool(
            self.due_dates
            or self.task_text
            or self.role
            or self.units_added
            or self.units_removed
            or self.added
            or self.withdrawn
        )

    def as_json(self) -> dict:
        """What the notice keeps (reminders.Reminder.changes): only what changed."""
        data: dict = {"why": self.why}
        if self.due_dates:
            data["due_date"] = [d.isoformat() for d in self.due_dates]
        if self.task_text:
            data["task_text"] = list(self.task_text)
        if self.role:
            data["role"] = list(self.role)
        if self.units_added:
            data["units_added"] = list(self.units_added)
        if self.units_removed:
            data["units_removed"] = list(self.units_removed)
        if self.added:
            data["added"] = True
        if self.withdrawn:
            data["withdrawn"] = True
        return data


def send_changes(*, changes: list[TaskChange], now: dt.datetime | None = None) -> None:
    """Tell the apps above, inside the caller's transaction, what changed."""
    changes = [change for change in changes if change]
    if changes:
        task_changes.send(sender=__name__, changes=changes, now=now)


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)


def send_on_commit(*, task_ids, why: str, now: dt.datetime | None = None) -> None:
    ids = sorted(set(task_ids))
    if ids:
        transaction.on_commit(lambda: tasks_changed.send(sender=__name__, task_ids=ids, why=why, now=now))


def instruction_answered_on_commit(*, instruction_id: int, unit_id: int, now: dt.datetime) -> None:
    transaction.on_commit(
        lambda: instruction_answered.send(
            sender=__name__, instruction_id=instruction_id, unit_id=unit_id, now=now
        )
    )


def panels_for(*, task, request) -> list[Panel]:
    return [
        panel
        for _receiver, panel in task_page_panels.send(sender=__name__, task=task, request=request)
        if panel
    ]
