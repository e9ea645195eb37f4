"""The overview (进展总览): its numbers against the hand-counted plan of
tasks/tests/plans.py, today and as of a past day; filters; who may see it; and
the query count at two sizes."""

import datetime as dt
import json
import re
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from dashboards import views
from dashboards.asof import Scope, StatusFilter
from dashboards.figures import Figures, dashboard_overview, dashboard_version
from dashboards.trend import completion_trend, trend_days
from dashboards.views import _cache_key
from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Plan
from tasks import services
from tasks.models import ProgressReport, Review, Task
from tasks.tests.helpers import report
from tasks.tests.plans import BSZX, FGJ, SGJ, SHANGHAI, task


def overview_of(plan, as_of=dt.date(2019, 8, 15), **filters):
    return dashboard_overview(scope=Scope(plan=plan, as_of=as_of, today=dt.date(2019, 8, 15), **filters))


def by_name(overview):
    return {unit.name: unit for unit in overview.units}


# The numbers, today


def test_it_counts_the_totals_and_the_on_time_rate(plan, aug_15):
    totals = overview_of(plan).totals
    assert totals == Figures(
        total=7,
        verified=3,
        completed=1,
        in_progress=2,
        returned=0,
        not_started=1,
        overdue=2,
        assessable=5,
        on_time=2,
    )
    assert totals.on_time_rate == 40.0


def test_it_counts_each_category(plan, aug_15):
    categories = {row.name: row.figures for row in overview_of(plan).categories}
    assert list(categories) == ["甲类", "乙类"]  # in annex order
    first, second = categories["甲类"], categories["乙类"]
    assert (first.total, first.verified, first.completed, first.in_progress, first.overdue) == (4, 2, 1, 1, 2)
    assert (first.assessable, first.on_time) == (4, 1)
    assert (second.total, second.verified, second.in_progress, second.not_started, second.overdue) == (
        3,
        1,
        1,
        1,
        0,
    )
    assert (second.assessable, second.on_time) == (1, 1)


def test_it_splits_each_unit_into_lead_and_responsible(plan, aug_15):
    units = by_name(overview_of(plan))
    sgj, bszx, fgj = units[SGJ], units[BSZX], units[FGJ]
    assert (sgj.lead.total, sgj.lead.verified, sgj.responsible.total, sgj.responsible.verified) == (
        2,
        2,
        1,
        0,
    )
    assert (bszx.lead.total, bszx.lead.verified, bszx.responsible.total, bszx.responsible.overdue) == (
        1,
        1,
        1,
        1,
    )
    assert (fgj.lead.total, fgj.lead.in_progress, fgj.responsible.total, fgj.responsible.completed) == (
        1,
        1,
        1,
        1,
    )
    assert (fgj.responsible.overdue, fgj.lead.overdue) == (1, 0)


def test_it_ranks_units_by_on_time_rate(plan, aug_15):
    ranking = [(u.rank, u.name, u.all.on_time, u.all.assessable) for u in overview_of(plan).units]
    # 区数管局: A1 on time, A2 late (1/2); 区办事服务中心: B1 on time, A1 overdue (1/2);
    # 区发改局: A2 overdue (0/1). Equal rates share a rank.
    assert ranking == [(1, BSZX, 1, 2), (1, SGJ, 1, 2), (3, FGJ, 0, 1)]


def test_it_counts_tasks_by_due_month_and_day(plan, aug_15):
    overview = overview_of(plan)
    months = [
        (row.day, row.figures.total, row.figures.verified, row.figures.overdue, row.figures.pending)
        for row in overview.months
        if row.figures.total
    ]
    assert [row.day.month for row in overview.months] == list(range(1, 13))  # the whole plan year
    assert months == [
        (dt.date(2019, 6, 1), 2, 1, 1, 0),
        (dt.date(2019, 7, 1), 2, 1, 1, 0),
        (dt.date(2019, 9, 1), 2, 1, 0, 1),
        (dt.date(2019, 12, 1), 1, 0, 0, 1),
    ]
    assert [(row.day, row.figures.total) for row in overview.days] == [
        (dt.date(2019, 6, 30), 2),
        (dt.date(2019, 7, 31), 2),
        (dt.date(2019, 9, 30), 2),
        (dt.date(2019, 12, 31), 1),
    ]


def test_it_lists_the_overdue_tasks_longest_first_with_days_late(plan, aug_15):
    rows = overview_of(plan).overdue
    assert [(row.unit_name, row.code, row.days_late) for row in rows] == [
        (BSZX, "A1", 46),
        (FGJ, "A2", 15),
    ]
    assert [(row.latest_percent, row.id) for row in rows] == [
        (50, task(BSZX, "A1").pk),
        (100, task(FGJ, "A2").pk),
    ]


def test_it_draws_the_trend_from_the_history(plan, aug_15):
    points = [(p.day, p.due, p.completed, p.verified) for p in overview_of(plan).trend]
    assert points == [
        (dt.date(2019, 1, 31), 0, 0, 0),  # the plan did not exist yet
        (dt.date(2019, 2, 28), 0, 0, 0),
        (dt.date(2019, 3, 31), 0, 0, 0),
        (dt.date(2019, 4, 30), 0, 0, 0),
        (dt.date(2019, 5, 31), 0, 0, 0),
        (dt.date(2019, 6, 30), 2, 1, 1),
        (dt.date(2019, 7, 31), 4, 2, 2),  # 数管/A2 was returned on 07-25
        (dt.date(2019, 8, 15), 4, 4, 3),  # the last point is the totals
    ]


def test_it_keeps_past_days_of_the_trend_and_reads_today_from_the_tasks(
    plan, aug_15, django_assert_num_queries
):
    scope = Scope(plan=plan, as_of=dt.date(2019, 8, 15), today=dt.date(2019, 8, 15))
    version = dashboard_version(plan=plan).indicators
    expected = completion_trend(scope=scope)  # from the history
    assert completion_trend(scope=scope, indicators_version=version) == expected  # fills the cache
    with django_assert_num_queries(1) as queries:
        assert completion_trend(scope=scope, indicators_version=version) == expected
    assert "historicaltask" not in queries.captured_queries[0]["sql"]
    # Another filter is another set of cached days.
    narrowed = Scope(plan=plan, as_of=scope.as_of, today=scope.today, category="乙类")
    points = completion_trend(scope=narrowed, indicators_version=version)
    assert points == completion_trend(scope=narrowed)
    assert [(p.day, p.due, p.completed, p.verified) for p in points[-2:]] == [
        (dt.date(2019, 7, 31), 0, 1, 1),
        (dt.date(2019, 8, 15), 0, 1, 1),
    ]


@pytest.mark.parametrize("narrow", [{}, {"category": "乙类"}, {"status": "overdue"}, {"unit": SGJ}])
def test_it_reads_todays_trend_point_off_the_figures_as_the_tasks_give_it(plan, aug_15, narrow):
    today = dt.date(2019, 8, 15)
    if "unit" in narrow:
        narrow = {"unit_id": Unit.objects.get(name=narrow["unit"]).pk}
    scope = Scope(plan=plan, as_of=today, today=today, **narrow)
    version = dashboard_version(plan=plan)
    completion_trend(scope=scope, indicators_version=version.indicators)  # the past days cached
    from_the_tasks = completion_trend(scope=scope, indicators_version=version.indicators)
    with CaptureQueriesContext(connection) as queries:
        overview = dashboard_overview(scope=scope, version=version)
    assert overview.trend == from_the_tasks == completion_trend(scope=scope)  # the last from the history
    # Read off the figures when they count the same tasks (no status filter),
    # else counted by the trend's own query.
    trend_queries = [q for q in queries.captured_queries if 'AS "due"' in q["sql"]]
    assert len(trend_queries) == (1 if scope.status else 0)


def test_it_ends_the_trend_at_the_as_of_day_and_never_after_the_plan_year():
    assert trend_days(year=2019, as_of=dt.date(2019, 3, 5)) == [
        dt.date(2019, 1, 31),
        dt.date(2019, 2, 28),
        dt.date(2019, 3, 5),
    ]
    assert trend_days(year=2019, as_of=dt.date(2020, 2, 1))[-2:] == [
        dt.date(2019, 11, 30),
        dt.date(2019, 12, 31),
    ], "a past plan's trend ends on 31 December"
    assert trend_days(year=2020, as_of=dt.date(2019, 12, 31)) == []


# As of a past day


def test_it_shows_the_state_at_the_end_of_a_past_day(plan, aug_15):
    overview = overview_of(plan, as_of=dt.date(2019, 7, 31))
    assert overview.totals == Figures(
        total=7,
        verified=2,
        completed=0,
        in_progress=2,
        returned=1,
        not_started=3,
        overdue=1,
        assessable=3,
        on_time=2,
    )
    assert [(row.unit_name, row.code, row.days_late, row.status) for row in overview.overdue] == [
        (BSZX, "A1", 31, "in_progress")
    ]
    assert by_name(overview)[SGJ].lead.returned == 1
    assert overview.trend[-1].day == dt.date(2019, 7, 31)
    assert (overview.trend[-1].completed, overview.trend[-1].verified) == (2, 2)


def test_it_keeps_a_past_days_states_and_reads_no_history_for_them_again(plan, aug_15, staff):
    july = overview_of(plan, as_of=dt.date(2019, 7, 31)).totals
    report(task(BSZX, "A1"), staff, status=Task.Status.COMPLETED, percent=100)  # on 15 August
    with CaptureQueriesContext(connection) as queries:
        again = overview_of(plan, as_of=dt.date(2019, 7, 31)).totals
    assert again == july
    assert overview_of(plan).totals.completed == 2
    assert not [q for q in queries.captured_queries if "DISTINCT ON" in q["sql"]]


def test_it_counts_a_day_up_to_its_end_in_shanghai(plan, aug_15):
    # 中心/B1 was verified on 07-16 at 10:00: not yet at the end of 07-15.
    assert overview_of(plan, as_of=dt.date(2019, 7, 15)).totals.verified == 1
    assert overview_of(plan, as_of=dt.date(2019, 7, 16)).totals.verified == 2


def test_it_counts_the_tasks_as_imported_before_the_plan_was_imported(plan, aug_15):
    """Imported on 05-06 (docs/dashboards.md, "a plan imported late"): the
    days from 1 January show its tasks as they were imported."""
    overview = overview_of(plan, as_of=dt.date(2019, 5, 5))
    assert overview.totals == Figures(total=7, not_started=7)
    assert overview.overdue == []


def test_it_leaves_out_tasks_deactivated_by_then_but_keeps_them_earlier(plan, aug_15):
    dropped = task(FGJ, "B2")
    with time_machine.travel(dt.datetime(2019, 8, 14, 12, 0, tzinfo=SHANGHAI), tick=False):
        dropped.is_active = False
        dropped.save()
    assert overview_of(plan).totals.total == 6
    assert overview_of(plan, as_of=dt.date(2019, 8, 13)).totals.total == 7


# Filters


def test_it_narrows_everything_to_a_category(plan, aug_15):
    overview = overview_of(plan, category="乙类")
    assert (overview.totals.total, overview.totals.verified) == (3, 1)
    assert [row.name for row in overview.categories] == ["乙类"]
    assert overview.overdue == []
    assert overview.trend[-1].completed == 1


def test_it_narrows_everything_to_a_unit(plan, aug_15):
    unit = Unit.objects.get(name=FGJ)
    overview = overview_of(plan, unit_id=unit.pk)
    assert (overview.totals.total, overview.totals.overdue) == (2, 1)
    assert [u.name for u in overview.units] == [FGJ]


def test_it_gives_each_unit_its_own_figures_one_after_another(plan, aug_15):
    """The overview's SQL is kept per process by what it is compiled from
    (dashboards.figures._compiled): the same day for another unit is
    another query, not the first unit's again."""
    for name in (FGJ, SGJ, BSZX, FGJ):
        unit = Unit.objects.get(name=name)
        overview = overview_of(plan, unit_id=unit.pk)
        tasks = Task.objects.filter(indicator__plan=plan, unit=unit, is_active=True)
        assert [u.name for u in overview.units] == [name]
        assert overview.totals.total == tasks.count()
        assert {row.unit_name for row in overview.overdue} <= {name}


@pytest.mark.parametrize(
    ("status", "total"),
    [
        (StatusFilter.VERIFIED, 3),
        (StatusFilter.COMPLETED, 1),
        (StatusFilter.IN_PROGRESS, 2),
        (StatusFilter.RETURNED, 0),
        (StatusFilter.NOT_STARTED, 1),
        (StatusFilter.OVERDUE, 2),
    ],
)
def test_it_narrows_everything_to_a_status(plan, aug_15, status, total):
    assert overview_of(plan, status=status).totals.total == total


# The page


def test_it_shows_the_overview_to_the_reform_office(client, plan, office, aug_15):
    client.force_login(office)
    response = client.get(reverse("dashboards:overview"))
    assert response.status_code == 200
    assert response.context["overview"].totals.total == 7
    assertContains(response, "进展总览")
    assertContains(response, "截至2019年8月15日")
    assertContains(
        response, '<div class="fs-3 fw-semibold text-danger" data-total="overdue">2</div>', html=True
    )
    assertContains(response, "40.0%")
    assertContains(response, reverse("tasks:detail", args=[task(BSZX, "A1").pk]))
    assertContains(response, "vendor/echarts/echarts.min.js")
    charts = json.loads(json.dumps(response.context["charts"]))  # what the page carries
    assert charts["ranking"]["names"] == [BSZX, SGJ, FGJ]
    assert charts["categories"]["series"][0]["data"] == [2, 1]
    assertContains(response, 'id="dashboard-data"')


def test_it_serves_the_page_from_its_cache_until_the_plan_changes(client, plan, office, staff, aug_15):
    client.force_login(office)
    url = reverse("dashboards:overview")
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert second.context["body"] == first.context["body"]
    assert "overview" not in second.context  # nothing computed
    assert len(queries) == 5  # session, user, roles and units (one), the plan, the plan's version
    report(task(FGJ, "B2"), staff, status=Task.Status.COMPLETED, percent=100, progress="B2 完成")
    third = client.get(url)
    assert third.context["overview"].totals.completed == 2
    assert client.get(url, {"status": "completed"}).context["overview"].totals.total == 2


def test_it_keeps_the_filter_choices_across_reports_but_not_across_a_move(
    client, plan, office, staff, aug_15
):
    newcomer = Unit.objects.create(name="区数据资源局", contact_email="data@example.com")
    client.force_login(office)
    url = reverse("dashboards:overview")

    def computed() -> tuple[int, list[str]]:
        """How often the choices and the unowned panel were read, and the units offered."""
        with (
            mock.patch("dashboards.views.plan_units", wraps=views.plan_units) as units,
            mock.patch("dashboards.views.plan_unowned", wraps=views.plan_unowned) as unowned,
        ):
            response = client.get(url)
        assert "overview" in response.context  # not the page cache
        offered = [name for _pk, name in response.context["form"].fields["unit"].choices]
        return units.call_count + unowned.call_count, offered

    assert computed() == (2, ["全部单位", BSZX, FGJ, SGJ])
    report(task(FGJ, "B2"), staff, status=Task.Status.COMPLETED, percent=100, progress="B2 完成")
    assert computed() == (0, ["全部单位", BSZX, FGJ, SGJ])  # a report changes neither
    moved = task(FGJ, "B2")
    moved.unit = newcomer
    moved.save()
    reads, offered = computed()
    assert reads == 2 and newcomer.name in offered


def test_it_keeps_one_page_per_language_day_and_query(rf, plan, aug_15):
    def key(language="zh-hans", day=dt.date(2019, 8, 15), **query):
        with translation.override(language):
            return _cache_key(rf.get("/", query), plan=plan, today=day, version=dashboard_version(plan=plan))

    assert len({key(), key("en"), key(day=dt.date(2019, 8, 16)), key(status="overdue")}) == 4
    assert key(unit="1", status="x") == key(status="x", unit="1")


def test_it_shows_a_past_day_from_the_query_string(client, plan, office, aug_15):
    client.force_login(office)
    response = client.get(reverse("dashboards:overview"), {"plan": 2019, "as_of": "2019-07-31"})
    assert response.context["scope"].as_of == dt.date(2019, 7, 31)
    assert response.context["overview"].totals.verified == 2
    assertContains(response, "以下是2019年7月31日当天结束时的情况")


def test_it_refuses_a_day_in_the_future_and_shows_today(client, plan, office, aug_15):
    client.force_login(office)
    response = client.get(
        reverse("dashboards:overview"), {"as_of": "2019-09-01", "unit": "999999", "status": "x"}
    )
    assert response.status_code == 200
    scope = response.context["scope"]
    assert (scope.as_of, scope.unit_id, scope.status) == (dt.date(2019, 8, 15), None, "")
    assertContains(response, "截至日期不能晚于今天。")


def test_it_escapes_what_units_and_plans_wrote(client, plan, office, aug_15):
    script = "<script>alert(1)</script>"
    Indicator.objects.filter(plan=plan, code__in=["A1", "A2"]).update(task_text=script, category=script)
    Unit.objects.filter(name=BSZX).update(name=BSZX + script)
    client.force_login(office)
    response = client.get(reverse("dashboards:overview"))
    assert response.context["overview"].overdue[0].task_text == script
    assert b"<script>alert" not in response.content
    assert response.content.count(b"&lt;script&gt;alert(1)&lt;/script&gt;") >= 6  # tables, list, selects


def test_it_shows_the_overview_to_leaders(client, plan, leader, aug_15):
    client.force_login(leader)
    assert client.get(reverse("dashboards:overview")).status_code == 200
    assert client.get(reverse("dashboards:report")).status_code == 200


def test_it_refuses_staff_and_sends_strangers_to_log_in(client, plan, staff, aug_15):
    client.force_login(staff)
    assert client.get(reverse("dashboards:overview")).status_code == 403
    assert client.get(reverse("dashboards:report")).status_code == 403
    client.logout()
    response = client.get(reverse("dashboards:overview"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_it_links_the_overview_in_the_navbar_for_readers_only(client, plan, office, staff, aug_15):
    client.force_login(office)
    assertContains(client.get(reverse("tasks:overview")), reverse("dashboards:overview"))
    client.force_login(staff)
    # (本单位报送情况 lives under the same path: the overview's own link is absent.)
    assertNotContains(client.get(reverse("tasks:mine")), f'href="{reverse("dashboards:overview")}"')


@pytest.mark.parametrize(
    ("asked", "today", "shown"),
    [
        ("2020", dt.date(2021, 3, 1), 2020),  # the plan asked for
        ("1999", dt.date(2021, 3, 1), 2021),  # none that year: this year's
        ("", dt.date(2021, 3, 1), 2021),
        ("20x1", dt.date(2021, 3, 1), 2021),
        ("1999", dt.date(2025, 3, 1), 2021),  # neither: the newest
        ("\x00" * 5000, dt.date(2025, 3, 1), 2021),
    ],
)
def test_it_shows_the_plan_asked_for_else_this_years_else_the_newest(rf, db, asked, today, shown):
    for year in (2019, 2020, 2021):
        Plan.objects.create(year=year, title=f"{year}年计划")
    assert views._plan(rf.get("/", {"plan": asked}), today).year == shown


def test_it_shows_an_empty_page_without_plans(client, office):
    client.force_login(office)
    response = client.get(reverse("dashboards:overview"))
    assertContains(response, "还没有任何年度计划")


# Query counts at two sizes


def _plan_of_size(year: int, units: int, indicators: int, author) -> Plan:
    """`indicators` indicators in 3 categories, each on every one of `units`
    new units (the first as lead), created in March of `year`; in May every
    task reports, a third complete and half of those are verified."""
    march = dt.datetime(year, 3, 1, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(march, tick=False):
        plan = Plan.objects.create(year=year, title=str(year))
        made = Unit.objects.bulk_create(Unit(name=f"单位{year}-{n}") for n in range(units))
        for i in range(indicators):
            indicator = Indicator.objects.create(
                plan=plan,
                code=str(i + 1),
                position=i,
                category=f"类别{i % 3}",
                task_text=f"任务{i}",
                deadline_label="6月底",
                due_date=dt.date(year, 6 + i % 6, 28),
            )
            IndicatorUnit.objects.bulk_create(
                IndicatorUnit(
                    indicator=indicator, unit=u, role="lead" if n == 0 else "responsible", position=n
                )
                for n, u in enumerate(made)
            )
        services.task_sync_plan(plan=plan)
    with time_machine.travel(march.replace(month=5), tick=False):
        for n, t in enumerate(Task.objects.filter(indicator__plan=plan).order_by("pk")):
            status = [Task.Status.IN_PROGRESS, Task.Status.COMPLETED, Task.Status.NOT_STARTED][n % 3]
            services.progress_report_create(
                task=t,
                user=author,
                expected_version=0,
                status=status,
                percent=100 if n % 3 == 1 else 40,
                progress="p",
            )
            if n % 6 == 1:
                t.refresh_from_db()
                services.task_review(task=t, user=author, decision="verified", expected_version=t.version)
    return plan


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


# Measured: 6 on a cached overview (session, user, roles, the navbar's units,
# the plan, the plan's version); 17 on the first computed one for the reform
# office (those, then every plan, the categories and units for the filters
# and the work nobody has — these three kept with the plan's structure — the
# grouped figures, the overdue list, the trend and 目标达成's four, kept
# until a target's value is reported); as of a past day two more (when the
# plan was imported, and each task's history row at the day's end, which is
# then kept); the report no more. Before issue 15: 22. As of a month's end,
# once it is copied (MonthEnd), one: which copy (its id then kept).
MAX_QUERIES = 19
# The first look at a month-end, which copies it: whether it is there, then
# in a transaction (a savepoint and its release here, inside the test's) the
# MonthEnd row (get_or_create: a select, a savepoint, the insert and its
# release) and the copy of the states.
MONTH_END_COPY = 8


@pytest.mark.parametrize("as_of", ["", "2019-07-15", "2019-07-31"])
def test_it_runs_the_same_queries_for_12_and_240_tasks(
    client, office, staff, django_assert_max_num_queries, as_of
):
    small = _plan_of_size(2019, 3, 4, staff)
    large = _plan_of_size(2020, 12, 20, staff)
    assert Task.objects.filter(indicator__plan=small).count() == 12
    assert Task.objects.filter(indicator__plan=large).count() == 240
    client.force_login(office)
    counts = {}
    for plan in (small, large):
        # Each plan in its own year (a past plan is shown as of its last day).
        today = dt.date(plan.year, 8, 1)
        with time_machine.travel(dt.datetime(plan.year, 8, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
            params = {"plan": plan.year, "as_of": as_of.replace("2019", str(plan.year))}
            if as_of.endswith("-31"):
                # The first look at a month-end copies its tasks' states, once.
                with django_assert_max_num_queries(MAX_QUERIES + MONTH_END_COPY):
                    counts[plan.year, "first look"] = _queries(
                        client, reverse("dashboards:overview"), {**params, "first": "1"}
                    )
            for visit in ("computed", "cached"):
                with django_assert_max_num_queries(MAX_QUERIES):
                    counts[plan.year, visit] = _queries(client, reverse("dashboards:overview"), params)
            with django_assert_max_num_queries(MAX_QUERIES):
                counts[plan.year, "report"] = _queries(client, reverse("dashboards:report"), params)
            overview = dashboard_overview(
                scope=Scope(
                    plan=plan,
                    as_of=dt.date.fromisoformat(params["as_of"]) if as_of else today,
                    today=today,
                )
            )
            assert overview.totals.total == (12 if plan == small else 240)
            assert overview.totals.verified > 0 and len(overview.overdue) > 0
    for visit in {visit for _year, visit in counts}:
        assert counts[2019, visit] == counts[2020, visit], counts
    assert counts[2019, "cached"] == 5, counts
    assert ProgressReport.objects.count() == 252 and Review.objects.count() == 42


def test_it_lets_the_office_tick_overdue_tasks_to_chase_and_not_leaders(client, plan, office, leader, aug_15):
    overdue = Task.objects.overdue(on=dt.date(2019, 8, 15)).first()
    client.force_login(office)
    page = client.get(reverse("dashboards:overview")).content.decode()
    assert f'name="task" value="{overdue.pk}" form="overdue-bulk"' in page
    assert f'id="overdue-bulk" action="{reverse("reminders:remind_bulk")}"' in page
    # The leaders' page is cached apart: no tick box, no form.
    client.force_login(leader)
    page = client.get(reverse("dashboards:overview")).content.decode()
    assert 'form="overdue-bulk"' not in page and 'id="overdue-bulk"' not in page


@pytest.mark.parametrize(
    ("language", "month", "day", "calendar", "calendar_day"),
    [
        ("zh-hans", r"\d{1,2}月", r"\d{1,2}月\d{1,2}日", "ZH", r"2019年\d{1,2}月\d{1,2}日"),
        ("en", r"[A-Z][a-z]{2}", r"\d{1,2} [A-Z][a-z]{2}", "EN", r"\d{1,2} [A-Z][a-z]{2} 2019"),
    ],
)
def test_it_labels_every_chart_in_the_interface_language(
    client, plan, office, aug_15, language, month, day, calendar, calendar_day
):
    client.cookies["django_language"] = language
    client.force_login(office)
    charts = client.get(reverse("dashboards:overview")).context["charts"]
    assert charts["months"]["names"] and all(re.fullmatch(month, name) for name in charts["months"]["names"])
    assert charts["trend"]["days"] and all(re.fullmatch(day, label) for label in charts["trend"]["days"])
    assert charts["calendar"]["names"] == calendar  # ECharts' month and weekday names
    assert all(re.fullmatch(calendar_day, row[4]) for row in charts["calendar"]["data"])
