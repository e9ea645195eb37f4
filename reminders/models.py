"""Who is told what, once: the notices (提醒) the sweep records and delivers,
the days the working-day calendar is told about, and the record of each
sweep's run. The tables were tasks_* until the house move (migration
reminders/0001 took them over as they were; 0002 renamed them)."""

import datetime as dt
import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Unit
from indicators.models import Plan
from tasks.models import Instruction, Task
from xsreform.dates import day_text, month_text


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
        return f"{day_text(self.date)} {_('上班') if self.is_workday else _('放假')}"


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
        """Notices addressed to the units (escalations and unowned work go to
        the reform office)."""
        return self.exclude(reason__in=Reminder.OFFICE_REASONS)

    def to_office(self):
        return self.filter(reason__in=Reminder.OFFICE_REASONS)

    def pending(self, *, now: dt.datetime):
        """Due to go out and not sent yet (a failed send stays pending)."""
        return self.filter(remind_after__lte=now, sent_at=None, voided_at=None)

    def live(self):
        """Not voided: what counts as "already noticed"."""
        return self.filter(voided_at=None)

    def unread(self):
        return self.filter(read_at=None)


class Reminder(models.Model):
    """One notice to one unit about one task (or about a plan), for one reason
    and one period.

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

    Notices about a plan rather than a task (`task` empty, `plan` set) are
    once per unit, reason and period by a second constraint, and once per
    reason and period for the reform office's (no unit) by a third:

    - consultation: the plan's consultation is due within N working days and
      the unit has not answered (``2019/2019-04-30``: the plan, the deadline);
    - plan_adopted: the plan the unit has tasks in was adopted (``2019``);
    - unowned: to the reform office, the plan has indicators nobody holds or
      groups with no members (``2019/2019-W36``: once per ISO week while it
      lasts);
    - instruction: a leader's instruction (批示) past its reply deadline that
      the unit has not answered (``instruction/12``; `instruction` set, a
      fourth constraint keeps it once per instruction and unit).

    A change to a task its unit should know of (tasks.changes) is a notice
    of its own, kept with what changed (`changes`, old → new):

    - changed: the due date, the text, the role or the indicator's units
      changed, or the unit was given the task;
    - withdrawn: the unit no longer holds the task;

    once per task and change event (the period is the moment of the change,
    ``2019-07-01T01:00:00.000000`` in UTC).

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
        CONSULTATION = "consultation", _("征求意见待反馈")
        PLAN_ADOPTED = "plan_adopted", _("计划已通过执行")
        UNOWNED = "unowned", _("无人承接的工作")
        CHANGED = "changed", _("任务有变更")
        WITHDRAWN = "withdrawn", _("任务已撤销")
        INSTRUCTION = "instruction", _("批示待回复")

    # Sent to the reform office, not to units.
    OFFICE_REASONS = (Reason.ESCALATION, Reason.UNOWNED)

    task = models.ForeignKey(
        Task,
        verbose_name=_("任务"),
        on_delete=models.PROTECT,
        related_name="reminders",
        null=True,
        blank=True,
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("年度计划"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("不针对某项任务的提醒（征求意见、计划通过、无人承接）所涉及的计划。"),
    )
    instruction = models.ForeignKey(
        Instruction,
        verbose_name=_("批示"),
        on_delete=models.PROTECT,
        related_name="reminders",
        null=True,
        blank=True,
        help_text=_("批示待回复提醒所催的批示。"),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="reminders",
        null=True,
        blank=True,
        help_text=_("发给跑改办的无人承接提醒不针对单位。"),
    )
    reason = models.CharField(_("原因"), max_length=16, choices=Reason)
    period = models.CharField(_("周期"), max_length=32)
    due_date = models.DateField(
        _("截止日期"), null=True, blank=True, help_text=_("发出提醒时任务（或征求意见）的截止日期。")
    )
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
    # Delivery by e-mail (reminders.delivery): the body goes out only after
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
    # 任务有变更 / 任务已撤销: what changed, old → new, as tasks.signals.TaskChange.as_json()
    # keeps it; change_lines() says it.
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)

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
            # Notices about a plan: once per unit, or once for the office.
            models.UniqueConstraint(
                fields=["unit", "reason", "period"],
                condition=Q(task=None, voided_at=None, unit__isnull=False),
                name="reminder_plan_notice_once_live",
            ),
            models.UniqueConstraint(
                fields=["reason", "period"],
                condition=Q(task=None, voided_at=None, unit=None),
                name="reminder_office_notice_once_live",
            ),
            # 批示待回复: once per instruction and unit.
            models.UniqueConstraint(
                fields=["instruction", "unit"],
                condition=Q(voided_at=None, instruction__isnull=False),
                name="reminder_instruction_once_live",
            ),
        ]
        indexes = [
            # Reminder delivery (reminders.sweep.deliver_*): notices waiting to go out.
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
            # Delivery (reminders.delivery): a digest's notices, found by their claim to be
            # marked "sending", then "sent" — without it, a scan of the table per mark.
            models.Index(
                fields=["claim_token"], name="reminder_claimed", condition=Q(claim_token__isnull=False)
            ),
            # The retry run (reminders.jobs.reminders_retry): unsent notices whose retry moment came.
            models.Index(
                fields=["retry_after"],
                name="reminder_retry",
                condition=Q(sent_at=None, voided_at=None, retry_after__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} · {self.task_id or self.plan_id} · {self.period_label}"

    def get_absolute_url(self) -> str:
        """Where the notice sends its reader: the task, or for a notice about
        a plan its consultation or its page."""
        if self.task_id:
            return reverse("tasks:detail", args=[self.task_id])
        if self.reason == self.Reason.INSTRUCTION:
            return reverse("tasks:mine") + f"#instruction-{self.instruction_id}"
        if self.reason == self.Reason.CONSULTATION:
            return reverse("plans:consultation", args=[self.plan.year])
        if self.reason == self.Reason.PLAN_ADOPTED:
            return f"{reverse('tasks:mine')}?plan={self.plan.year}"
        return reverse("plans:detail", args=[self.plan.year])

    @property
    def period_label(self) -> str:
        """The period as the interface language writes it, for pages and
        messages (the stored `period` is a key: 2019-07-31#1, 2019-07,
        2019/2019-W36): 2019年7月31日（第 2 次）/ 31 Jul 2019 (time 2),
        2019年7月 / Jul 2019, the week's Monday."""
        from django.utils.translation import gettext

        if self.reason == self.Reason.INSTRUCTION:
            return ""  # its key is the instruction's; the notice quotes the instruction itself
        if self.reason in (self.Reason.CHANGED, self.Reason.WITHDRAWN):
            # The moment of the change, in UTC (services.change_period): its local day.
            moment = dt.datetime.fromisoformat(self.period).replace(tzinfo=dt.UTC)
            return day_text(timezone.localdate(moment))
        period = self.period.split("/", 1)[-1]  # a plan's notices start with its year
        if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:#(\d+))?", period):
            year, month, day, repeat = match.groups()
            text = day_text(dt.date(int(year), int(month), int(day)))
            if repeat and int(repeat):
                text += gettext("（第 %(n)d 次）") % {"n": int(repeat) + 1}
            return text
        if match := re.fullmatch(r"(\d{4})-(\d{2})", period):
            return month_text(dt.date(int(match[1]), int(match[2]), 1))
        if match := re.fullmatch(r"(\d{4})-W(\d{2})", period):
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return gettext("%(day)s 起的一周") % {"day": day_text(monday)}
        return self.period

    @classmethod
    def overdue_repeat(
        cls,
        task_id: int,
        unit_id: int,
        due_date: dt.date,
        *,
        after: str,
        at: dt.datetime,
        created_at: dt.datetime,
    ) -> "Reminder":
        """The overdue notice that follows the one of period `after`
        (``2019-07-31#1`` after ``#0``), due to go out at `at`."""
        return cls(
            task_id=task_id,
            unit_id=unit_id,
            reason=cls.Reason.OVERDUE,
            period=cls.repeat_period(after),
            due_date=due_date,
            remind_after=at,
            created_at=created_at,
        )

    @staticmethod
    def repeat_period(after: str) -> str:
        """The period of the overdue notice after the one of period `after`."""
        due, _hash, number = after.partition("#")
        return f"{due}#{int(number or 0) + 1}"

    def change_lines(self) -> list[str]:
        """What a 任务有变更 / 任务已撤销 notice says, a line per change, in the
        language of the page or the e-mail being rendered."""
        return change_lines(self.changes)

    def status(self, now: dt.datetime | None = None) -> str:
        """sent / portal (no address to send to) / unconfirmed (the server may
        have it) / refused (5xx, not retried) / scheduled / failed (will be
        retried) / pending / void. reminders.selectors.Status says the same in SQL."""
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


def _date(value: str) -> str:
    return day_text(dt.date.fromisoformat(value))


def _short(text: str, chars: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[:chars] + "…"


def change_lines(changes: dict) -> list[str]:
    """The lines of a change notice (see Reminder.changes)."""
    lines = []
    if changes.get("withdrawn"):
        lines.append(gettext("本单位不再承担该项任务，任务已撤销；已报送的进展仍可查看。"))
    if changes.get("added"):
        lines.append(gettext("本单位新承担该项任务，请按时报送进展。"))
    if "due_date" in changes:
        old, new = changes["due_date"]
        line = gettext("完成时限：%(old)s → %(new)s") % {"old": _date(old), "new": _date(new)}
        if changes.get("why") == "extended":
            line += gettext("（延期申请已批准）")
        lines.append(line)
    if "task_text" in changes:
        old, new = changes["task_text"]
        lines.append(gettext("任务内容已修改，现为：%(new)s") % {"new": new})
        lines.append(gettext("原为：%(old)s") % {"old": _short(old)})
    if "role" in changes:
        old, new = (Task.Role(role).label for role in changes["role"])
        lines.append(gettext("本单位职责：%(old)s → %(new)s") % {"old": old, "new": new})
    added, removed = changes.get("units_added"), changes.get("units_removed")
    if added or removed:
        parts = []
        if added:
            parts.append(gettext("新增%(units)s") % {"units": "、".join(added)})
        if removed:
            parts.append(gettext("移除%(units)s") % {"units": "、".join(removed)})
        lines.append(gettext("承担单位变更：%(parts)s") % {"parts": "，".join(parts)})
    return [str(line) for line in lines]


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
        return f"{self.get_kind_display()} {day_text(self.period)}"


# The channels beside e-mail: their own module, so that this one stays the notices'.
from .channel_models import ChannelSettings, Delivery  # noqa: E402, F401
