"""The portal as a new user meets it, in headless Chromium (Playwright).

One scenario, start to finish: 区数管局's staff files a report with a PDF on
indicator 8; another unit's staff cannot see it; the reform office returns
it; the staff member reads the reason and reports again; the office verifies.

With UPDATE_SCREENSHOTS=1 the test also refreshes docs/screenshots/ for the
portal tour (docs/portal.md); otherwise its screenshots go to a temporary
directory, so that a test run leaves the work tree as it was."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule

from tasks.models import Task

from . import files
from .helpers import JULY_15, SHANGHAI, task_of
from .plans import build_next_year, build_small_plan

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# test makes between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--lang=zh-CN",  # the browser's own words (the file chooser) in Chinese too
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def clock():
    """Time runs (tick=True: the browser and the server need a moving clock)
    from the day the plan is imported, 2019-05-06; the test moves it on."""
    with time_machine.travel(dt.datetime(2019, 5, 6, 9, 0, tzinfo=SHANGHAI), tick=True) as traveller:
        yield traveller


@pytest.fixture
def shots(tmp_path):
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        directory = Path(settings.BASE_DIR) / "docs" / "screenshots"
    else:
        directory = tmp_path / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Visitor:
    """One person in their own browser context (own cookies)."""

    def __init__(self, browser, live_server, shots, viewport=DESKTOP):
        self.base = live_server.url
        self.shots = shots
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(10_000)
        # Chromium reports each Content-Security-Policy violation (an inline
        # script or handler, a style, an image from elsewhere) as a console error.
        self.csp_violations = []
        self.context.on("console", self._console)
        self.page = self.context.new_page()

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(f"{message.location.get('url')}: {message.text}")

    def goto(self, path):
        return self.page.goto(self.base + path)

    def log_in(self, username, password):
        self.goto(reverse("login"))
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()

    def shot(self, name, *, full_page=True):
        self.page.screenshot(path=self.shots / f"{name}.png", full_page=full_page)

    def close(self):
        """Ends the visit, which must not have broken the Content-Security-Policy on any page."""
        self.context.close()
        assert self.csp_violations == []


def file_report(page, *, status, percent, progress, problems="", next_steps="", attach=None):
    page.get_by_label(status, exact=True).check()
    page.get_by_label("完成进度（%）").fill(str(percent))
    page.get_by_label("进展情况").fill(progress)
    page.get_by_label("存在问题").fill(problems)
    page.get_by_label("下步计划").fill(next_steps)
    if attach:
        page.get_by_label("佐证材料").set_input_files(attach)
    page.get_by_role("button", name="提交报送").click()
    page.wait_for_load_state()


def test_it_carries_a_report_from_the_unit_through_review(
    clock, browser, live_server, transactional_db, plan_2019, staff, other_staff, office, leader, shots
):
    task = task_of("区数管局", "8")
    task_url = reverse("tasks:detail", args=[task.pk])
    staff.first_name, office.first_name, leader.first_name = (
        "区数管局 张联络",
        "跑改办 王老师",
        "区领导 李主任",
    )
    for user in (staff, office, leader):
        user.save()

    clock.move_to(JULY_15)
    anonymous = Visitor(browser, live_server, shots)
    anonymous.goto(reverse("home"))
    assert anonymous.page.url.endswith(f"{reverse('login')}?next=/")
    anonymous.shot("login", full_page=False)
    anonymous.close()

    # 1. Staff of 区数管局 log in and land on their unit's tasks.
    sgj = Visitor(browser, live_server, shots)
    sgj.log_in("sgj", "pw-sgj")
    assert sgj.page.url == live_server.url + reverse("tasks:mine")
    assert sgj.page.get_by_role("heading", name="本单位任务").is_visible()
    sgj.shot("staff-home")

    # 2. They open indicator 8 and file a completed report with a PDF.
    sgj.page.get_by_role("link", name="积极推进政务服务数据归集共享").click()
    assert sgj.page.url == live_server.url + task_url
    assert sgj.page.get_by_text("还有 169 天").is_visible()
    file_report(
        sgj.page,
        status="已完成",
        percent=100,
        progress="全区政务服务事项颗粒化梳理完成，电子归档系统已上线。",
        problems="个别部门历史档案数字化进度偏慢。",
        next_steps="8月底前完成历史档案补录。",
        attach={"name": "电子归档实施方案.pdf", "mimeType": "application/pdf", "buffer": files.PDF},
    )
    assert sgj.page.get_by_text("进展已报送。").is_visible()
    history = sgj.page.locator("#history")
    assert history.get_by_text("全区政务服务事项颗粒化梳理完成").is_visible()
    evidence_link = history.get_by_role("link", name="电子归档实施方案.pdf")
    assert evidence_link.is_visible()
    evidence_url = evidence_link.get_attribute("href")
    download = sgj.context.request.get(live_server.url + evidence_url)
    assert (download.status, download.body()) == (200, files.PDF)
    sgj.shot("staff-task")

    # 3. Staff of another unit get 404 on that task and on its file.
    bszx = Visitor(browser, live_server, shots)
    bszx.log_in("bszx", "pw-bszx")
    assert bszx.goto(task_url).status == 404
    assert bszx.context.request.get(live_server.url + evidence_url).status == 404
    bszx.close()

    # 4. The reform office lands on the dashboard, goes to the list of all
    # tasks, finds the task waiting for review and returns it with a reason.
    pgb = Visitor(browser, live_server, shots)
    pgb.log_in("office", "pw-office")
    assert pgb.page.url == live_server.url + reverse("dashboards:overview")
    pgb.page.get_by_role("link", name="全部任务", exact=True).click()
    pgb.page.get_by_role("link", name="待核实").click()
    assert pgb.page.locator("tbody tr").count() == 1
    pgb.shot("office-overview")
    pgb.page.get_by_role("link", name="积极推进政务服务数据归集共享").click()
    reason = "请补充电子归档率的系统截图，并说明历史档案补录计划。"
    pgb.page.get_by_label("审核意见").fill(reason)
    pgb.shot("office-review")
    pgb.page.get_by_role("button", name="退回").click()
    assert pgb.page.get_by_text("已退回，单位将看到退回理由。").is_visible()

    # 5. The staff member sees the reason on the home page and the task
    # page, and reports again.
    sgj.goto(reverse("tasks:mine"))
    assert sgj.page.get_by_role("alert").get_by_text(reason).is_visible()
    sgj.shot("staff-returned")
    sgj.goto(task_url)
    assert sgj.page.locator("#return-reason").get_by_text(reason).is_visible()
    file_report(
        sgj.page,
        status="已完成",
        percent=100,
        progress="已补充电子归档率截图（98.6%），历史档案补录计划见附件。",
        attach={"name": "归档率截图.png", "mimeType": "image/png", "buffer": files.PNG},
    )
    assert sgj.page.get_by_text("进展已报送。").is_visible()

    # 6. The office verifies it.
    pgb.goto(task_url)
    pgb.page.get_by_role("button", name="核实办结").click()
    assert pgb.page.get_by_text("已核实办结。", exact=True).is_visible()
    assert Task.objects.get(pk=task.pk).status == Task.Status.VERIFIED
    pgb.shot("office-verified")
    pgb.close()

    # 7. A leader reads everything and is offered no form but 写批示.
    ld = Visitor(browser, live_server, shots)
    ld.log_in("leader", "pw-leader")
    assert ld.page.url == live_server.url + reverse("dashboards:overview")
    ld.goto(reverse("tasks:overview"))
    ld.shot("leader-overview", full_page=False)
    ld.goto(task_url)
    assert ld.page.locator("form[action^='/tasks/']:not([action='/tasks/instructions/new/'])").count() == 0
    assert ld.page.locator("#instruction-create").count() == 1
    ld.close()

    # The staff member's view of the closed task, on a phone (the phone
    # screenshots come from tests/test_phone_browser.py).
    phone = Visitor(browser, live_server, shots, viewport=PHONE)
    phone.context.add_cookies(sgj.context.cookies())
    phone.goto(task_url)
    assert phone.page.get_by_text("该任务已核实办结。").is_visible()
    phone.close()
    sgj.close()

    assert dt.date(2019, 7, 15) <= Task.objects.get(pk=task.pk).updated_at.date()


def test_it_keeps_the_admin_working_under_the_content_security_policy(
    browser, live_server, transactional_db, units, staff, office, admin_user, shots
):
    build_small_plan(staff=staff, office=office)
    CrontabSchedule.objects.get_or_create(minute="30", hour="8", timezone="Asia/Shanghai")
    task = Task.objects.order_by("pk").first()

    admin = Visitor(browser, live_server, shots)
    admin.log_in("admin", "pw-admin")
    assert admin.page.url == live_server.url + reverse("admin:index")
    admin.goto(reverse("admin:tasks_task_changelist"))
    assert admin.page.locator("#result_list tbody tr").count() == Task.objects.count()
    admin.goto(reverse("admin:tasks_task_change", args=[task.pk]))
    assert admin.page.locator("#task_form").is_visible()
    admin.goto(reverse("admin:indicators_indicator_import"))
    assert admin.page.locator("input[type=file]").count() == 1

    # django-celery-beat's form explains a crontab in words, by a script it
    # ships inline and templates/admin/djcelery/ moves into static/.
    admin.goto(reverse("admin:django_celery_beat_periodictask_add"))
    admin.page.locator("#id_crontab").select_option(index=1)
    assert admin.page.locator(".field-crontab .help").get_by_text("Translation: At 08:30").is_visible()
    admin.close()


def test_it_switches_the_plan_year_on_the_task_list(
    browser, live_server, transactional_db, units, staff, office, shots
):
    build_small_plan(staff=staff, office=office)
    build_next_year()

    sgj = Visitor(browser, live_server, shots)
    sgj.log_in("sgj", "pw-sgj")
    assert sgj.page.get_by_text("萧山区2020年度改革工作指标（测试）").is_visible()
    # Choosing a year reloads the list (static/js/portal.js, no inline handler).
    sgj.page.get_by_label("年度").select_option("2019")
    sgj.page.wait_for_url("**plan=2019**")
    assert sgj.page.get_by_text("萧山区2019年度改革工作指标（测试）").is_visible()
    sgj.close()


def test_it_shows_the_lead_a_partners_report_filed_a_minute_earlier(
    clock, browser, live_server, transactional_db, plan_2019, staff, other_staff, shots
):
    """牵头汇总: 区办事服务中心 reports its part of indicator 8; a minute later
    the lead unit 区数管局 reads it on its own task page, quotes it, attaches
    its file and files the consolidated report as 已完成 (100 % by itself)."""
    lead_url = reverse("tasks:detail", args=[task_of("区数管局", "8").pk])
    partner_task = task_of("区办事服务中心", "8")
    clock.move_to(JULY_15)

    bszx = Visitor(browser, live_server, shots)
    bszx.log_in("bszx", "pw-bszx")
    bszx.goto(reverse("tasks:detail", args=[partner_task.pk]))
    progress = "本中心窗口数据已全部接入共享平台。"
    file_report(
        bszx.page,
        status="推进中",
        percent=80,
        progress=progress,
        attach={"name": "接入清单.pdf", "mimeType": "application/pdf", "buffer": files.PDF},
    )
    assert bszx.page.get_by_text("进展已报送。").is_visible()
    bszx.close()

    clock.shift(dt.timedelta(minutes=1))
    sgj = Visitor(browser, live_server, shots)
    sgj.log_in("sgj", "pw-sgj")
    sgj.goto(lead_url)
    part = sgj.page.locator(f"#unit-report-{partner_task.pk}")
    assert part.get_by_text(progress, exact=True).is_visible()
    assert part.get_by_text("80%").is_visible()
    assert sgj.page.locator("#unreported").is_visible()  # the other departments have not reported
    assert "区办事服务中心" not in sgj.page.locator("#unreported").inner_text()
    file_url = part.get_by_role("link", name="接入清单.pdf").get_attribute("href")
    assert sgj.context.request.get(live_server.url + file_url).body() == files.PDF

    part.get_by_role("button", name="引用").click()
    assert sgj.page.get_by_label("进展情况").input_value() == f"【区办事服务中心】{progress}"
    sgj.page.get_by_label("已完成", exact=True).check()
    assert sgj.page.get_by_label("完成进度（%）").input_value() == "100"
    sgj.page.get_by_label("区办事服务中心 · 接入清单.pdf").check()
    sgj.shot("lead-consolidation")
    sgj.page.get_by_role("button", name="提交报送").click()
    sgj.page.wait_for_load_state()
    assert sgj.page.get_by_text("进展已报送。").is_visible()
    history = sgj.page.locator("#history")
    assert history.get_by_role("link", name="接入清单.pdf").is_visible()
    assert Task.objects.get(pk=task_of("区数管局", "8").pk).status == Task.Status.COMPLETED
    sgj.close()


def test_it_extends_a_task_on_the_units_request_and_counts_it_apart(
    clock, browser, live_server, transactional_db, plan_2019, staff, office, shots
):
    """延期申请: 区数管局 asks for indicator 8 (due 31 December) to be extended
    to 31 January; the office approves 15 January instead; the unit's task
    shows the new date beside the original; done and verified on 10 January,
    the overview counts it 延期后按期, not 按期."""
    task = task_of("区数管局", "8")
    task_url = reverse("tasks:detail", args=[task.pk])
    clock.move_to(dt.datetime(2019, 12, 20, 9, 0, tzinfo=SHANGHAI))

    sgj = Visitor(browser, live_server, shots)
    sgj.log_in("sgj", "pw-sgj")
    sgj.goto(task_url)
    form = sgj.page.locator("#extension-request")
    form.get_by_label("申请延至").fill("2020-01-31")
    form.get_by_label("延期理由").fill("省级接口年底才开放，需顺延一个月完成联调。")
    form.get_by_role("button", name="申请延期").click()
    sgj.page.wait_for_load_state()
    assert sgj.page.get_by_text("延期申请已提交，等待跑改办审批。").is_visible()

    pgb = Visitor(browser, live_server, shots)
    pgb.log_in("office", "pw-office")
    pgb.page.get_by_role("link", name="延期申请").click()
    pgb.page.get_by_role("link", name="8. 积极推进政务服务数据归集共享").click()
    decision = pgb.page.locator("#extension-decision")
    decision.get_by_label("批准延至").fill("2020-01-15")
    decision.get_by_label("审批意见").fill("同意延至1月15日。")
    pgb.shot("office-extension")
    decision.get_by_role("button", name="批准延期").click()
    pgb.page.wait_for_load_state()
    assert pgb.page.get_by_text("已批准延期，截止日期改为2020年1月15日。").is_visible()

    sgj.goto(task_url)
    due = sgj.page.locator("#due-date")
    assert "2020年1月15日" in due.inner_text() and "原定2019年12月31日" in due.inner_text()
    assert sgj.page.locator("#extended").get_by_text("已批准延期至2020年1月15日。").is_visible()
    sgj.shot("staff-extension")

    clock.move_to(dt.datetime(2020, 1, 10, 9, 0, tzinfo=SHANGHAI))
    sgj.log_in("sgj", "pw-sgj")  # three weeks later: the session ended
    sgj.goto(task_url)
    file_report(sgj.page, status="已完成", percent=100, progress="联调完成，系统上线。")
    assert sgj.page.get_by_text("进展已报送。").is_visible()
    sgj.close()
    pgb.log_in("office", "pw-office")
    pgb.goto(task_url)
    pgb.page.get_by_role("button", name="核实办结").click()
    assert pgb.page.get_by_text("已核实办结。", exact=True).is_visible()
    pgb.goto(reverse("dashboards:overview") + "?plan=2019")
    assert pgb.page.locator("[data-total='extended_on_time']").inner_text() == "延期后按期 1"
    pgb.close()


def test_a_leaders_instruction_reaches_the_unit_and_its_reply_the_leader(
    clock, browser, live_server, transactional_db, plan_2019, staff, leader, shots
):
    """批示: the leader writes on 区数管局's task 8 with a reply deadline; the
    unit finds it at the top of its home (on a phone too, without sideways
    scrolling) and answers there; the leader reads the answer on 批示."""
    task_url = reverse("tasks:detail", args=[task_of("区数管局", "8").pk])
    clock.move_to(JULY_15)
    words = "请区数管局月底前拿出数据共享方案。"

    ld = Visitor(browser, live_server, shots)
    ld.log_in("leader", "pw-leader")
    ld.goto(task_url)
    form = ld.page.locator("#instruction-create")
    form.get_by_label("批示内容").fill(words)
    form.get_by_label("回复期限").fill("2019-07-31")
    ld.shot("leader-instruction", full_page=False)
    form.get_by_role("button", name="发出批示").click()
    ld.page.wait_for_load_state()
    assert ld.page.get_by_text("批示已发出，相关单位将在首页看到并回复。").is_visible()
    assert ld.page.locator("#instructions").get_by_text("待回复").first.is_visible()

    clock.shift(dt.timedelta(minutes=5))
    phone = Visitor(browser, live_server, shots, viewport=PHONE)
    phone.log_in("sgj", "pw-sgj")
    phone.goto(reverse("tasks:mine"))
    box = phone.page.locator("#instructions")
    assert box.get_by_text(words).is_visible()
    assert box.get_by_text("请于2019年7月31日前回复").is_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.shot("phone-instruction", full_page=False)
    box.get_by_label("回复内容").fill("方案已起草，7月25日报区政府审定。")
    box.get_by_role("button", name="回复批示").click()
    phone.page.wait_for_load_state()
    assert phone.page.get_by_text("已回复批示。").is_visible()
    assert phone.page.locator("#instructions").count() == 0
    phone.close()

    ld.page.get_by_role("link", name="批示", exact=True).click()
    entry = ld.page.locator("article.instruction").first
    assert entry.get_by_text(words).is_visible()
    assert entry.get_by_text("方案已起草，7月25日报区政府审定。").is_visible()
    ld.shot("leader-instructions")
    ld.close()
