"""django-celery-beat's admin pages with Chinese column and field names
where the package has none (labels not marked for translation, columns
named after methods). Its and axes's translatable strings get their Chinese
from locale/zh_Hans (docs/translations.md)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)


class TaskNameFilter(admin.AllValuesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("任务名")


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    list_display = ("name", "enabled", "schedule", "start_time", "last_run_at", "one_off")
    list_filter = ["enabled", "one_off", ("task", TaskNameFilter), "start_time", "last_run_at"]

    @admin.display(description=_("日程"))
    def schedule(self, task):
        return task.scheduler

    @admin.display(description=_("时间规则说明"))
    def crontab_translation(self, task):
        return super().crontab_translation(task)


class PeriodicTaskInline(beat_admin.PeriodicTaskInline):
    fields = ("name", "task_name", "args", "kwargs")
    readonly_fields = fields

    @admin.display(description=_("任务名"))
    def task_name(self, task):
        return task.task


class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin):
    inlines = [PeriodicTaskInline]


class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin):
    inlines = [PeriodicTaskInline]


class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin):
    inlines = [PeriodicTaskInline]


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    inlines = [PeriodicTaskInline]
    list_display = ("__str__", "readable")
    fields = ("readable", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("readable",)

    @admin.display(description=_("说明"))
    def readable(self, schedule):
        return schedule.human_readable


def register(site: admin.AdminSite) -> None:
    for model, model_admin in (
        (PeriodicTask, PeriodicTaskAdmin),
        (ClockedSchedule, ClockedScheduleAdmin),
        (SolarSchedule, SolarScheduleAdmin),
        (IntervalSchedule, IntervalScheduleAdmin),
        (CrontabSchedule, CrontabScheduleAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
