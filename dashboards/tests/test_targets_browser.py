"""Targets in headless Chromium, start to finish: the reform office confirms
a proposal on the plan's 目标核对 page, 区数管局's staff report a value with
their progress report, and the task page (met / not met, the chart) and the
overview (目标达成, furthest from goal) show it against the target."""

import os

import pytest
import time_machine
from django.urls import reverse

from indicators.models import Target
from tasks.models import TargetValue
from tasks.tests.helpers import JULY_15, task_of
from tasks.tests.test_browser import Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]


def test_it_carries_a_target_from_confirmation_to_the_overview(
    browser,  # noqa: F811
    shots,  # noqa: F811
    live_server,
    transactional_db,
    plan_2019,
    staff,
    office,
):
    target = Target.objects.get(indicator__plan=plan_2019, indicator__code="8", name="实时在线率")
    task = task_of("区数管局", "8")
    with time_machine.travel(JULY_15, tick=True):
        # 1. The office opens 目标核对 from the navigation and confirms 实时在线率 ≥ 90 %.
        office_visit = Visitor(browser, live_server, shots)
        office_visit.log_in("office", "pw-office")
        office_visit.page.get_by_role("link", name="目标核对").first.click()
        assert office_visit.page.url.endswith(reverse("plans:targets", args=[2019]))
        row = office_visit.page.locator(f"#target-{target.pk}")
        assert row.get_by_text("“实时在线率90%”").is_visible()
        row.get_by_role("button", name="确认").click()
        office_visit.page.wait_for_load_state()
        assert office_visit.page.get_by_text("已确认：各单位可报送此目标的数值。").is_visible()
        assert office_visit.page.locator(f"#target-{target.pk}").get_attribute("data-status") == "confirmed"
        office_visit.shot("targets")

        # 2. 区数管局's staff report progress with 实时在线率 at 85.5 %.
        unit = Visitor(browser, live_server, shots)
        unit.log_in("sgj", "pw-sgj")
        unit.goto(reverse("tasks:detail", args=[task.pk]))
        page = unit.page
        page.get_by_label("推进中", exact=True).check()
        page.get_by_label("完成进度（%）").fill("60")
        page.get_by_label("进展情况").fill("数据共享平台已接入 40 个部门。")
        values = page.locator("#target-values")
        values.get_by_label("实时在线率（≥ 90 %） · %").fill("85.5")
        values.get_by_label("数据来源").fill("省数据共享平台 7 月统计")
        page.get_by_role("button", name="提交报送").click()
        page.wait_for_load_state()
        assert page.get_by_text("进展已报送。").is_visible()
        assert TargetValue.objects.get().value == 85.5

        # 3. The task page shows it against the target, not met, with its chart drawn.
        panel = page.locator(f"#targets #target-{target.pk}")
        assert panel.get_attribute("data-met") == "no"
        assert panel.get_by_text("85.5 %").is_visible() and panel.get_by_text("未达成").is_visible()
        page.wait_for_function("document.querySelector('[data-target-chart] canvas') !== null")
        unit.shot("task-targets")
        unit.close()

        # 4. The overview shows it under 目标达成, furthest from its goal.
        office_visit.goto(reverse("dashboards:overview") + "?plan=2019")
        section = office_visit.page.locator("#target-attainment")
        assert section.get_by_text("已达成 0 / 已确认 1（已报送数值 1）").is_visible()
        section.locator("#targets-furthest").get_by_role("link", name="8. 实时在线率").click()
        office_visit.page.wait_for_load_state()
        assert office_visit.page.url.endswith(reverse("tasks:detail", args=[task.pk]) + "#targets")
        office_visit.close()
