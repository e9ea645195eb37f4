"""What is being done about the plan: one task per unit per indicator."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit


class TaskQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_unit(self, unit):
        return self.filter(unit=unit)

    def for_plan(self, plan):
        return self.filter(indicator__plan=plan)


class Task(models.Model):
    """One unit's share of one indicator: what staff update and reminders chase."""

    Role = IndicatorUnit.Role

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("推进中")
        COMPLETED = "completed", _("已完成")
        VERIFIED = "verified", _("已办结")
        RETURNED = "returned", _("退回")

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="tasks"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="tasks")
    role = models.CharField(_("角色"), max_length=12, choices=Role)
    status = models.CharField(_("状态"), max_length=12, choices=Status, default=Status.NOT_STARTED)
    due_date = models.DateField(_("截止日期"))
    is_active = models.BooleanField(
        _("仍在计划中"),
        default=True,
        help_text=_("单位不再承担该指标时任务停用而不删除，已报送的进展得以保留。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()
    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["indicator__plan", "indicator__position", "role", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"], name="task_unique_indicator_unit")
        ]
        indexes = [models.Index(fields=["unit", "due_date"], name="task_unit_due")]

    def __str__(self):
        return f"{self.indicator.code} · {self.unit.name}"
