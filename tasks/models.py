"""What is being done about the plan: one task per unit per indicator, the
progress reports units file on it, their evidence files and the reform
office's reviews."""

import datetime as dt
import uuid
from pathlib import PurePath
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit


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
        indexes = [
            models.Index(fields=["unit", "due_date"], name="task_unit_due"),
            # Reminder sweep (tasks.reminders): due soon, overdue and escalation
            # candidates are the open tasks by due date.
            models.Index(
                fields=["due_date"],
                name="task_open_due",
                condition=Q(is_active=True) & ~Q(status="verified"),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} · {self.unit.name}"

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
    created_at = models.DateTimeField(_("报送时间"), auto_now_add=True, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=[(s.value, s.label) for s in REPORT_STATUSES])
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"))
    progress = models.TextField(_("进展情况"))
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下步计划"), blank=True)

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


def evidence_path(evidence: "Evidence", filename: str) -> str:
    # A random name on disk: the original name is kept in the row, never
    # trusted as a path.
    return f"evidence/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{evidence.kind}"


class Evidence(models.Model):
    """A file attached to a progress report, kept under MEDIA_ROOT and served
    only through a view that checks access to its task."""

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

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("进展报送"), on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.kind]

    @property
    def download_name(self) -> str:
        """The name the user gave, with the extension its content proved."""
        stem = PurePath(self.original_name).stem or "file"
        return f"{stem}.{self.kind}"


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
    created_at = models.DateTimeField(_("审核时间"), auto_now_add=True, db_index=True)

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


class WorkdayOverride(models.Model):
    """A day declared a working day or a day off by the admin, over what the
    chinesecalendar package says: a year the package does not know yet (enter
    the State Council's holiday notice here), or a local arrangement."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"), help_text=_("勾选为上班（含调休上班），不勾选为放假。"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整（节假日日历）")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {_('上班') if self.is_workday else _('放假')}"


class HolidayYear(models.Model):
    """The admin's word that a year's holidays and make-up working days are
    all entered as overrides (该年度节假日安排已录入). Until then, for a year
    chinesecalendar does not know, the portal warns: one override in a year
    (a local day off) says nothing about its Spring Festival."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    note = models.CharField(
        _("说明"), max_length=200, blank=True, help_text=_("例如：国务院办公厅通知文号。")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度节假日安排")
        verbose_name_plural = _("年度节假日安排（已录入）")
        ordering = ["-year"]

    def __str__(self):
        return _("%(year)s 年节假日安排已录入") % {"year": self.year}


class ReminderQuerySet(models.QuerySet):
    def issued(self, *, now: dt.datetime):
        """Notices whose time has come and that still apply: what the portal
        lists, whether or not the e-mail has gone out yet."""
        return self.filter(remind_after__lte=now, voided_at=None)

    def to_units(self):
        """Notices addressed to the units (escalations go to the reform office)."""
        return self.exclude(reason=Reminder.Reason.ESCALATION)

    def pending(self, *, now: dt.datetime):
        """Due to go out and not sent yet (a failed send stays pending)."""
        return self.filter(remind_after__lte=now, sent_at=None, voided_at=None)

    def live(self):
        """Not voided: what counts as "already noticed"."""
        return self.filter(voided_at=None)

    def unread(self):
        return self.filter(read_at=None)


class Reminder(models.Model):
    """One notice to one unit about one task, for one reason and one period.

    The unique constraint on (task, reason, period) among live (not voided)
    notices makes "once" a database guarantee: two sweeps at once, or a sweep
    run twice, insert the same key and only one row survives. A voided notice
    (it no longer applied when its turn came) does not count: when it applies
    again (the due date moved back, the unit was re-added) it is recorded
    again, once. `period` names what the notice is about:

    - due_soon: the due date (``2019-07-31``);
    - overdue: the due date and the repeat number (``2019-07-31#0``, ``#1``…);
      each repeat is created when the one before it is sent, due seven days
      later, so a sweep after a long downtime finds one pending repeat, not
      one per missed week;
    - report_missing: the month (``2019-07``);
    - escalation: the due date (once per task and deadline, to the reform office);
    - manual: the day of the 催办 (at most one a day per task).

    `remind_after` is the moment the notice is due to go out; the sweep asks
    ``remind_after <= now``, never "is it due exactly today", so a day the
    sweep did not run is caught up and a day it ran twice sends nothing more.
    `retry_after` is the moment the retry run queues its delivery again if it
    is still not sent: set when a delivery is queued (in case the job is lost)
    and, with a growing wait, when the mail server refused it."""

    class Reason(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已逾期")
        REPORT_MISSING = "report_missing", _("本月未报送进展")
        ESCALATION = "escalation", _("逾期督办")
        MANUAL = "manual", pgettext_lazy("reminder reason", "催办")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="reminders")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="reminders")
    reason = models.CharField(_("原因"), max_length=16, choices=Reason)
    period = models.CharField(_("周期"), max_length=32)
    due_date = models.DateField(_("截止日期"), help_text=_("发出提醒时任务的截止日期。"))
    remind_after = models.DateTimeField(_("应发时间"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    sent_at = models.DateTimeField(
        _("发送时间"),
        null=True,
        blank=True,
        help_text=_("邮件服务器接收的时间；单位没有邮箱时为站内送达时间。"),
    )
    recipients = models.TextField(_("收件人"), blank=True)
    # Delivery by e-mail (tasks.delivery): the body goes out only after
    # sending_at is committed, so a worker that dies mid-send leaves a mark
    # that says "the server may have it" rather than "send it again".
    sending_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    unconfirmed = models.BooleanField(
        _("未确认"),
        default=False,
        help_text=_(
            "邮件正文已发出，但没有收到服务器的确认（超时或连接中断）：服务器可能已收到，不自动重发。"
        ),
    )
    failed_at = models.DateTimeField(
        _("永久失败时间"),
        null=True,
        blank=True,
        help_text=_("服务器以 5xx 永久拒收：收件人地址不变就不再自动重发。"),
    )
    refusals = models.JSONField(_("拒收的收件人"), default=dict, blank=True)
    message_id = models.CharField(_("邮件 Message-ID"), max_length=200, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    retry_after = models.DateTimeField(
        _("重试时间"), null=True, blank=True, help_text=_("到此时仍未发出，系统将再次尝试发送。")
    )
    voided_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    void_reason = models.CharField(_("取消原因"), max_length=100, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("催办说明"), blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("one reminder", "提醒")
        verbose_name_plural = _("提醒记录")
        ordering = ["-remind_after", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "reason", "period"],
                condition=Q(voided_at=None),
                name="reminder_once_per_period_live",
            ),
        ]
        indexes = [
            # Reminder delivery (tasks.reminders.deliver_*): notices waiting to go out.
            models.Index(
                fields=["unit", "remind_after"],
                name="reminder_pending",
                condition=Q(sent_at=None, voided_at=None),
            ),
            # Navigation bar: each page counts the user's unread notices.
            models.Index(
                fields=["unit", "remind_after"],
                name="reminder_unread",
                condition=Q(read_at=None, voided_at=None),
            ),
            # The reform office's notice log, newest first.
            models.Index(fields=["-remind_after"], name="reminder_log"),
            # The retry run (tasks.jobs.reminders_retry): unsent notices whose retry moment came.
            models.Index(
                fields=["retry_after"],
                name="reminder_retry",
                condition=Q(sent_at=None, voided_at=None, retry_after__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} · {self.task_id} · {self.period}"

    def status(self, now: dt.datetime | None = None) -> str:
        """sent / portal (no address to send to) / unconfirmed (the server may
        have it) / refused (5xx, not retried) / scheduled / failed (will be
        retried) / pending / void. tasks.notices.Status says the same in SQL."""
        if self.voided_at:
            return "void"
        if self.sent_at:
            if self.unconfirmed:
                return "unconfirmed"
            return "sent" if self.recipients else "portal"
        if self.sending_at:
            return "unconfirmed"  # the body went out; no answer (yet)
        if self.failed_at:
            return "refused"
        if self.remind_after > (now or timezone.now()):
            return "scheduled"
        return "failed" if self.last_error else "pending"


class SweepRun(models.Model):
    """One run of the reminder sweep: at most one per kind and period (the
    day; the month for the month-end sweep), so that a sweep queued twice —
    a second beat, a beat restarted with a stale schedule, a backlog of
    triggers queued while the workers were down — runs once. It also says
    when the sweeps last ran."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("每日扫描")
        MONTH_END = "month_end", _("月底逾期扫描")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    period = models.DateField(_("周期"), help_text=_("每日扫描为当天，月底逾期扫描为当月1日。"))
    as_of = models.DateTimeField(_("扫描时点"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    recorded = models.JSONField(_("新增提醒"), default=dict, blank=True)

    class Meta:
        verbose_name = _("提醒扫描")
        verbose_name_plural = _("提醒扫描记录")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "period"], name="sweep_run_once_per_period")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period:%Y-%m-%d}"
