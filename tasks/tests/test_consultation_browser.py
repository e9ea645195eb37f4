"""The consultation (征求意见) in headless Chromium: the office sends the draft
out for comments; 区数管局 answers two of its items; after the deadline the
sweep records the units that did not answer as 视作无意见; the office adopts
the plan and the unit finds its task on its home page.

With UPDATE_SCREENSHOTS=1 the screenshots go to docs/screenshots/ (docs/year.md)."""

import datetime as dt
import os

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from conftest import ANNEX_XLSX
from indicators.annex import parse_grid, read_grid
from indicators.models import ConsultationAnswer, Plan
from indicators.selectors import plan_unit_ids
from indicators.services import annex_import
from tasks.tests.helpers import SHANGHAI

from .test_browser import Visitor, browser, shots  # noqa: F401 - fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2019, 4, 28, 9, 0, tzinfo=SHANGHAI), tick=True) as traveller:
        yield traveller


def test_it_runs_a_consultation_from_the_draft_to_the_units_task(
    clock,
    browser,  # noqa: F811
    live_server,
    transactional_db,
    units,
    staff,
    office,
    shots,  # noqa: F811
):
    assert annex_import(annex=parse_grid(read_grid(ANNEX_XLSX.read_bytes())), draft=True).ok
    staff.first_name, office.first_name = "区数管局 张联络", "跑改办 王老师"
    staff.save()
    office.save()

    # 1. The office sends the draft out for comments, due 30 April.
    desk = Visitor(browser, live_server, shots)
    desk.log_in("office", "pw-office")
    desk.goto(reverse("plans:detail", args=[2019]))
    assert desk.page.locator("[data-plan-status=draft]").first.is_visible()
    desk.page.get_by_label("反馈截止日期").fill("2019-04-30")
    desk.page.get_by_label("征求意见通知").fill(
        "各有关单位：现就《萧山区2019年度“最多跑一次”改革工作要点》征求意见，请于4月30日前反馈。逾期不反馈视作无意见。"
    )
    desk.shot("plan-draft")
    desk.page.get_by_role("button", name="发出征求意见").click()
    desk.page.wait_for_load_state()
    assert Plan.objects.get(year=2019).status == Plan.Status.CONSULTATION

    # 2. 区数管局 finds it on its home page and answers two of its items.
    sgj = Visitor(browser, live_server, shots)
    sgj.log_in("sgj", "pw-sgj")
    notice = sgj.page.locator(".consultation-open")
    assert notice.is_visible() and "4月30日" in notice.inner_text()
    notice.get_by_role("link", name="去反馈").click()
    sgj.page.wait_for_load_state()
    eight = sgj.page.locator("section[id^=item-]").filter(has_text="积极推进政务服务数据归集共享")
    eight.get_by_label("修改意见", exact=True).check()
    eight.locator("textarea[name=text]").fill("建议将时间进度调整为11月底，数据归集需各部门配合。")
    eight.locator("input[name=proposed_due_date]").fill("2019-11-30")
    eight.get_by_role("button", name="提交反馈").click()
    sgj.page.wait_for_load_state()
    first_item = sgj.page.locator("section[id^=item-]").first
    first_item.get_by_label("无意见", exact=True).check()
    first_item.get_by_role("button", name="提交反馈").click()
    sgj.page.wait_for_load_state()
    assert sgj.page.get_by_text("反馈已保存").is_visible()
    sgj.shot("consultation-unit")
    assert ConsultationAnswer.objects.filter(unit__name="区数管局").count() == 2

    # 3. After the deadline the sweep records the silent units.
    clock.move_to(dt.datetime(2019, 5, 6, 9, 0, tzinfo=SHANGHAI))
    call_command("send_reminders", "--as-of", "2019-05-06")
    silent = len(plan_unit_ids(Plan.objects.get(year=2019))) - 1
    desk.log_in("office", "pw-office")  # a week later: the session has expired
    desk.goto(reverse("plans:feedback", args=[2019]) + "?kind=deemed")
    rows = desk.page.locator("#feedback tbody tr")
    assert rows.count() == silent > 30
    assert "逾期未反馈，视作无意见" in rows.first.inner_text()
    assert not desk.page.locator("#feedback tbody tr").filter(has_text="区数管局").count()
    desk.goto(reverse("plans:feedback", args=[2019]) + "?kind=comment")
    comment = desk.page.locator("#feedback tbody tr").filter(has_text="区数管局")
    comment.locator("select[name=decision]").select_option("partly")
    comment.locator("textarea[name=reply]").fill("采纳延期建议，时间进度调整为10月底。")
    comment.get_by_role("button", name="保存处理").click()
    desk.page.wait_for_load_state()
    desk.shot("consultation-feedback")

    # 4. The office adopts the plan; the unit finds its task at home.
    desk.goto(reverse("plans:detail", args=[2019]))
    desk.page.get_by_role("button", name="通过执行").click()
    desk.page.wait_for_load_state()
    assert desk.page.locator("[data-plan-status=active]").first.is_visible()
    sgj.log_in("sgj", "pw-sgj")
    assert sgj.page.url.endswith(reverse("tasks:mine"))
    assert sgj.page.get_by_role("link", name="积极推进政务服务数据归集共享").is_visible()
    sgj.goto(reverse("plans:consultation", args=[2019]))
    assert sgj.page.get_by_text("采纳延期建议").is_visible()
    desk.close()
    sgj.close()
