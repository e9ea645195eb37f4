"""What the plan says: a year's plan and its numbered indicators with their
lead and responsible units."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from departments.models import Unit

from .targets import goal_text

# The one range of plan years: the model, the admin's import form, the annex
# parser and `import_annex --year` all check it through validate_plan_year.
PLAN_YEAR_MIN, PLAN_YEAR_MAX = 2000, 2100
# Excel keeps at most this many characters in a cell; a longer 目标任务 could
# not be exported and imported back unchanged.
EXCEL_CELL_MAX_CHARS = 32_767


def validate_plan_year(year: int) -> None:
    if not PLAN_YEAR_MIN <= year <= PLAN_YEAR_MAX:
        raise ValidationError(
            _("计划年度 %(year)s 超出范围：应在 %(min)s 到 %(max)s 年之间。"),
            code="plan_year",
            params={"year": year, "min": PLAN_YEAR_MIN, "max": PLAN_YEAR_MAX},
        )


class PlanQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Plan.Status.ACTIVE)


class Plan(models.Model):
    """One year's plan. It lives a year: 草案 → 征求意见 → 执行中 → 已结束
    (docs/year.md). Only the transition services (indicators.services.plan_*)
    change `status`, each recording who in the history."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        CONSULTATION = "consultation", _("征求意见")
        ACTIVE = "active", _("执行中")
        CLOSED = "closed", _("已结束")

    year = models.PositiveSmallIntegerField(_("年度"), unique=True, validators=[validate_plan_year])
    title = models.CharField(_("标题"), max_length=200)
    # Read by the reminder sweep (reminders.sweep).
    due_soon_days = models.PositiveSmallIntegerField(
        _("到期提醒提前工作日数"),
        default=5,
        validators=[MaxValueValidator(30)],
        help_text=_("截止日期前多少个工作日起提醒单位“即将到期”（按中国法定节假日和调休计算）。"),
    )
    report_day = models.PositiveSmallIntegerField(
        _("月度报送截止日"),
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("每月这一天起，本月尚未报送进展的单位会收到提醒。"),
    )
    # Active by default: a plan imported without --draft is live at once, as
    # before plans had a status (the migration sets existing plans active).
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()
    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度计划")
        verbose_name_plural = _("年度计划")
        ordering = ["-year"]

    def __str__(self):
        return self.title or f"{self.year}年度计划"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def has_tasks(self) -> bool:
        """Tasks exist only for adopted plans (执行中, 已结束)."""
        return self.status in (self.Status.ACTIVE, self.Status.CLOSED)


class IndicatorQuerySet(models.QuerySet):
    def with_units(self):
        return self.prefetch_related(
            models.Prefetch(
                "indicator_units",
                queryset=IndicatorUnit.objects.select_related("unit").order_by("role", "position"),
            )
        )


class Indicator(models.Model):
    """One numbered row of the annex (or a sub-item such as 17-1)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("年度计划"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("序号"), max_length=16)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级指标"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sub_items",
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    category = models.CharField(_("指标名称"), max_length=200)
    task_text = models.TextField(_("目标任务"), max_length=EXCEL_CELL_MAX_CHARS)
    deadline_label = models.CharField(_("时间进度"), max_length=20)
    due_date = models.DateField(_("截止日期"))
    ongoing = models.BooleanField(_("全年持续"), default=False, help_text=_("时间进度为“全年”的持续性工作。"))
    section = models.CharField(
        _("所属工作要点"),
        max_length=200,
        blank=True,
        help_text=_("在工作要点正文中所属的章节，如“二（二）2 商事登记便利化改革”。"),
    )
    units = models.ManyToManyField(Unit, through="IndicatorUnit", related_name="indicators")
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("结转自"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        help_text=_("上一年度未完成、结转到本计划的原指标。"),
    )

    history = HistoricalRecords()
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="indicator_unique_plan_code")]
        permissions = [
            ("import_indicator", _("可以从 Excel 导入附件")),
            ("export_indicator", _("可以导出附件")),
        ]

    def __str__(self):
        return f"{self.code}. {self.task_text[:40]}"

    def _names(self, role) -> list[str]:
        # Uses the prefetch from IndicatorQuerySet.with_units() when present.
        return [iu.unit.name for iu in self.indicator_units.all() if iu.role == role]

    @property
    def lead_names(self) -> list[str]:
        return self._names(IndicatorUnit.Role.LEAD)

    @property
    def responsible_names(self) -> list[str]:
        return self._names(IndicatorUnit.Role.RESPONSIBLE)


class IndicatorUnit(models.Model):
    """A unit or group named on an indicator, in the order the annex lists it."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        RESPONSIBLE = "responsible", _("责任")

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="indicator_units"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位或单位组"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("角色"), max_length=12, choices=Role)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指标单位")
        verbose_name_plural = _("牵头与责任单位")
        ordering = ["indicator", "role", "position"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit", "role"], name="indicatorunit_unique_role")
        ]

    def __str__(self):
        return f"{self.get_role_display()}：{self.unit.name}"


class TargetQuerySet(models.QuerySet):
    def live(self):
        """Proposed or confirmed: what the office still has to look at or measure."""
        return self.exclude(status=Target.Status.DELETED)

    def needing_review(self):
        """Confirmed targets whose quote is no longer in the indicator's text
        (the annex was re-imported with another wording): worked out from the
        text itself, so an admin edit of the text counts as well."""
        return self.filter(status=Target.Status.CONFIRMED).exclude(indicator__task_text__contains=F("quote"))


class Target(models.Model):
    """A number an indicator must reach, read from its text (indicators/targets) and
    confirmed by the office: "实时在线率90%" → 实时在线率 ≥ 90 %."""

    class Direction(models.TextChoices):
        AT_LEAST = ">=", _("不低于")
        AT_MOST = "<=", _("不高于")
        RANGE = "range", _("区间")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("建议")
        CONFIRMED = "confirmed", _("已确认")
        DELETED = "deleted", _("已删除")

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="targets"
    )
    # The reading it was first proposed as (normalised name, unit, direction,
    # values; targets.Proposal.key). It never changes when the office edits the
    # target, so a re-import recognises it and neither proposes it again
    # (deleted) nor twice (confirmed).
    key = models.CharField(_("识别键"), max_length=255, editable=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    name = models.CharField(_("目标名称"), max_length=200)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction)
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=4, null=True, blank=True)
    value_min = models.DecimalField(_("下限"), max_digits=14, decimal_places=4, null=True, blank=True)
    value_max = models.DecimalField(_("上限"), max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(
        _("单位"), max_length=20, blank=True, help_text=_("照原文写，如 %、个工作日、件。")
    )
    quote = models.CharField(
        pgettext_lazy("target", "原文"),
        max_length=500,
        blank=True,
        help_text=_("目标任务中提出此目标的原文。"),
    )
    implied = models.BooleanField(
        _("文字推断"), default=False, help_text=_("原文没有数字，由“全覆盖”“所有……均可”等文字推断为 100%。")
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status, default=Status.PROPOSED)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()
    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("target", "目标")
        verbose_name_plural = pgettext_lazy("target", "目标")
        ordering = ["indicator", "position"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "key"], name="target_unique_indicator_key"),
            models.CheckConstraint(
                condition=(
                    Q(direction="range", value=None, value_min__isnull=False, value_max__isnull=False)
                    & Q(value_min__lte=F("value_max"))
                )
                | (Q(direction__in=[">=", "<="], value__isnull=False, value_min=None, value_max=None)),
                name="target_values_fit_direction",
            ),
            models.CheckConstraint(
                condition=Q(status="confirmed", confirmed_at__isnull=False) | ~Q(status="confirmed"),
                name="target_confirmed_has_when",
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.goal_display}"

    @property
    def goal_display(self) -> str:
        return goal_text(self.direction, self.value, self.value_min, self.value_max, self.unit)

    @property
    def is_percent(self) -> bool:
        return self.unit in ("%", "％")

    def is_met(self, value) -> bool | None:
        """Whether a reported value meets the target: ≥ reaches the value, ≤
        stays at or below it, a range holds it between its bounds (both
        included). None when there is no value yet."""
        if value is None:
            return None
        if self.direction == self.Direction.AT_LEAST:
            return value >= self.value
        if self.direction == self.Direction.AT_MOST:
            return value <= self.value
        return self.value_min <= value <= self.value_max

    def gap(self, value) -> float | None:
        """How far a value is from the goal, as a share of the goal (0 when
        met): what the overview ranks "furthest from their goal" by."""
        if value is None:
            return None
        if self.direction == self.Direction.AT_LEAST:
            goal, short = self.value, max(self.value - value, 0)
        elif self.direction == self.Direction.AT_MOST:
            goal, short = self.value, max(value - self.value, 0)
        else:
            goal = self.value_min if value < self.value_min else self.value_max
            short = max(self.value_min - value, value - self.value_max, 0)
        return float(short / goal) if goal else float(short)

    @property
    def quote_in_text(self) -> bool:
        return self.quote in self.indicator.task_text

    def clean(self):
        if self.direction == self.Direction.RANGE:
            if self.value_min is None or self.value_max is None:
                raise ValidationError(_("区间目标需要填写下限和上限。"))
            if self.value_min > self.value_max:
                raise ValidationError(_("下限不能大于上限。"))
            self.value = None
        elif self.direction:
            if self.value is None:
                raise ValidationError({"value": _("请填写目标值。")})
            self.value_min = self.value_max = None


class Consultation(models.Model):
    """征求意见 on a draft plan: the office sends the draft to every unit it
    names and asks for written feedback by the deadline; "逾期不反馈视作无意见"
    — the sweep records a unit that did not answer as no objection, once."""

    plan = models.OneToOneField(
        Plan, verbose_name=_("年度计划"), on_delete=models.CASCADE, related_name="consultation"
    )
    deadline = models.DateField(_("反馈截止日期"))
    message = models.TextField(_("征求意见通知"), max_length=5000)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    closed_at = models.DateTimeField(
        _("结束时间"), null=True, blank=True, help_text=_("计划通过执行时结束。")
    )
    # Set by the sweep once it recorded the units that did not answer by the deadline.
    deemed_at = models.DateTimeField(_("逾期未反馈登记时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("征求意见")
        verbose_name_plural = _("征求意见")
        ordering = ["-opened_at"]

    def __str__(self):
        return f"{self.plan} · {_('征求意见')}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def accepts_answers(self, today) -> bool:
        """Units answer, and change their answer, until the deadline (that day included)."""
        return self.is_open and today <= self.deadline


class ConsultationAnswer(models.Model):
    """A unit's answer to a consultation: on one indicator, or (indicator
    empty) on the whole plan. One per unit and item, whatever happens: two
    constraints, since NULL (the whole plan) is never equal to NULL."""

    class Kind(models.TextChoices):
        NO_OBJECTION = "none", _("无意见")
        COMMENT = "comment", _("修改意见")
        DEEMED = "deemed", _("逾期未反馈，视作无意见")

    class Decision(models.TextChoices):
        ADOPTED = "adopted", _("采纳")
        PARTLY = "partly", _("部分采纳")
        REJECTED = "rejected", _("不采纳")

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("征求意见"), on_delete=models.CASCADE, related_name="answers"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("指标"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="answers",
        help_text=_("留空为对整个计划的意见。"),
    )
    kind = models.CharField(_("意见"), max_length=12, choices=Kind)
    text = models.TextField(_("修改意见"), max_length=5000, blank=True)
    proposed_due_date = models.DateField(_("建议截止日期"), null=True, blank=True)
    proposed_units = models.CharField(_("建议调整责任单位"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("反馈人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("反馈时间"), default=timezone.now)
    decision = models.CharField(_("处理结果"), max_length=12, choices=Decision, blank=True)
    reply = models.TextField(_("答复"), max_length=5000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("征求意见反馈")
        verbose_name_plural = _("征求意见反馈")
        ordering = ["consultation", "indicator__position", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "unit", "indicator"],
                condition=Q(indicator__isnull=False),
                name="answer_once_per_unit_item",
            ),
            models.UniqueConstraint(
                fields=["consultation", "unit"],
                condition=Q(indicator=None),
                name="answer_once_per_unit_plan",
            ),
        ]

    def __str__(self):
        return f"{self.unit.name} · {self.indicator.code if self.indicator_id else _('整个计划')}"
