"""What a visitor of the demo sees, as plain data: the facts the issue's
"done when" names, computed the same way on PostgreSQL (in the test
process) and on SQLite (the database of `make run`, in a subprocess:
`main`). Not a test module itself (no test_ prefix)."""

import datetime as dt
import io
import json

from django.core.management import call_command
from django.utils import timezone

from dashboards.asof import Scope
from dashboards.figures import dashboard_overview
from dashboards.targets import target_attainment
from departments.models import Unit
from indicators.models import ConsultationAnswer, Plan
from indicators.selectors import plan_status_changes
from reminders.models import Reminder
from tasks.models import Evidence, ProgressReport, Task


def facts(*, year: int) -> dict:
    today = timezone.localdate()
    plan = Plan.objects.get(year=year)
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    now = dashboard_overview(scope=Scope(plan=plan, as_of=today, today=today))
    then = dashboard_overview(scope=Scope(plan=plan, as_of=last_month_end, today=today))
    returned = Task.objects.for_plan(plan).filter(status=Task.Status.RETURNED).with_latest_report()
    return {
        "title": plan.title,
        "today": today.isoformat(),
        "totals": {"now": vars(now.totals), "last_month_end": vars(then.totals)},
        "on_time_rate": now.totals.on_time_rate,
        "targets": _targets(plan, today),
        "trend": [[point.day.isoformat(), point.due, point.completed, point.verified] for point in now.trend],
        "max_days_late": max((row.days_late for row in now.overdue), default=0),
        "returned_reasons": sorted(filter(None, returned.values_list("return_reason", flat=True))),
        "reports": ProgressReport.objects.filter(task__indicator__plan=plan).count(),
        "report_months": sorted(
            {
                timezone.localtime(at).month
                for at in ProgressReport.objects.filter(task__indicator__plan=plan).values_list(
                    "created_at", flat=True
                )
            }
        ),
        "evidence": Evidence.objects.filter(report__task__indicator__plan=plan).count(),
        "notices": Reminder.objects.filter(task__indicator__plan=plan).count(),
        "sent": Reminder.objects.filter(task__indicator__plan=plan, sent_at__isnull=False).count(),
        "annex_year": _annex_year(),
        "demo_towns": sorted(
            Unit.objects.filter(unit_type__in=["town", "subdistrict"]).values_list("name", flat=True)
        ),
    }


def _targets(plan: Plan, day: dt.date) -> dict:
    """目标达成 as the overview shows it on `day`."""
    total = target_attainment(scope=Scope(plan=plan, as_of=day, today=day)).total
    return {"confirmed": total.confirmed, "reported": total.reported, "met": total.met}


def _annex_year() -> dict:
    """The 2019 plan kept beside the current one: closed, as of its last day."""
    plan = Plan.objects.get(year=2019)
    last_day = dt.date(2019, 12, 31)
    overview = dashboard_overview(scope=Scope(plan=plan, as_of=last_day, today=timezone.localdate()))
    answers = ConsultationAnswer.objects.filter(consultation__plan=plan)
    return {
        "title": plan.title,
        "status": plan.status,
        "answers": sorted(
            [kind, str(timezone.localtime(at).date()), decision]
            for kind, at, decision in answers.values_list("kind", "answered_at", "decision")
            if kind != ConsultationAnswer.Kind.DEEMED
        ),
        "deemed": answers.filter(kind=ConsultationAnswer.Kind.DEEMED).count(),
        "first_task": str(
            timezone.localtime(
                Task.history.filter(indicator__plan=plan).earliest("history_date").history_date
            )
        ),
        "on_time_rate": overview.totals.on_time_rate,
        "targets": _targets(plan, last_day),
        "trend_days": [point.day.isoformat() for point in overview.trend],
        "key_dates": [
            [change.status, str(timezone.localtime(change.at).date())] for change in plan_status_changes(plan)
        ],
    }


def main(year: int) -> None:
    """For `manage.py shell -c` (the frozen day set by the caller): the demo
    from scratch, twice, then the facts as one line of JSON on stdout."""
    import time

    call_command("migrate", verbosity=0)
    started, cpu = time.perf_counter(), time.process_time()
    call_command("bootstrap_demo", stdout=io.StringIO())
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    call_command("bootstrap_demo", stdout=io.StringIO())
    timing = {"seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1)}
    print(json.dumps({**facts(year=year), **timing}, ensure_ascii=False, default=str))
