from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tasks.models import Task


class BulletinTemplate(models.Model):
    """The office's wording of one part of the 通报 (dashboards.bulletin_text):
    Django template language over the figures of the day. A part without a
    row uses the default shipped in dashboards/bulletin_defaults/."""

    class Section(models.TextChoices):
        TITLE = "title", _("标题")
        OVERALL = "overall", _("一、总体情况")
        PROGRESS = "progress", _("二、主要进展")
        PROBLEMS = "problems", _("三、存在问题")
        NEXT_STEPS = "next_steps", _("四、下步工作")
        SIGNATURE = "signature", _("落款")

    section = models.CharField(_("部分"), max_length=20, choices=Section.choices, unique=True)
    text = models.TextField(_("模板"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("通报模板")
        verbose_name_plural = _("通报模板")
        ordering = ["section"]

    def __str__(self):
        return self.get_section_display()


class MonthEnd(models.Model):
    """A plan's tasks as they stood at the end of a month — a report period
    (如 对比上月底), copied once from the task history into MonthEndState
    the first time the overview, the monthly report or the 通报 asks for it
    (dashboards.asof.task_states). A month that has ended does not change:
    the history is only appended, and dated when written. Only month-ends
    are kept, so a plan has at most a dozen or so (not one per day a
    visitor types in)."""

    plan = models.ForeignKey("indicators.Plan", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "day"], name="monthend_once_per_plan")]

    def __str__(self):
        return f"{self.plan_id}@{self.day}"


class MonthEndState(models.Model):
    """One active task as it stood at a MonthEnd: the fields of its history
    row that the dashboards read, under the same names (`id` is the task's),
    so the figures' queries run on either. (Inactive tasks are not copied.)"""

    state_id = models.BigAutoField(primary_key=True)
    month_end = models.ForeignKey(MonthEnd, on_delete=models.CASCADE, related_name="states")
    id = models.IntegerField()  # the task's
    # The indicator's and unit's current rows are joined for their names,
    # as for the history rows; no constraint, like simple-history's.
    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    unit = models.ForeignKey(
        "departments.Unit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    role = models.CharField(max_length=12, choices=Task.Role)
    status = models.CharField(max_length=12, choices=Task.Status)
    due_date = models.DateField()
    extended_due_date = models.DateField(null=True)
    accepted_report_on = models.DateField(null=True)

    # The columns copied from the history rows (dashboards.asof).
    COPIED = [
        "id",
        "indicator_id",
        "unit_id",
        "role",
        "status",
        "due_date",
        "extended_due_date",
        "accepted_report_on",
    ]

    def __str__(self):
        return f"{self.id}@{self.month_end_id}"
