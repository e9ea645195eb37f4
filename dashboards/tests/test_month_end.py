"""A month-end's state copied once (dashboards.models.MonthEnd): the same
figures as from the task history, unchanged by later reports, written once,
and only for a month's last day that has ended."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from dashboards import asof
from dashboards.asof import Scope, task_states
from dashboards.figures import dashboard_overview
from dashboards.models import MonthEnd, MonthEndState
from dashboards.report import monthly_report_workbook
from indicators.models import Plan
from tasks.models import Task
from tasks.tests.helpers import report
from tasks.tests.plans import AUG_15, FGJ, SHANGHAI, task

JULY_31 = dt.date(2019, 7, 31)


def overview_as_of(plan: Plan, day: dt.date):
    return dashboard_overview(scope=Scope(plan=plan, as_of=day, today=AUG_15.date()))


def cells(workbook: bytes) -> dict[str, list[list]]:
    """A workbook's sheets as values: its bytes carry the moment each sheet
    was written (openpyxl stamps them with the real clock, not the test's),
    two seconds apart at times."""
    book = load_workbook(io.BytesIO(workbook))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book}


def from_history(monkeypatch, plan: Plan, day: dt.date):
    """The overview of `day` as the task history gives it, without the copy."""
    with monkeypatch.context() as patched:
        patched.setattr(asof, "_kept_as_month_end", lambda day: False)
        return overview_as_of(plan, day)


def test_it_shows_a_month_end_as_the_history_does_and_copies_it_once(annex_2019_in_august, monkeypatch):
    plan = Plan.objects.get(year=2019)
    with time_machine.travel(AUG_15, tick=False):
        expected = from_history(monkeypatch, plan, JULY_31)
        assert MonthEnd.objects.count() == 0
        copied = overview_as_of(plan, JULY_31)
        again = overview_as_of(plan, JULY_31)
        workbook = monthly_report_workbook(plan=plan, as_of=JULY_31, today=AUG_15.date())
        with monkeypatch.context() as patched:
            patched.setattr(asof, "_kept_as_month_end", lambda day: False)
            workbook_from_history = monthly_report_workbook(plan=plan, as_of=JULY_31, today=AUG_15.date())

    assert expected.totals.total > 100 and expected.totals.verified > 0 and expected.overdue
    for overview in (copied, again):
        assert overview.totals == expected.totals
        assert overview.units == expected.units
        assert overview.categories == expected.categories
        assert overview.days == expected.days
        assert overview.overdue == expected.overdue
    assert cells(workbook) == cells(workbook_from_history)
    month_end = MonthEnd.objects.get()
    assert (month_end.plan, month_end.day) == (plan, JULY_31)
    assert MonthEndState.objects.count() == expected.totals.total


def test_it_keeps_the_month_end_as_it_was_after_later_reports(
    client, plan, office, staff, aug_15, monkeypatch
):
    client.force_login(office)
    url = reverse("dashboards:overview")

    def totals(**query):
        return client.get(url, {"plan": 2019, **query}).context["overview"].totals

    before, today_before = totals(as_of="2019-07-31"), totals()
    report(task(FGJ, "B2"), staff, status=Task.Status.COMPLETED, percent=100, progress="B2 完成")
    after, today_after = totals(as_of="2019-07-31"), totals()

    assert after == before == from_history(monkeypatch, plan, JULY_31).totals
    assert today_after.completed == today_before.completed + 1
    assert MonthEnd.objects.count() == 1


@pytest.mark.parametrize(
    ("now", "day"),
    [
        # Five minutes after the month ended: a report saved at 23:59:59 may
        # not have committed yet.
        (dt.datetime(2019, 8, 1, 0, 5, tzinfo=SHANGHAI), JULY_31),
        # Not a month's last day.
        (AUG_15, dt.date(2019, 7, 15)),
    ],
)
def test_it_copies_only_a_month_end_that_has_settled(plan, now, day):
    with time_machine.travel(now, tick=False):
        states = task_states(plan=plan, as_of=day, today=now.date())
        assert states.model is not MonthEndState and states.count() > 0
    assert MonthEnd.objects.count() == 0


def test_it_does_not_copy_who_could_have_reported(plan, aug_15):
    """报送完整率 asks for the tasks as they were, not backdated to the import."""
    task_states(plan=plan, as_of=JULY_31, today=AUG_15.date(), backdate_import=False).count()
    assert MonthEnd.objects.count() == 0
