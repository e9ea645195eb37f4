"""What the work tells the apps above it. `reminders` and `dashboards` import
`tasks`; `tasks` never imports them (tests/test_architecture.py), so where
they must hear of something here, or add to a page here, they listen.

- `tasks_changed`: tasks changed in a way others may care about — a report
  filed or a review made (status), a plan resynced (due date, unit, role,
  withdrawn). Sent after the transaction committed, with the tasks' ids and
  why. The reminders cancel notices that no longer apply at once, rather
  than when their digest goes out.
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
task_page_panels = Signal()  # task, request → Panel | None
# instruction_id: int, unit_id: int, now: the moment of the answer
instruction_answered = Signal()


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
