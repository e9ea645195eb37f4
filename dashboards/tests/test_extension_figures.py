"""On time, on time after an extension (延期后按期) and overdue, on the small
plan of tasks.tests.plans with one extension: 发改局 asked on 13 August for
A2 (due 31 July, reported completed on 1 August) to be extended to 10
August; the office approved, then verified A2 on 14 August. On 15 August
A2 is late against its original date and on time against the extended
one: 延期后按期, not 按期, and no longer overdue."""

import datetime as dt

import pytest
import time_machine

from dashboards.asof import Scope
from dashboards.figures import Figures, dashboard_overview
from tasks import extensions
from tasks.models import Review
from tasks.tests.helpers import review
from tasks.tests.plans import FGJ, SHANGHAI, task


@pytest.fixture
def extended(plan, staff, office):
    from tasks.tests.helpers import join

    join(staff, FGJ)
    with time_machine.travel(dt.datetime(2019, 8, 13, 10, tzinfo=SHANGHAI), tick=False):
        request = extensions.extension_request_create(
            task=task(FGJ, "A2"), user=staff, requested_due_date=dt.date(2019, 8, 10), reason="等接口"
        )
        extensions.extension_decide(extension=request, user=office, approve=True)
    with time_machine.travel(dt.datetime(2019, 8, 14, 10, tzinfo=SHANGHAI), tick=False):
        review(task(FGJ, "A2"), office, Review.Decision.VERIFIED)
    return plan


def test_it_counts_an_extended_task_apart_from_the_on_time_ones(extended, aug_15):
    day = dt.date(2019, 8, 15)
    totals = dashboard_overview(scope=Scope(plan=extended, as_of=day, today=day)).totals
    assert totals == Figures(
        total=7,
        verified=4,
        completed=0,
        in_progress=2,
        returned=0,
        not_started=1,
        overdue=1,
        assessable=5,
        on_time=2,
        extended_on_time=1,
    )
    assert totals.on_time_rate == 40.0  # 2 of 5: the extension is not on time


def test_it_shows_on_time_after_an_extension_beside_the_rate(client, office, extended, aug_15):
    client.force_login(office)
    page = client.get("/tasks/dashboard/").content.decode()
    assert '<span data-total="extended_on_time">延期后按期 1</span>' in page


def test_it_counts_on_time_after_an_extension_in_the_monthly_report(client, office, extended, aug_15):
    import io

    from openpyxl import load_workbook

    from dashboards.report import SUMMARY_HEADERS

    client.force_login(office)
    book = load_workbook(io.BytesIO(client.get("/tasks/dashboard/report.xlsx").content))
    rows = {row[1]: row for row in ([c.value for c in r] for r in book["单位汇总"].iter_rows(min_row=3))}
    column = SUMMARY_HEADERS.index("延期后按期")
    assert (rows[FGJ][column - 1], rows[FGJ][column]) == (0, 1)  # 按期完成 0, 延期后按期 1
    assert rows["合计"][column] == 1
