"""The default reminder schedule as django-celery-beat periodic tasks, which
the admin can change under 周期任务 (Periodic tasks). Times are Asia/Shanghai.

- every day at 08:30: the daily sweep (it does nothing on a day off);
- the 1st of each month at 00:10: the month-end sweep (overdue notices only,
  whatever the day), since every deadline in the annex is a month end."""

from django.db import migrations

SCHEDULE = [
    # name, minute, hour, day of month, kwargs
    ("提醒：每日扫描（工作日 08:30）", "30", "8", "*", '{"month_end": false}'),
    ("提醒：月底逾期（每月1日 00:10）", "10", "0", "1", '{"month_end": true}'),
]
TASK = "tasks.jobs.reminders_sweep"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, minute, hour, day_of_month, kwargs in SCHEDULE:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": TASK,
                "crontab": crontab,
                "kwargs": kwargs,
                "description": "见 docs/reminders.md",
            },
        )
    # Tell a running beat that the schedule changed (the model's signals do
    # not fire in migrations).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
