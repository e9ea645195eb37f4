"""Every portal page on a 390 × 844 phone, for each role, on demo-like data
(the demo's own builders: its units and accounts, the 2019 plan consulted,
adopted and closed, this year's plan with January simulated, next year's
draft out for comments, a partner's report with a file, an extension
request). A page fails when it scrolls sideways,
when text is cut off or hidden in a sideways scroller, when text is cut by an
ellipsis with no title, or when text overlaps text (in the page and in the
charts), and when a calendar dot covers its day's cell: tests/phone_layout.js
holds the rule (docs/portal.md, "On a phone"). Folded parts (<details>) are
opened and every tab (the charts' 数据表) shown before the page is passed.

With UPDATE_SCREENSHOTS=1 it also refreshes the phone screenshots of
docs/screenshots/ (phone-*.png; docs/portal.md)."""

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from demo import consultation, story
from demo.setup import PASSWORD, accounts_ensure, plan_import, units_ensure
from departments.models import Membership, Unit
from indicators.models import Plan, Target
from indicators.services import plan_close, plan_consultation_open
from tasks.extensions import extension_request_create
from tasks.models import Evidence, Task
from tasks.tests import files
from tasks.tests.helpers import SHANGHAI, report
from tasks.tests.test_browser import PHONE, Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]

CHECK = (Path(__file__).parent / "phone_layout.js").read_text(encoding="utf-8")
# After January's reports, reviews and notices: the story is what makes the
# demo slow to build (docs/demo.md), so only its first month.
NOW = dt.datetime(2026, 2, 10, 10, 0, tzinfo=SHANGHAI)

# Opens every folded part; the tab buttons are clicked one by one after.
UNFOLD = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"


def build_demo():
    """The demo of `make run`, shorter: the 2019 plan without its year of
    reports (so all of it overdue on its overview, as of its last day), this
    year's until NOW. Returns the pages' objects."""
    units_ensure()
    accounts_ensure()
    office = get_user_model().objects.get(username="office")
    annex_year = consultation.consult_and_adopt(import_plan=plan_import, office=office)
    plan_close(plan=annex_year, user=office)
    plan, _created, _summary = plan_import(year=2026, at=story.plan_start(year=2026, now=NOW))
    story.build(plan=plan, now=NOW)
    sgj = get_user_model().objects.get(username="sgj")
    lead = (
        Task.objects.for_plan(plan).filter(unit__name="区数管局", role=Task.Role.LEAD).order_by("pk").first()
    )
    # 区办事服务中心's part of the lead's indicator, with a file: the lead's 牵头汇总 shows it.
    partner = Task.objects.for_plan(plan).get(indicator=lead.indicator, unit__name="区办事服务中心")
    report(
        partner,
        get_user_model().objects.get(username="bszx"),
        percent=60,
        progress="本中心窗口数据已全部接入共享平台，正在核对历史数据的完整性和一致性，预计下月完成。",
        problems="部分早期办件数据缺少统一社会信用代码，需要逐件补录。",
        files=[files.upload("接入清单（2026年2月）.png", files.PNG)],
        now=NOW,
    )
    # Next year's draft, out for comments: the units' answer form, the office's feedback page.
    draft, _created, _summary = plan_import(year=2027, at=NOW, draft=True)
    plan_consultation_open(
        plan=draft,
        user=office,
        deadline=NOW.date() + dt.timedelta(days=14),
        message="请各单位对2027年度工作指标和时间安排提出意见，逾期不反馈视作无意见。",
        now=NOW,
    )
    extension_request_create(
        task=lead,
        user=sgj,
        requested_due_date=lead.due_date + dt.timedelta(days=45),
        reason="省级接口年底才开放，需要顺延一个半月完成联调和试运行，已与省数据局沟通确认。",
        now=NOW,
    )
    return {
        "lead": lead,
        "partner": partner,
        "evidence": Evidence.objects.order_by("pk").first(),
        "unit": Unit.objects.get(name="区数管局"),
        "membership": Membership.objects.filter(user=sgj).get(),
        "target": Target.objects.filter(indicator__plan=plan).order_by("pk").first(),
        "plan": plan,
        "annex_year": Plan.objects.get(year=2019),
    }


def pages_by_role(objects):
    """username → the pages to visit, each with the name of its screenshot (or None)."""
    lead, partner, unit = objects["lead"], objects["partner"], objects["unit"]
    year, annex_year = objects["plan"].year, objects["annex_year"].year
    assert objects["evidence"] and objects["target"]
    staff = [
        reverse("tasks:mine"),
        reverse("tasks:mine") + "?show=all",
        reverse("reminders:notices"),
        reverse("dashboards:unit_completeness_mine"),
        reverse("plans:consultation", args=[annex_year]) + "?unit={unit}",
        reverse("plans:consultation", args=[year + 1]) + "?unit={unit}",
        reverse("password_change"),
    ]
    return {
        # 区办事服务中心: a unit that is on indicators led by others.
        "bszx": [
            *[page.replace("{unit}", str(partner.unit_id)) for page in staff],
            reverse("tasks:detail", args=[partner.pk]),
        ],
        # 区数管局, a lead unit: 牵头汇总 on its task, its evidence, its extension request.
        "sgj": [
            *[page.replace("{unit}", str(unit.pk)) for page in staff],
            reverse("tasks:detail", args=[lead.pk]),
        ],
        "office": [
            reverse("dashboards:overview"),
            reverse("dashboards:overview") + f"?plan={annex_year}",
            reverse("tasks:overview"),
            reverse("tasks:overview") + "?show=all",
            reverse("tasks:overview") + "?show=all&page=2",
            reverse("tasks:detail", args=[lead.pk]),
            reverse("tasks:evidence_preview", args=[objects["evidence"].pk]),
            reverse("tasks:extensions"),
            reverse("dashboards:completeness"),
            reverse("dashboards:unit_completeness", args=[unit.pk]),
            reverse("plans:list"),
            reverse("plans:detail", args=[year]),
            reverse("plans:detail", args=[year + 1]),
            reverse("plans:detail", args=[annex_year]),
            reverse("plans:feedback", args=[annex_year]),
            reverse("plans:feedback", args=[year + 1]),
            reverse("plans:targets", args=[year]),
            reverse("reminders:notice_log"),
            reverse("reminders:channels"),
            reverse("reminders:channel_office"),
            reverse("reminders:channel_edit", args=[unit.pk]),
            reverse("departments:contacts"),
            reverse("departments:contact_create", args=[unit.pk]),
            reverse("departments:contact_edit", args=[objects["membership"].pk]),
        ],
        # Of the admin, only the annex import (the rest is Django's own).
        "admin": [reverse("admin:indicators_indicator_import")],
        "leader": [
            reverse("dashboards:overview"),
            reverse("tasks:overview"),
            reverse("tasks:detail", args=[lead.pk]),
            reverse("tasks:extensions"),
            reverse("dashboards:completeness"),
            reverse("plans:list"),
            reverse("plans:feedback", args=[annex_year]),
        ],
    }


def problems_on(page):
    """The page as it opens, then unfolded, then with each of its tabs shown."""
    if page.locator("[data-chart]").count():
        page.wait_for_function(
            "[...document.querySelectorAll('[data-chart]')].every((e) => echarts.getInstanceByDom(e))"
        )
    found = list(page.evaluate(CHECK))
    page.evaluate(UNFOLD)
    found += page.evaluate(CHECK)
    tabs = page.locator("[data-bs-toggle='tab']:not(.active)")
    for index in range(tabs.count()):
        tabs.nth(index).click()
        found += page.evaluate(CHECK)
    return list(dict.fromkeys(found))


def test_it_fits_every_page_on_a_phone_for_every_role(browser, live_server, transactional_db, shots):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        objects = build_demo()
    # The phone screenshots of docs/portal.md and the README.
    screenshots = {
        ("sgj", reverse("tasks:mine")): "phone-home",
        ("sgj", reverse("tasks:detail", args=[objects["lead"].pk])): "phone-task",
        ("sgj", reverse("reminders:notices")): "phone-notices",
        ("office", reverse("dashboards:overview")): "phone-overview",
        ("office", reverse("tasks:overview")): "phone-all-tasks",
    }
    calendar_page = reverse("dashboards:overview") + f"?plan={objects['annex_year'].year}"
    failures = {}
    with time_machine.travel(NOW, tick=True):
        visitor = Visitor(browser, live_server, shots, viewport=PHONE)
        visitor.goto(reverse("login"))
        failures[reverse("login")] = problems_on(visitor.page)
        visitor.close()

        for username, paths in pages_by_role(objects).items():
            visitor = Visitor(browser, live_server, shots, viewport=PHONE)
            visitor.log_in(username, PASSWORD)
            for path in paths:
                response = visitor.goto(path)
                assert response.status == 200, (username, path, response.status)
                if (username, path) in screenshots:
                    visitor.shot(screenshots[username, path], full_page=False)
                failures[f"{username} {path}"] = problems_on(visitor.page)
                if (username, path) == ("office", calendar_page):
                    # The deadline calendar of a year with overdue items, a quarter a strip.
                    card = visitor.page.locator("section[aria-labelledby='calendar-title']")
                    card.get_by_role("tab", name="图表").click()
                    card.screenshot(path=visitor.shots / "phone-calendar.png")
            visitor.close()

    failures = {page: found for page, found in failures.items() if found}
    assert failures == {}, "\n".join(
        f"{page}:\n  " + "\n  ".join(found[:15]) for page, found in failures.items()
    )


BAD_PAGES = {
    "sideways": '<table><tr><td style="white-space: nowrap">截止日期 2026年12月31日 · 已逾期 · 区数管局 · 推进中 · 最近报送 2026年11月18日</td></tr></table>',
    "hidden column": '<div class="table-responsive"><table><tr>'
    + '<td style="white-space: nowrap">2026年12月31日 · 区数管局 · 推进中</td>' * 3
    + "</tr></table></div>",
    "tab cut": '<ul class="nav nav-pills flex-nowrap overflow-auto">'
    + "".join(
        f'<li class="nav-item"><a class="nav-link text-nowrap">{tab} 217</a></li>'
        for tab in ("待核实", "已逾期", "本月到期", "本月未报送", "全部")
    )
    + "</ul>",
    "ellipsis": '<div class="text-truncate">清理自设审批前置条件环节、以审批代备案等违规行为；进一步清理无法律法规依据的“章中章”</div>',
    "overlap": '<div style="position: relative"><span>1月</span><span style="position: absolute; left: 4px">2月</span></div>',
}

EXPECTED = {
    "sideways": "the page scrolls sideways",
    "hidden column": "text hidden sideways in a scrolling box",
    "tab cut": "text hidden sideways in a scrolling box ul.nav",
    "ellipsis": "with an ellipsis and no title",
    "overlap": "text over text: span «1月» and span «2月»",
}


def test_it_fails_a_page_that_a_phone_shows_wrong(browser):  # noqa: F811
    """The rule of tests/phone_layout.js finds each fault on a made-up page,
    the charts' too (a legend over the first category, a calendar's month
    names over each other and its dots over whole cells), and passes the same
    page once fixed."""
    from django.conf import settings

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    static = Path(settings.BASE_DIR) / "static"
    head = f"<style>{(static / 'vendor/bootstrap/bootstrap.min.css').read_text(encoding='utf-8')}</style>"
    for fault, body in BAD_PAGES.items():
        page.set_content(f"<html><head>{head}</head><body>{body}</body></html>")
        found = " ".join(page.evaluate(CHECK))
        assert EXPECTED[fault] in found, (fault, found)
    page.set_content(
        f"<html><head>{head}</head><body><div title='全文' class='text-truncate'>{'很长的任务' * 30}</div></body></html>"
    )
    assert page.evaluate(CHECK) == []

    # A year's calendar squeezed into 240 px: its month labels overlap in any
    # Chromium (at 360 px they did with earlier runs' Chromium, not with 156).
    page.set_content(
        f"<html><head>{head}</head><body><div data-chart='bars' style='width: 360px; height: 200px'></div>"
        "<div data-chart='calendar' style='width: 240px; height: 200px'></div></body></html>"
    )
    page.add_script_tag(path=static / "vendor/echarts/echarts.min.js")
    page.evaluate(
        """() => {
        echarts.init(document.querySelector("[data-chart=bars]")).setOption({
          animation: false,
          legend: { top: 40, left: 0 },
          grid: { left: 8, right: 8, top: 0, bottom: 0, containLabel: true },
          xAxis: { type: "value" },
          yAxis: { type: "category", data: ["夯实事项基础", "深化数据共享"] },
          series: [{ type: "bar", name: "已逾期", data: [3, 4] }, { type: "bar", name: "推进中", data: [2, 1] }],
        });
        echarts.init(document.querySelector("[data-chart=calendar]")).setOption({
          animation: false,
          calendar: { range: "2026", left: 30, right: 10, cellSize: ["auto", 18] },
          series: [{ type: "scatter", coordinateSystem: "calendar", symbolSize: 14, data: [["2026-06-30", 1]] }],
        });
    }"""
    )
    found = " ".join(page.evaluate(CHECK))
    assert "chart bars" in found and "over" in found
    assert "chart calendar" in found and "月» over «" in found and "dot covers" in found
    context.close()
