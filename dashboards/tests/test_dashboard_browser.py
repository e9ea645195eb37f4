"""The overview in headless Chromium: the reform office opens it on the 2019
annex with three months of progress behind it, the charts are drawn with no
console error, a past day can be chosen, and a row of the overdue list leads
to its task. With UPDATE_SCREENSHOTS=1 it refreshes docs/screenshots/dashboard.png."""

import os

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboards.asof import Scope
from dashboards.figures import dashboard_overview
from tasks.tests.plans import AUG_15
from tasks.tests.test_browser import Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]

CHARTS = ["categories", "trend", "months", "calendar", "ranking", "units"]


def test_it_draws_the_overview_and_leads_from_an_overdue_row_to_its_task(
    browser,  # noqa: F811
    shots,  # noqa: F811
    live_server,
    annex_2019_in_august,
    staff,
    office,
):
    plan = annex_2019_in_august
    office.first_name = "跑改办 王老师"
    office.save()
    expected = dashboard_overview(scope=Scope(plan=plan, as_of=AUG_15.date(), today=AUG_15.date()))
    longest_overdue = expected.overdue[0]

    with time_machine.travel(AUG_15, tick=True):
        pgb = Visitor(browser, live_server, shots)
        problems = []
        pgb.page.on(
            "console", lambda message: problems.append(message.text) if message.type == "error" else None
        )
        pgb.page.on("pageerror", lambda error: problems.append(str(error)))
        pgb.log_in("office", "pw-office")
        pgb.goto(reverse("dashboards:overview"))
        page = pgb.page

        # Every chart is drawn on a canvas; the totals are the selector's.
        page.wait_for_function(
            "names => names.every(n => document.querySelector(`[data-chart='${n}'] canvas`))", arg=CHARTS
        )
        for name in CHARTS:
            box = page.locator(f"[data-chart='{name}'] canvas").first.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, name
        assert page.locator("[data-total='total']").inner_text() == str(expected.totals.total)
        assert page.locator("[data-total='overdue']").inner_text() == str(expected.totals.overdue)
        assert page.get_by_text("截至2019年8月15日").first.is_visible()
        assert expected.totals.overdue > 0 and expected.totals.verified > 0
        pgb.shot("dashboard")

        # A chart's tooltip (ECharts writes it with style attributes).
        page.locator("[data-chart='categories'] canvas").first.hover()
        page.wait_for_function(
            "document.querySelector(\"[data-chart='categories']\").innerText.trim() !== ''"
        )

        # The numbers behind a chart, one click away.
        ranking = page.locator("section[aria-labelledby='ranking-title']")
        ranking.get_by_role("tab", name="数据表").click()
        assert ranking.locator("#table-ranking").is_visible()
        assert ranking.locator("#table-ranking tbody tr").count() == len(expected.units)

        # Last month, from the history.
        page.get_by_role("link", name="对比上月底").click()
        page.wait_for_load_state()
        assert page.get_by_text("以下是2019年7月31日当天结束时的情况").is_visible()
        page.wait_for_function("document.querySelector(\"[data-chart='trend'] canvas\")")
        page.get_by_role("link", name="回到今天").click()
        page.wait_for_load_state()

        # The longest overdue task, one click from the list.
        first_row = page.locator("#table-overdue tbody tr").first
        # (the office's rows start with a tick box for 催办所选; the days come next)
        assert first_row.locator("td.text-danger").inner_text() == str(longest_overdue.days_late)
        first_row.get_by_role("link").click()
        page.wait_for_load_state()
        assert page.url == live_server.url + reverse("tasks:detail", args=[longest_overdue.id])
        assert page.get_by_text(longest_overdue.unit_name).first.is_visible()

        # A click on a category's bar narrows the whole page to that category.
        pgb.goto(reverse("dashboards:overview"))
        page.locator("[data-chart='categories'] canvas").first.wait_for()
        first = expected.categories[0]
        x, y = page.evaluate(
            """total => {
                const element = document.querySelector("[data-chart='categories']");
                element.scrollIntoView();
                const [x, y] = echarts.getInstanceByDom(element).convertToPixel({gridIndex: 0}, [total / 2, 0]);
                const box = element.getBoundingClientRect();
                return [box.left + x, box.top + y];
            }""",
            first.figures.total,
        )
        # The bars grow in (ECharts' animation), slower on a loaded machine:
        # click again until the click lands on a drawn bar.
        for attempt in range(10):
            page.mouse.click(x, y)
            try:
                page.wait_for_url("**category=**", timeout=2000)
                break
            except PlaywrightTimeout:
                if attempt == 9:
                    raise
        assert page.get_by_label("指标名称").input_value() == first.name
        assert page.locator("[data-total='total']").inner_text() == str(first.figures.total)
        assert problems == []
        pgb.close()  # and no Content-Security-Policy violation on any page
