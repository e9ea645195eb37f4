"""Admin for reminders: the record of every notice (read only: it is the
proof of what was sent) and the working-day overrides (节假日日历)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Plan

from .models import Reminder, WorkdayOverride
from .notices import Status
from .workdays import years_needing_calendar


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
                "请升级 chinesecalendar，或在“工作日调整”中录入当年的放假和调休安排。"
            )
            % {"years": "、".join(map(str, years))},
        )


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(SimpleHistoryAdmin):
    list_display = ["date", "weekday", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["note"]

    @admin.display(description="星期")
    def weekday(self, override):
        return "一二三四五六日"[override.date.weekday()]

    def changelist_view(self, request, extra_context=None):
        warn_missing_calendar(request)
        return super().changelist_view(request, extra_context)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = [
        "remind_after",
        "unit",
        "indicator_code",
        "reason",
        "period",
        "state",
        "sent_at",
        "attempts",
    ]
    list_filter = ["reason", ("sent_at", admin.EmptyFieldListFilter), "task__indicator__plan"]
    search_fields = ["unit__name", "task__indicator__code", "recipients", "period"]
    list_select_related = ["unit", "task__indicator"]
    date_hierarchy = "remind_after"
    list_per_page = 100

    @admin.display(description="序号", ordering="task__indicator__position")
    def indicator_code(self, reminder):
        return reminder.task.indicator.code

    @admin.display(description="状态")
    def state(self, reminder):
        return Status.LABELS[reminder.status()]

    def changelist_view(self, request, extra_context=None):
        warn_missing_calendar(request)
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
