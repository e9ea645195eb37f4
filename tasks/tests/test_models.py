import datetime as dt

import time_machine

from tasks.models import Task

from .helpers import SHANGHAI, report, review, task_of

JULY_15 = dt.date(2019, 7, 15)


def test_it_counts_a_task_overdue_after_its_due_date_until_it_is_verified(task_8):
    task_8.due_date = dt.date(2019, 7, 14)
    assert task_8.is_overdue(JULY_15)
    assert not task_8.is_overdue(dt.date(2019, 7, 14))  # due today is not late yet
    assert task_8.days_left(JULY_15) == -1

    for status in [Task.Status.COMPLETED, Task.Status.RETURNED, Task.Status.IN_PROGRESS]:
        task_8.status = status
        assert task_8.is_overdue(JULY_15)
    task_8.status = Task.Status.VERIFIED
    assert not task_8.is_overdue(JULY_15)


def test_it_finds_overdue_tasks_in_the_database_the_same_way(plan_2019):
    overdue = Task.objects.filter(unit__name="区数管局").overdue(on=JULY_15)
    # 区数管局's June items (2, 10) are late in mid-July; July's (1) are not yet.
    assert sorted(overdue.values_list("indicator__code", flat=True)) == ["10", "2"]

    Task.objects.filter(unit__name="区数管局", indicator__code="2").update(status=Task.Status.VERIFIED)
    assert list(
        Task.objects.filter(unit__name="区数管局")
        .overdue(on=JULY_15)
        .values_list("indicator__code", flat=True)
    ) == ["10"]


def test_it_finds_tasks_due_in_a_month(plan_2019):
    due = Task.objects.filter(unit__name="区数管局").due_in_month(on=JULY_15)
    assert set(due.values_list("due_date", flat=True)) == {dt.date(2019, 7, 31)}


def test_it_counts_a_report_from_this_month_in_shanghai_time(task_8, staff):
    tasks = Task.objects.filter(pk=task_8.pk)
    # 2019-06-30 23:30 in Shanghai is still June, though it is already July in no place west of here.
    with time_machine.travel(dt.datetime(2019, 6, 30, 23, 30, tzinfo=SHANGHAI), tick=False):
        report(task_8, staff)
    assert tasks.not_reported_in_month(on=dt.date(2019, 7, 1)).exists()
    with time_machine.travel(dt.datetime(2019, 7, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        report(task_8, staff)
    assert not tasks.not_reported_in_month(on=dt.date(2019, 7, 1)).exists()


def test_it_never_asks_a_verified_task_for_a_monthly_report(task_8, staff, office):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, "verified")
    with time_machine.travel(dt.datetime(2019, 8, 2, tzinfo=SHANGHAI), tick=False):
        assert not Task.objects.filter(pk=task_8.pk).not_reported_in_month(on=dt.date(2019, 8, 2)).exists()


def test_it_annotates_the_latest_report_and_return_reason(task_8, staff, office):
    report(task_8, staff, percent=30)
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, "returned", "缺少归档率佐证")
    row = Task.objects.with_latest_report().get(pk=task_8.pk)
    assert (row.latest_percent, row.return_reason) == (100, "缺少归档率佐证")
    assert row.latest_reported_at is not None
    untouched = Task.objects.with_latest_report().get(pk=task_of("区办事服务中心", "8").pk)
    assert (untouched.latest_percent, untouched.latest_reported_at, untouched.return_reason) == (
        None,
        None,
        None,
    )
