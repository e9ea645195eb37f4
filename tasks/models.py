"""What is being done about the plan: one task per unit per indicator, the
progress reports units file on it, their evidence files and the reform
office's reviews."""

import datetime as dt
import uuid
from functools import cache
from pathlib import PurePath
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Target
from indicators.targets.proposal import plain_number


class TaskQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_unit(self, unit):
        return self.filter(unit=unit)

    def for_units(self, unit_ids):
        return self.filter(unit_id__in=unit_ids)

    def for_plan(self, plan):
        return self.filter(indicator__plan=plan)

    # Each filter also as a condition, so that one query can count them all
    # (tasks.selectors.task_list).

    @staticmethod
    def overdue_q(on: dt.date) -> Q:
        return Q(due_date__lt=on) & ~Q(status=Task.Status.VERIFIED)

    @staticmethod
    def due_in_month_q(on: dt.date) -> Q:
        return Q(due_date__year=on.year, due_date__month=on.month)

    @staticmethod
    def not_reported_in_month_q(on: dt.date) -> Q:
        month_start = dt.datetime.combine(on.replace(day=1), dt.time.min, tzinfo=site_timezone())
        reported = Exists(ProgressReport.objects.filter(task=OuterRef("pk"), created_at__gte=month_start))
        return ~Q(status=Task.Status.VERIFIED) & ~Q(reported)

    def overdue(self, *, on: dt.date):
        """Past the due date and not verified (逾期). Computed, never stored."""
        return self.filter(self.overdue_q(on))

    def due_in_month(self, *, on: dt.date):
        """Due in the calendar month of `on` (本月到期)."""
        return self.filter(self.due_in_month_q(on))

    def not_reported_in_month(self, *, on: dt.date):
        """Still open, with no progress report filed since the first of the
        month of `on` (本月未报送), the month taken in the site's time zone."""
        return self.filter(self.not_reported_in_month_q(on))

    def with_latest_report(self):
        """Annotate latest_percent, latest_reported_at and, for returned tasks,
        return_reason — one query whatever the number of tasks."""
        latest = ProgressReport.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk")
        last_return = Review.objects.filter(task=OuterRef("pk"), decision=Review.Decision.RETURNED).order_by(
            "-created_at", "-pk"
        )
        return self.annotate(
            latest_percent=Subquery(latest.values("percent")[:1]),
            latest_reported_at=Subquery(latest.values("created_at")[:1]),
            return_reason=Subquery(last_return.values("reason")[:1]),
        )


class Task(models.Model):
    """One unit's share of one indicator: what staff update and reminders chase."""

    Role = IndicatorUnit.Role

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("推进中")
        COMPLETED = "completed", _("已完成")
        VERIFIED = "verified", _("已办结")
        # 退回 is also the reviewer's button and decision: a context apiece.
        RETURNED = "returned", pgettext_lazy("task status", "退回")

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="tasks"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="tasks")
    role = models.CharField(_("角色"), max_length=12, choices=Role)
    status = models.CharField(_("状态"), max_length=12, choices=Status, default=Status.NOT_STARTED)
    due_date = models.DateField(_("截止日期"))
    # An approved extension (延期申请) pins the due date: a resync of the plan
    # keeps the later of the indicator's date and this one.
    extended_due_date = models.DateField(_("延期后截止日期"), null=True, blank=True)
    # Set once, by the verifying review (tasks.services.task_review): the day
    # (Asia/Shanghai) the report the verification accepted — the last one
    # before it — was filed. 按期 is this day against the due date
    # (dashboards.figures.on_time_q), read from the task and its history rows
    # without going back to the reports on every count.
    accepted_report_on = models.DateField(_("办结所据报送日期"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(
        _("仍在计划中"),
        default=True,
        help_text=_("单位不再承担该指标时任务停用而不删除，已报送的进展得以保留。"),
    )
    version = models.PositiveIntegerField(
        _("版本"),
        default=0,
        help_text=_("每次报送或审核加一；保存时核对，防止两人基于旧页面互相覆盖。"),
    )
    # Stamped by the services (their `now`), so a simulated past keeps its dates.
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
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
        indexes = [
            models.Index(fields=["unit", "due_date"], name="task_unit_due"),
            # Reminder sweep (reminders.sweep): due soon, overdue and escalation
            # candidates are the open tasks by due date.
            models.Index(
                fields=["due_date"],
                name="task_open_due",
                condition=Q(is_active=True) & ~Q(status="verified"),
            ),
        ]

    NAME_CHARS = 24  # of the task's text in its name

    def __str__(self):
        return f"{self.name} · {self.unit.name}"

    @property
    def name(self) -> str:
        """The task as every page, message and list names it: the plan's
        year, the item's number and the start of its text — 2019 · 36
        推进数据共享和一窗受理… (the `task_name` template filter). Needs the
        indicator and its plan (select_related("indicator__plan"))."""
        indicator = self.indicator
        text = " ".join(indicator.task_text.split())
        if len(text) > self.NAME_CHARS:
            text = text[: self.NAME_CHARS] + "…"
        return f"{indicator.plan.year} · {indicator.code} {text}"

    def is_overdue(self, on: dt.date) -> bool:
        return self.status != self.Status.VERIFIED and self.due_date < on

    def days_left(self, on: dt.date) -> int:
        """Days until the due date; negative once it has passed."""
        return (self.due_date - on).days

    @property
    def awaits_review(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.VERIFIED


@cache
def history_model(model):
    """django-simple-history's model for `model`. (Reading `Model.history`
    or `instance.history` builds a new manager class each time, with
    inspect.getmembers: 0.5 ms.)"""
    return model.history.model


def site_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# What a unit may report; verified and returned are the reform office's.
REPORT_STATUSES = [Task.Status.NOT_STARTED, Task.Status.IN_PROGRESS, Task.Status.COMPLETED]


class ProgressReport(models.Model):
    """A dated update on a task by its unit's staff. Append-only: a correction
    is a new report, so nothing reported is ever lost."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="progress_reports"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报送人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("报送时间"), default=timezone.now, editable=False, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=[(s.value, s.label) for s in REPORT_STATUSES])
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"))
    progress = models.TextField(_("进展情况"))
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下步计划"), blank=True)
    # The lead unit's consolidated report attaches its partners' evidence by
    # reference (牵头汇总): the files stay with the reports they came with.
    referenced_evidence = models.ManyToManyField(
        "Evidence", verbose_name=_("引用的佐证材料"), blank=True, related_name="referenced_by"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("进展报送")
        verbose_name_plural = _("进展报送")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["task", "-created_at"], name="report_task_latest")]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_max_100"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in REPORT_STATUSES]), name="report_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.task} · {self.get_status_display()} {self.percent}%"


def evidence_path(evidence: "EvidenceFile", filename: str) -> str:
    # A random name on disk: the original name is kept in the row, never
    # trusted as a path.
    return f"evidence/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{evidence.kind}"


class EvidenceFile(models.Model):
    """A file kept under MEDIA_ROOT and served only through a view that
    checks access to its task: a report's evidence, or the files that come
    with an extension request."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOC = "doc", "Word (doc)"
        DOCX = "docx", "Word (docx)"
        XLS = "xls", "Excel (xls)"
        XLSX = "xlsx", "Excel (xlsx)"
        JPG = "jpg", "JPEG"
        PNG = "png", "PNG"

    CONTENT_TYPES = {
        Kind.PDF: "application/pdf",
        Kind.DOC: "application/msword",
        Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Kind.XLS: "application/vnd.ms-excel",
        Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Kind.JPG: "image/jpeg",
        Kind.PNG: "image/png",
    }

    # Shown in the browser (inline) to those who may read them; every other
    # kind is always a download. HTML and SVG, which could run script, are
    # not accepted at all (tasks.uploads), and would not be in this list.
    PREVIEWABLE = frozenset({Kind.PDF, Kind.JPG, Kind.PNG})

    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.kind]

    @property
    def can_preview(self) -> bool:
        return self.kind in self.PREVIEWABLE

    @property
    def download_name(self) -> str:
        """The name the user gave, with the extension its content proved."""
        stem = PurePath(self.original_name).stem or "file"
        return f"{stem}.{self.kind}"


class Evidence(EvidenceFile):
    """A file attached to a progress report."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展报送"), on_delete=models.PROTECT, related_name="evidence"
    )

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["pk"]


class Review(models.Model):
    """The reform office's decision on a task its unit reported completed."""

    class Decision(models.TextChoices):
        # Past decisions, as the timeline shows them; the buttons that make
        # them are translated apart (context "review button").
        VERIFIED = "verified", pgettext_lazy("review decision", "核实办结")
        RETURNED = "returned", pgettext_lazy("review decision", "退回")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("审核结果"), max_length=12, choices=Decision)
    reason = models.TextField(
        _("审核意见"), blank=True, help_text=_("退回时必填，单位会在首页和任务页看到。")
    )
    created_at = models.DateTimeField(_("审核时间"), default=timezone.now, editable=False, db_index=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("审核")
        verbose_name_plural = _("审核")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["task", "-created_at"], name="review_task_latest")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="returned") | ~Q(reason=""), name="review_returned_needs_reason"
            )
        ]

    def __str__(self):
        return f"{self.task} · {self.get_decision_display()}"


class ExtensionRequest(models.Model):
    """延期申请: a unit asks for a later due date with a reason; the reform
    office approves (possibly another date) or rejects with a comment. Kept
    whatever the outcome, with the due date as it stood when asked, so the
    task's history keeps its original date and every request."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="extension_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, editable=False)
    due_date_before = models.DateField(_("原截止日期"))
    requested_due_date = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(_("审批状态"), max_length=10, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_due_date = models.DateField(_("批准延至"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One request waits at a time per task.
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="pending"), name="extension_one_pending_per_task"
            ),
            models.CheckConstraint(
                condition=Q(requested_due_date__gt=F("due_date_before")), name="extension_later_date"
            ),
        ]

    def __str__(self):
        return f"{self.task} · {self.get_status_display()}"


class ExtensionEvidence(EvidenceFile):
    """A file a unit attaches to its extension request (延期申请): read by
    those who may read the task, as a report's evidence; kept with the
    request whatever the decision."""

    extension = models.ForeignKey(
        ExtensionRequest, verbose_name=_("延期申请"), on_delete=models.PROTECT, related_name="evidence"
    )

    class Meta:
        verbose_name = _("延期申请佐证材料")
        verbose_name_plural = _("延期申请佐证材料")
        ordering = ["pk"]


class TargetValueQuerySet(models.QuerySet):
    def known_on(self, on: dt.date | None):
        """The values known on a day: reported by its end, as of it or before
        (as-of views); everything when `on` is None."""
        if on is None:
            return self
        end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min, tzinfo=site_timezone())
        return self.filter(created_at__lt=end, as_of__lte=on)

    def latest_first(self):
        return self.order_by("target_id", "-as_of", "-created_at", "-pk")


class TargetValue(models.Model):
    """The current value of a confirmed target, reported by a unit with a
    progress report (截至 a date, with the source of the figure). Append-only
    like the reports: a correction is a newer value. The indicator's value is
    its lead unit's (牵头汇总); partners' values are their contributions."""

    target = models.ForeignKey(
        Target, verbose_name=_("目标"), on_delete=models.PROTECT, related_name="values"
    )
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展报送"), on_delete=models.PROTECT, related_name="target_values"
    )
    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="target_values"
    )
    value = models.DecimalField(_("数值"), max_digits=14, decimal_places=4)
    as_of = models.DateField(_("截至"))
    source = models.CharField(_("数据来源"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("报送时间"), default=timezone.now, editable=False)

    objects = TargetValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("目标数值")
        verbose_name_plural = _("目标数值")
        ordering = ["-as_of", "-created_at", "-pk"]
        indexes = [models.Index(fields=["target", "-as_of", "-created_at"], name="targetvalue_latest")]
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="targetvalue_once_per_report"),
            models.CheckConstraint(condition=Q(value__gte=0), name="targetvalue_not_negative"),
        ]

    def __str__(self):
        return f"{self.target.name} {self.value_display}（{self.as_of}）"

    @property
    def value_display(self) -> str:
        """85.5, 90 — as written, without the stored decimal places."""
        return plain_number(self.value)


class InstructionQuerySet(models.QuerySet):
    def concerning_units(self, unit_ids):
        """Instructions that concern any of these units: on one of their tasks,
        on an indicator where they hold an active task, or on the unit."""
        on_indicator = Task.objects.active().filter(unit_id__in=unit_ids).values("indicator_id")
        return self.filter(
            Q(unit_id__in=unit_ids) | Q(task__unit_id__in=unit_ids) | Q(indicator_id__in=on_indicator)
        )

    def concerning_task(self, task):
        """What the task page shows: instructions on the task, on its
        indicator, and on its unit."""
        return self.filter(Q(task=task) | Q(indicator_id=task.indicator_id) | Q(unit_id=task.unit_id))


class Instruction(models.Model):
    """批示: a leader (or the reform office) writes on an indicator, a task or
    a unit — exactly one of them — optionally with a date by which the units
    concerned must answer. The units concerned: on an indicator, every unit
    with an active task on it; on a task, its unit; on a unit, that unit.
    Each answers once (InstructionReply), by a reply or by a progress report
    that references the instruction."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("指标"),
        on_delete=models.PROTECT,
        related_name="instructions",
        null=True,
        blank=True,
    )
    task = models.ForeignKey(
        Task,
        verbose_name=_("任务"),
        on_delete=models.PROTECT,
        related_name="instructions",
        null=True,
        blank=True,
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="instructions",
        null=True,
        blank=True,
    )
    text = models.TextField(_("批示内容"))
    reply_due = models.DateField(_("回复期限"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批示人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("批示时间"), default=timezone.now, editable=False, db_index=True)

    history = HistoricalRecords()
    objects = InstructionQuerySet.as_manager()

    class Meta:
        verbose_name = _("批示")
        verbose_name_plural = _("批示")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(indicator__isnull=False, task=None, unit=None)
                    | Q(indicator=None, task__isnull=False, unit=None)
                    | Q(indicator=None, task=None, unit__isnull=False)
                ),
                name="instruction_exactly_one_subject",
            )
        ]

    def __str__(self):
        text = self.text if len(self.text) <= 20 else self.text[:20] + "…"
        return f"{self.subject_label} · {text}"

    @property
    def subject_label(self) -> str:
        """What it is written on, in a few words: 指标 8, 指标 8 · 区数管局, 区数管局."""
        if self.task_id:
            return f"{_('指标')} {self.task.indicator.code} · {self.task.unit.name}"
        if self.indicator_id:
            return f"{_('指标')} {self.indicator.code}"
        return self.unit.name

    @property
    def plan(self):
        """The plan of its indicator or task; None on a unit."""
        if self.task_id:
            return self.task.indicator.plan
        if self.indicator_id:
            return self.indicator.plan
        return None

    def is_running(self) -> bool:
        """Still to be answered: not on a plan that stopped running (a unit's
        instruction always is)."""
        plan = self.plan
        return plan is None or plan.is_active

    def is_overdue(self, on: dt.date) -> bool:
        return self.reply_due is not None and self.reply_due < on


class InstructionReply(models.Model):
    """A unit's answer to an instruction: its own text, or a progress report
    that referenced the instruction (then `report` says which). One per
    unit and instruction."""

    instruction = models.ForeignKey(
        Instruction, verbose_name=_("批示"), on_delete=models.PROTECT, related_name="replies"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回复人"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("回复内容"))
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("回应的进展报送"),
        on_delete=models.PROTECT,
        related_name="instruction_replies",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("回复时间"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("批示回复")
        verbose_name_plural = _("批示回复")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["instruction", "unit"], name="instruction_reply_once_per_unit")
        ]

    def __str__(self):
        return f"{self.instruction} · {self.unit.name}"
