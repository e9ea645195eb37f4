"""Keeps tasks in step with the plan and with group membership.

The dependency runs tasks → indicators → departments, so tasks listens to the
other apps' signals rather than being called by them."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from departments.models import Unit
from indicators.models import Plan
from indicators.signals import PlanPanel, plan_changed, plan_page_panels

from . import access, services
from .models import Task


@receiver(plan_changed)
def sync_after_plan_change(sender, plan, now=None, changed_texts=None, **kwargs):
    # Sent by the importer and by the admin after an indicator and its units
    # were saved; row-level signals would resync once per row. `changed_texts`:
    # indicator id → its text before, for the units' notices (tasks.changes).
    services.task_sync_plan(plan=plan, now=now, changed_texts=changed_texts)


@receiver(m2m_changed, sender=Unit.members.through)
def sync_after_group_members_change(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        services.task_sync_plans_using(unit_ids=[instance.pk])


@receiver(post_save, sender=Unit)
def sync_after_unit_change(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not {"kind", "unit_type", "member_type"} & set(update_fields)):
        return
    # A unit's type decides its place in groups that follow a type (and its
    # old type is no longer known here); a group's own rule may have changed.
    if instance.is_group or instance.unit_type:
        group_ids = Unit.objects.groups().exclude(member_type="").values_list("pk", flat=True)
        services.task_sync_plans_using(unit_ids=[instance.pk, *group_ids])


@receiver(plan_page_panels)
def year_panel(sender, plan, request, **kwargs):
    """On the plan's page, for the reform office: closing an active year
    (with how much is not verified) and carrying a closed one over."""
    if not access.is_reform_office(request.user) or plan.status not in (
        Plan.Status.ACTIVE,
        Plan.Status.CLOSED,
    ):
        return None
    context = {"plan": plan, "next_year": plan.year + 1}
    if plan.is_active:
        context["unverified"] = (
            Task.objects.for_plan(plan).active().exclude(status=Task.Status.VERIFIED).count()
        )
    else:
        context["carried_to"] = Plan.objects.filter(indicators__carried_from__plan=plan).distinct().first()
    return PlanPanel("tasks/_year_panel.html", context)
