"""Admin for reminders: the record of every notice and of every sweep (read
only: they are the proof of what was sent, and when), the working-day
overrides (节假日日历) and the years whose holidays are entered."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Plan
from tasks.admin import ReadOnlyMixin
from xsreform.dates import day_text

from .models import Delivery, HolidayYear, Reminder, SweepRun, WorkdayOverride
from .selectors import Status
from .workdays import fixed_holidays_not_off, years_needing_calendar


def warn_missing_calendar(request) -> None:
    today = timezone.localdate()
    years = years_needing_calendar(
        today=today, plan_years=Plan.objects.filter(year__gte=today.year).values_list("year", flat=True)
    )
    if years:
        messages.warning(
            request,
            _(
                "节假日日历缺少 %(years)s 年的数据，提醒暂按周一至周五计算工作日。"
                "请按国务院办公厅当年的节假日通知，在“工作日调整”中录入全部放假和调休安排，"
                "再在“年度节假日安排”中登记该年度已录入。"
            )
            % {"years": "、".join(map(str, years))},
        )


class CalendarWarningMixin:
    """The lists that depend on the working-day calendar warn while a year's
    holidays are missing from it (warn_missing_calendar)."""

    def changelist_view(self, request, extra_context=None):
        warn_missing_calendar(request)
        return super().changelist_view(request, extra_context)


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(CalendarWarningMixin, SimpleHistoryAdmin):
    list_display = ["date", "weekday", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["note"]

    @admin.display(description="星期")
    def weekday(self, override):
        return "一二三四五六日"[override.date.weekday()]


class HolidayYearForm(forms.ModelForm):
    class Meta:
        model = HolidayYear
        fields = ["year", "note"]

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2999:
            raise forms.ValidationError(_("请输入四位年份。"))
        not_off = fixed_holidays_not_off(year)
        if not_off:
            raise forms.ValidationError(
                _("%(days)s 仍按工作日计算：请先在“工作日调整”中录入该年度的放假和调休安排。")
                % {"days": "、".join(day_text(day) for day in not_off)}
            )
        return year


@admin.register(HolidayYear)
class HolidayYearAdmin(CalendarWarningMixin, SimpleHistoryAdmin):
    """The admin records a year here once all its holidays and make-up
    working days are entered as overrides; until then the warning stays."""

    form = HolidayYearForm
    list_display = ["year", "note"]


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["period", "kind", "as_of", "started_at", "finished_at", "recorded"]
    list_filter = ["kind"]
    date_hierarchy = "period"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyMixin, CalendarWarningMixin, admin.ModelAdmin):
    list_display = [
        "remind_after",
        "unit",
        "task_name",
        "reason",
        "period_label",
        "state",
        "sent_at",
        "attempts",
    ]
    list_filter = ["reason", ("sent_at", admin.EmptyFieldListFilter), "task__indicator__plan", "plan"]
    search_fields = ["unit__name", "task__indicator__code", "recipients", "period"]
    list_select_related = ["unit", "task__indicator__plan", "plan"]
    date_hierarchy = "remind_after"
    list_per_page = 100

    @admin.display(description="任务", ordering="task__indicator__position")
    def task_name(self, reminder):
        return reminder.task.name if reminder.task_id else str(reminder.plan or "—")

    @admin.display(description="周期", ordering="period")
    def period_label(self, reminder):
        return reminder.period_label

    @admin.display(description="状态")
    def state(self, reminder):
        return Status.LABELS[reminder.status()]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Each notice's delivery by DingTalk and SMS (the office edits the
    channels themselves under 提醒渠道 in the portal)."""

    list_display = ["reminder", "channel", "status", "sent_at", "attempts", "response_code", "last_error"]
    list_filter = ["channel", "status"]
    search_fields = ["reminder__unit__name", "response_code", "last_error"]
    list_select_related = ["reminder"]
    date_hierarchy = "created_at"
    list_per_page = 100
