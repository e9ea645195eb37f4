"""Fill a database, with the code of commit 98c148b (the last before the house move), the
way a year of use would: the demo (2019 annex, units, accounts), progress
reports with evidence, reviews, notices swept and sent, a 催办, working-day
overrides, a holiday year, sweep runs, and the beat schedule rows the
migrations made."""

import datetime as dt
from zoneinfo import ZoneInfo

import django

django.setup()

import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tasks import notices, reminders, services  # noqa: E402
from tasks.models import HolidayYear, Task, WorkdayOverride  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
User = get_user_model()
call_command("bootstrap_demo", "--force", verbosity=0)
sgj, office = User.objects.get(username="sgj"), User.objects.get(username="office")
pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
with time_machine.travel(dt.datetime(2019, 6, 20, 10, tzinfo=SH), tick=False):
    for task in Task.objects.filter(unit__name="区数管局").order_by("pk")[:6]:
        services.progress_report_create(
            task=task,
            user=sgj,
            expected_version=task.version,
            status="completed",
            percent=100,
            progress="已完成系统上线",
            files=[SimpleUploadedFile("验收报告.pdf", pdf, "application/pdf")],
        )
with time_machine.travel(dt.datetime(2019, 6, 28, 15, tzinfo=SH), tick=False):
    for n, task in enumerate(Task.objects.filter(unit__name="区数管局", status="completed").order_by("pk")):
        task.refresh_from_db()
        services.task_review(
            task=task,
            user=office,
            decision="verified" if n % 2 == 0 else "returned",
            reason="" if n % 2 == 0 else "请补充验收材料",
            expected_version=task.version,
        )
WorkdayOverride.objects.create(date=dt.date(2019, 7, 15), is_workday=False, note="演示：调休")
HolidayYear.objects.create(year=2027, note="演示")
reminders.sweep(now=dt.datetime(2019, 7, 24, 8, 30, tzinfo=SH))
reminders.sweep(now=dt.datetime(2019, 8, 1, 0, 10, tzinfo=SH), month_end=True)
with time_machine.travel(dt.datetime(2019, 8, 5, 9, tzinfo=SH), tick=False):
    task = Task.objects.filter(unit__name="区数管局").exclude(status="verified").first()
    notices.reminder_create_manual(task=task, user=office, note="请尽快报送")
    reminders.deliver_all(now=dt.datetime(2019, 8, 5, 9, tzinfo=SH))
print("filled")
