"""通报模板 in a browser: the office goes from the overview to the
templates, breaks one and reads why, previews and saves a new wording, and
downloads the 通报 with it; on a 390-px phone the page does not scroll
sideways. With UPDATE_SCREENSHOTS=1 it refreshes
docs/screenshots/bulletin-templates.png."""

import io

import pytest
import time_machine
from django.urls import reverse
from docx import Document

from tasks.tests.plans import AUG_15, build_small_plan
from tasks.tests.test_browser import PHONE, Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

pytestmark = [pytest.mark.browser]


def test_it_lets_the_office_reword_the_bulletin(
    browser,  # noqa: F811
    shots,  # noqa: F811
    live_server,
    transactional_db,
    units,
    staff,
    office,
):
    build_small_plan(staff=staff, office=office)
    with time_machine.travel(AUG_15, tick=True):
        visitor = Visitor(browser, live_server, shots)
        page = visitor.page
        visitor.log_in("office", "pw-office")
        visitor.goto(reverse("dashboards:overview") + "?plan=2019")
        page.get_by_role("link", name="通报模板").click()
        page.wait_for_load_state()
        assert (
            "截至2019年8月15日，萧山区2019年度改革工作指标（测试）共有4项指标"
            in page.locator("#preview").inner_text()
        )

        overall = page.get_by_label("一、总体情况")
        overall.fill("共{{ totl }}项任务。")
        page.get_by_role("button", name="预览").click()
        page.wait_for_load_state()
        assert "没有这个变量：totl" in page.locator("[data-error=overall]").inner_text()

        page.get_by_label("一、总体情况").fill(
            "截至{{ as_of }}，共{{ total }}项任务，已逾期{{ overdue }}项。"
        )
        page.get_by_role("button", name="预览").click()
        page.wait_for_load_state()
        assert "截至2019年8月15日，共7项任务，已逾期2项。" in page.locator("#preview").inner_text()
        page.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        assert "已保存通报模板（修改了 1 部分）。" in page.content()
        visitor.shot("bulletin-templates", full_page=False)

        with page.expect_download() as download:
            page.locator("main").get_by_role("link", name="下载通报（Word）").click()
        document = Document(io.BytesIO(download.value.path().read_bytes()))
        assert "截至2019年8月15日，共7项任务，已逾期2项。" in [p.text for p in document.paragraphs]
        visitor.close()

        phone = Visitor(browser, live_server, shots, viewport=PHONE)
        phone.log_in("office", "pw-office")
        phone.goto(reverse("dashboards:bulletin_templates") + "?plan=2019")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        phone.close()
