"""A plan imported after its year began (issue 10, item 5): from 1 January
its tasks count as they were imported, and the page says so; a past plan is
shown as of its year's last day, its trend never going past it."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from dashboards.asof import Scope
from dashboards.figures import dashboard_overview
from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Plan
from indicators.services import plan_close
from tasks import services
from tasks.tests.plans import SGJ, SHANGHAI

MAY_6 = dt.datetime(2019, 5, 6, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def late_plan(units):
    """Imported on 6 May 2019, with an item due at the end of February."""
    with time_machine.travel(MAY_6, tick=False):
        plan = Plan.objects.create(year=2019, title="萧山区2019年度改革工作指标（测试）")
        indicator = Indicator.objects.create(
            plan=plan,
            code="1",
            position=1,
            category="甲类",
            task_text="甲类任务1",
            due_date=dt.date(2019, 2, 28),
        )
        IndicatorUnit.objects.create(indicator=indicator, unit=Unit.objects.get(name=SGJ), role="lead")
        services.task_sync_plan(plan=plan)
    return plan


def test_it_counts_a_task_imported_late_from_the_plans_start(late_plan):
    today = dt.date(2019, 8, 15)
    march = dashboard_overview(scope=Scope(plan=late_plan, as_of=dt.date(2019, 3, 31), today=today))
    before_the_year = dashboard_overview(
        scope=Scope(plan=late_plan, as_of=dt.date(2018, 12, 31), today=today)
    )

    assert (march.totals.total, march.totals.not_started, march.totals.overdue) == (1, 1, 1)
    assert [(p.day.month, p.due) for p in march.trend] == [(1, 0), (2, 1), (3, 1)]
    assert before_the_year.totals.total == 0, "nothing before the plan's year"


def test_it_says_on_the_page_when_the_plan_was_imported(client, office, late_plan):
    client.force_login(office)
    with time_machine.travel(dt.datetime(2019, 8, 15, 9, 0, tzinfo=SHANGHAI), tick=False):
        march = client.get(reverse("dashboards:overview"), {"plan": 2019, "as_of": "2019-03-31"})
        august = client.get(reverse("dashboards:overview"), {"plan": 2019, "as_of": "2019-08-01"})

    assertContains(march, "本计划的任务于2019年5月6日导入系统，此前没有记录")
    assertNotContains(august, "导入系统")


def test_it_shows_a_closed_past_plan_as_of_its_last_day(client, office, late_plan):
    client.force_login(office)
    with time_machine.travel(dt.datetime(2020, 8, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        running = client.get(reverse("dashboards:overview"), {"plan": 2019})
        plan_close(plan=late_plan, user=office)
        default = client.get(reverse("dashboards:overview"), {"plan": 2019})
        later = client.get(reverse("dashboards:overview"), {"plan": 2019, "as_of": "2020-03-01"})

    for page in (default, later):
        assertContains(page, "截至2019年12月31日")
        charts = json.loads(
            page.content.decode()
            .split('id="dashboard-data" type="application/json">')[1]
            .split("</script>")[0]
        )
        assert charts["trend"]["days"][-1] == "12月31日"
        assert len(charts["trend"]["days"]) == 12
    # Still running (执行中) in the next year, it is shown as it is today:
    # its unfinished work is late still; its trend ends with its year.
    assertContains(running, "截至2020年8月1日")
    charts = json.loads(
        running.content.decode()
        .split('id="dashboard-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert charts["trend"]["days"][-1] == "12月31日"
