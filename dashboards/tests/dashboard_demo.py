"""The demo's ground (bootstrap_demo --no-story on a day of 2019: the unit
directory with the demo towns and streets, the 2019 annex as plan 2019, the
demo accounts) with three months of simulated reports, and what
the overview and the monthly report make of it, as plain data.

test_dashboard_sqlite.py computes it on PostgreSQL in the test process and,
through `main`, on SQLite (the demo's database) in a subprocess: the two
must agree. Not a test module itself (no test_ prefix)."""

import datetime as dt
import io
import json
from dataclasses import asdict

import openpyxl
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dashboards.asof import Scope
from dashboards.figures import Overview, dashboard_overview
from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Plan
from tasks import services
from tasks.models import Review, Task
from tasks.tests.helpers import review
from tasks.tests.plans import AUG_15, SHANGHAI, simulate_progress

TODAY = AUG_15.date()
LAST_MONTH_END = dt.date(2019, 7, 31)


def build() -> Plan:
    """bootstrap_demo --no-story on 2019-05-06, then reports and reviews (by the demo's
    sgj and office) until 2019-07-31, and a few things the simulation does
    not do, on the edges of the days the overview cuts at."""
    with time_machine.travel(dt.datetime(2019, 5, 6, 9, tzinfo=SHANGHAI), tick=False):
        call_command("bootstrap_demo", force=True, no_story=True, stdout=io.StringIO())
    users = get_user_model().objects.in_bulk(["sgj", "office"], field_name="username")
    plan = Plan.objects.get(year=2019)
    with time_machine.travel(dt.datetime(2019, 5, 7, 9, tzinfo=SHANGHAI), tick=False):
        # A deadline on the day after a point of the trend (07-31).
        last = Indicator.objects.filter(plan=plan).order_by("-position")[0]
        last.due_date = dt.date(2019, 8, 1)
        last.save()
        services.task_sync_plan(plan=plan)
    simulate_progress(
        plan=plan,
        staff=users["sgj"],
        office=users["office"],
        start=dt.datetime(2019, 5, 8, 9, tzinfo=SHANGHAI),
        end=dt.datetime(2019, 7, 31, 18, tzinfo=SHANGHAI),
    )
    # At midnight, the very end of 07-31 (a point of the trend): returns,
    # and a unit dropped from an indicator (its task deactivated).
    with time_machine.travel(dt.datetime(2019, 8, 1, 0, tzinfo=SHANGHAI), tick=False):
        awaiting = Task.objects.filter(indicator__plan=plan, status=Task.Status.COMPLETED)
        for task in awaiting.order_by("-indicator__position", "unit__name")[:3]:
            review(task, users["office"], Review.Decision.RETURNED, reason="缺少佐证材料")
        dropped = IndicatorUnit.objects.filter(
            indicator__plan=plan, role="responsible", unit__kind=Unit.Kind.UNIT
        ).order_by("indicator__position", "unit__name")[0]
        dropped.delete()
        services.task_sync_plan(plan=plan)
    return plan


def _overview(overview: Overview) -> dict:
    """Every number of the overview (no database ids: they differ)."""
    return {
        "totals": asdict(overview.totals),
        "units": [
            [unit.name, unit.rank, asdict(unit.lead), asdict(unit.responsible)] for unit in overview.units
        ],
        "categories": [asdict(row) for row in overview.categories],
        "months": [asdict(row) for row in overview.months],
        "days": [asdict(row) for row in overview.days],
        "overdue": [{**asdict(row), "id": None} for row in overview.overdue],
        "trend": [asdict(point) for point in overview.trend],
    }


def figures(plan: Plan) -> dict:
    """On 2019-08-15, as the demo's office: the status of the overview
    (today and as of the end of last month) and of the report download; the
    overview's numbers on both days; the workbook's cells."""
    office = get_user_model().objects.get(username="office")
    overview_url, report_url = reverse("dashboards:overview"), reverse("dashboards:report")
    past = f"?as_of={LAST_MONTH_END.isoformat()}"
    with time_machine.travel(AUG_15, tick=False), translation.override(settings.LANGUAGE_CODE):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(office)
        pages = {url: client.get(url) for url in (overview_url, overview_url + past, report_url + past)}
        workbook = openpyxl.load_workbook(io.BytesIO(pages[report_url + past].content))
        overviews = {
            day.isoformat(): _overview(dashboard_overview(scope=Scope(plan=plan, as_of=day, today=TODAY)))
            for day in (TODAY, LAST_MONTH_END)
        }
    result = {
        "status": {url: page.status_code for url, page in pages.items()},
        "overview": overviews,
        "report": {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook
        },
    }
    # As JSON would carry it (dates as text), so the two sides compare equal.
    return json.loads(json.dumps(result, default=str))


def main() -> None:
    """For `manage.py shell -c`: the demo database from scratch, then the
    figures as one line of JSON on stdout."""
    call_command("migrate", verbosity=0)
    print(json.dumps(figures(build()), ensure_ascii=False))
