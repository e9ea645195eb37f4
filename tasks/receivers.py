"""Keeps tasks in step with the plan and with group membership.

The dependency runs tasks → indicators → departments, so tasks listens to the
other apps' signals rather than being called by them."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit
from indicators.signals import plan_changed

from . import services


@receiver(plan_changed)
def sync_after_import(sender, plan, **kwargs):
    services.task_sync_plan(plan=plan)


@receiver(post_save, sender=IndicatorUnit)
@receiver(post_delete, sender=IndicatorUnit)
def sync_after_indicator_unit_change(sender, instance, **kwargs):
    services.task_sync_plan(plan=instance.indicator.plan)


@receiver(post_save, sender=Indicator)
def sync_after_indicator_change(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:
        services.task_sync_plan(plan=instance.plan)


@receiver(m2m_changed, sender=Unit.members.through)
def sync_after_group_members_change(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        services.task_sync_plans_using(unit_ids=[instance.pk])


@receiver(post_save, sender=Unit)
def sync_after_unit_change(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # A unit's type decides its place in groups that follow a type (and its
    # old type is no longer known here); a group's own rule may have changed.
    if instance.is_group or instance.unit_type:
        group_ids = Unit.objects.groups().exclude(member_type="").values_list("pk", flat=True)
        services.task_sync_plans_using(unit_ids=[instance.pk, *group_ids])
