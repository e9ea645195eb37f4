"""The office's month in headless Chromium, on the 2019 annex with three
months of progress behind it: 报送完整率 for July (its chart drawn), 全部任务
narrowed to the tasks waiting for review and two of them verified at once
(核实所选), and a unit's staff reading their own completeness over the year.
No console error, no Content-Security-Policy violation. With
UPDATE_SCREENSHOTS=1 it refreshes docs/screenshots/completeness.png,
office-bulk.png and unit-completeness.png."""

import os

import pytest
import time_machine

from tasks.models import Task
from tasks.tests.plans import AUG_15
from tasks.tests.test_browser import Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]


def test_it_shows_completeness_and_verifies_ticked_tasks_at_once(
    browser,  # noqa: F811
    shots,  # noqa: F811
    live_server,
    annex_2019_in_august,
    staff,
    office,
):
    plan = annex_2019_in_august
    waiting = Task.objects.filter(indicator__plan=plan, status=Task.Status.COMPLETED).count()
    assert waiting >= 2

    with time_machine.travel(AUG_15, tick=True):
        pgb = Visitor(browser, live_server, shots)
        problems = []
        pgb.page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        pgb.page.on("pageerror", lambda error: problems.append(str(error)))
        pgb.log_in("office", "pw-office")
        page = pgb.page

        # 报送完整率 for July: the chart is drawn, the table lists the same units.
        page.get_by_role("link", name="报送完整率").click()
        # Loaded, not only committed: choosing the month submits through
        # portal.js, the last script of the page.
        page.wait_for_url("**/completeness/", wait_until="load")
        page.get_by_label("月份").select_option("7")
        page.wait_for_url("**month=7**")
        page.locator("[data-chart='completeness'] canvas").first.wait_for()
        box = page.locator("[data-chart='completeness'] canvas").first.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
        assert page.get_by_text("7月：每个单位在该月月底").is_visible()
        pgb.shot("completeness")
        section = page.locator("section[aria-labelledby='completeness-title']")
        section.get_by_role("tab", name="数据表").click()
        assert section.locator("#table-completeness tbody tr").count() >= 10

        # 全部任务 → 待核实: tick two rows and verify them at once.
        page.get_by_role("link", name="全部任务", exact=True).click()
        page.get_by_role("link", name="待核实").click()
        page.wait_for_url("**show=review**")
        boxes = page.locator("tbody input[name='task']")
        assert boxes.count() == waiting
        boxes.nth(0).check()
        boxes.nth(1).check()
        pgb.shot("office-bulk", full_page=False)
        page.get_by_role("button", name="核实所选").click()
        page.wait_for_load_state()
        assert page.get_by_text("已核实办结 2 项任务。").is_visible()
        assert page.locator("tbody input[name='task']").count() == waiting - 2
        assert Task.objects.filter(indicator__plan=plan, status=Task.Status.COMPLETED).count() == waiting - 2

        # The header box ticks every row of the page (static/js/portal.js).
        page.locator("thead input[data-select-all]").check()
        assert page.locator("tbody input[name='task']:checked").count() == waiting - 2
        assert problems == []
        pgb.close()

        # A unit's staff: their own completeness over the year.
        sgj = Visitor(browser, live_server, shots)
        sgj.log_in("sgj", "pw-sgj")
        sgj.page.get_by_role("link", name="本单位报送情况").click()
        sgj.page.locator("[data-chart='unit-completeness'] canvas").first.wait_for()
        assert sgj.page.get_by_role("heading", name="本单位报送情况").is_visible()
        sgj.shot("unit-completeness")
        sgj.close()
