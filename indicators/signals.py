from dataclasses import dataclass, field

from django.dispatch import Signal

# Sent, inside the writing transaction, after a plan's indicators or their
# units changed in bulk (an import). Receivers keep derived rows in step.
# changed_texts (optional): indicator id → its task text before the change.
plan_changed = Signal()  # sender=Plan, kwargs: plan, now (None: the clock), changed_texts

# Sent after the transaction that moved a plan from one status to another
# committed (indicators.services.plan_*). The reminders notify units of an
# adoption and drop the notices of a plan that no longer runs.
plan_status_changed = Signal()  # sender=Plan, kwargs: plan, old, new, user

# The plan's page (indicators.views.plan_detail) asks for panels to show: the
# apps above add what they know of the plan (tasks: closing it with what is
# not verified, carrying it over) without this app importing them. Each
# receiver returns a PlanPanel or None.
plan_page_panels = Signal()  # plan, request → PlanPanel | None


@dataclass
class PlanPanel:
    template: str
    context: dict = field(default_factory=dict)


def plan_panels(*, plan, request) -> list[PlanPanel]:
    return [
        panel
        for _receiver, panel in plan_page_panels.send(sender=__name__, plan=plan, request=request)
        if panel
    ]
