"""What the reminders hear from the work (tasks.signals): tasks do not
import reminders, so reminders listen."""

from django.dispatch import receiver

from indicators.models import Plan
from indicators.signals import plan_status_changed
from tasks import access
from tasks.signals import Panel, instruction_answered, task_changes, task_page_panels, tasks_changed

from . import selectors, services


@receiver(tasks_changed)
def void_stale_notices(sender, task_ids, why, now=None, **kwargs):
    services.notices_void_stale(task_ids=task_ids, now=now)


@receiver(task_changes)
def tell_units_of_changes(sender, changes, now=None, **kwargs):
    """任务有变更 / 任务已撤销, recorded in the transaction of the change."""
    services.notices_task_changed(changes=changes, now=now)


@receiver(instruction_answered)
def void_instruction_notice(sender, instruction_id, unit_id, now=None, **kwargs):
    services.notices_void_answered_instruction(instruction_id=instruction_id, unit_id=unit_id, now=now)


@receiver(plan_status_changed)
def after_plan_status_change(sender, plan, old, new, **kwargs):
    """An adopted plan is announced to every unit with a task in it; a plan
    that stops running (closed) takes its unsent notices with it."""
    if new == Plan.Status.ACTIVE:
        services.notices_plan_adopted(plan=plan)
    services.notices_void_stale_for_plan(plan=plan)


@receiver(task_page_panels)
def remind_panel(sender, task, request, **kwargs):
    """催办, for the reform office, on a task still open."""
    running = task.indicator.plan.is_active
    if access.is_reform_office(request.user) and running and task.is_active and not task.is_closed:
        return Panel("reminders/_remind_button.html", {"last": selectors.last_manual_reminder(task)})
    return None
