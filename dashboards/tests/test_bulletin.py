"""The 通报 (Word): parsed back with python-docx, from the download and from
`manage.py export_report PATH.docx`; its numbers against the overview's for
the same day; its layout; the office's templates (edited, previewed,
broken, restored); who may download it."""

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx import Document
from docx.shared import Pt
from pytest_django.asserts import assertContains, assertNotContains

from dashboards.bulletin import bulletin_figures
from dashboards.bulletin_docx import BODY_FONT, HEADING_FONT, TITLE_FONT
from dashboards.figures import dashboard_overview
from dashboards.models import BulletinTemplate, MonthEnd
from indicators.models import Indicator
from tasks.tests.plans import BSZX, FGJ, SGJ

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def download(client, user, **params) -> Document:
    client.force_login(user)
    response = client.get(reverse("dashboards:bulletin"), params)
    assert response.status_code == 200, response
    assert response["Content-Type"] == DOCX
    assert "attachment" in response["Content-Disposition"]
    return Document(io.BytesIO(response.content))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text.strip()]


def part(document, heading: str) -> str:
    """The paragraphs under one heading (一、总体情况 …), joined."""
    lines = texts(document)
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if re.match(r"^[一二三四]、", lines[i])), len(lines))
    return "".join(lines[start:end])


def overview_totals(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("dashboards:overview"), params)
    assert response.status_code == 200
    return response.context["overview"]


def test_it_says_the_overviews_numbers_for_the_same_day(client, office, aug_15):
    overview = overview_totals(client, office)
    totals = overview.totals
    last_month = overview_totals(client, office, plan=2019, as_of="2019-07-31").totals
    document = download(client, office)
    overall = part(document, "一、总体情况")
    assert f"的{totals.total}项任务" in overall
    assert f"已办结{totals.verified}项" in overall
    assert f"已完成待核实{totals.completed}项" in overall
    assert f"推进中{totals.in_progress}项" in overall
    assert f"未启动{totals.not_started}项" in overall
    assert f"已逾期{totals.overdue}项" in overall
    assert f"按期完成率为{totals.on_time_rate}%" in overall
    assert f"应完成{totals.assessable}项，按期完成{totals.on_time}项" in overall
    # 7 tasks: 3 verified, 1 awaiting verification, 2 in progress, 1 not started; 2 overdue; 2 of 5 on time.
    assert (totals.total, totals.verified, totals.completed, totals.overdue) == (7, 3, 1, 2)
    assert (totals.on_time_rate, last_month.on_time_rate) == (40.0, 66.7)
    assert "较上月底（2019年7月31日）的66.7%下降26.7个百分点" in overall
    assert texts(document)[1] == "（截至2019年8月15日）"


def test_it_is_in_chinese_whatever_the_interface_language(client, office, aug_15):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(office)
    assertContains(client.get(reverse("dashboards:overview")), "Download bulletin (Word)")
    lines = texts(download(client, office))
    assert "一、总体情况" in lines and "四、下步工作" in lines
    assert lines[lines.index("区跑改办") + 1] == "2019年8月15日"  # 落款, dated the day it is made


def test_it_names_the_categories_and_units_behind_and_the_overdue_units(client, office, aug_15):
    document = download(client, office)
    # 甲类 40% vs 乙类: B1 verified early (on time) of 1 assessable → 100%; the plan 40%.
    assert "“乙类”推进较快，按期完成率为100.0%" in part(document, "二、主要进展")
    problems = part(document, "三、存在问题")
    assert "共有2项任务已逾期，涉及2个单位" in problems
    assert f"{BSZX}（1项）、{FGJ}（1项）" in problems
    assert "“甲类”按期完成率为25.0%" in problems


def test_it_costs_a_few_queries(client, office, aug_15, django_assert_max_num_queries):
    client.force_login(office)
    # The overview's aggregate queries, last month's totals, the targets, the
    # overdue tasks; the first time, last month's state copied (MonthEnd:
    # whether it is there, a savepoint, its row, the copy, the release).
    with django_assert_max_num_queries(26):
        assert client.get(reverse("dashboards:bulletin"), {"n": 1}).status_code == 200
    assert MonthEnd.objects.get().day == dt.date(2019, 7, 31)
    with django_assert_max_num_queries(21):
        assert client.get(reverse("dashboards:bulletin"), {"n": 2}).status_code == 200


def test_it_says_so_for_a_past_day(client, office, aug_15):
    overview = overview_totals(client, office, plan=2019, as_of="2019-07-31")
    document = download(client, office, plan=2019, as_of="2019-07-31")
    overall = part(document, "一、总体情况")
    assert overall.startswith("截至2019年7月31日")
    assert (
        f"已办结{overview.totals.verified}项" in overall and f"已逾期{overview.totals.overdue}项" in overall
    )
    assert f"按期完成率为{overview.totals.on_time_rate}%" in overall


def test_it_lists_the_overdue_tasks_and_ranks_the_units(client, office, aug_15):
    overview = overview_totals(client, office)
    document = download(client, office)
    overdue, ranking = document.tables
    rows = [[cell.text for cell in row.cells] for row in overdue.rows]
    assert rows[0] == ["序号", "目标任务", "牵头单位", "责任单位", "截止日期", "逾期天数"]
    assert rows[1:] == [
        ["A1", "甲类任务A1：推进数据共享和一窗受理。", "", BSZX, "2019年6月30日", "46"],
        ["A2", "甲类任务A2：推进数据共享和一窗受理。", "", FGJ, "2019年7月31日", "15"],
    ]
    assert {(row.code, row.unit_name, row.days_late) for row in overview.overdue} == {
        ("A1", BSZX, 46),
        ("A2", FGJ, 15),
    }
    rows = [[cell.text for cell in row.cells] for row in ranking.rows]
    assert rows[0][:2] == ["排名", "单位"]
    assert [(r[0], r[1], r[-1]) for r in rows[1:]] == [
        (str(u.rank), u.name, f"{u.all.on_time_rate}%") for u in overview.units
    ]
    assert [r[1] for r in rows[1:]] == [BSZX, SGJ, FGJ]


def test_it_writes_what_units_typed_as_text(client, office, aug_15, plan):
    # Markup stays text; a control character pasted from elsewhere (no XML can hold it) is dropped.
    Indicator.objects.filter(plan=plan, code="A1").update(task_text="推进<b>数据</b>&共享\x0b一窗")
    overdue = download(client, office).tables[0]
    assert overdue.rows[1].cells[1].text == "推进<b>数据</b>&共享一窗"


def test_it_is_laid_out_as_an_official_document(client, office, aug_15):
    document = download(client, office)
    section = document.sections[0]
    # In twentieths of a point, as Word keeps them: to a tenth of a millimetre.
    mm = [round(length.mm, 1) for length in (section.page_width, section.page_height)]
    assert mm == [210, 297]  # A4
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(length.mm, 1) for length in margins] == [37, 35, 28, 26]  # GB/T 9704
    title = document.paragraphs[0]
    assert title.text == "萧山区2019年度改革工作指标（测试）推进情况通报"
    assert _font(title.runs[0]) == (TITLE_FONT, Pt(22))
    heading = next(p for p in document.paragraphs if p.text == "一、总体情况")
    assert _font(heading.runs[0]) == (HEADING_FONT, Pt(16))
    body = next(p for p in document.paragraphs if p.text.startswith("截至"))
    assert _font(body.runs[0]) == (BODY_FONT, Pt(16))
    assert body.paragraph_format.first_line_indent == Pt(32)
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if run.text.strip():
                assert run._element.rPr.rFonts.get(f"{W}eastAsia"), run.text
                assert run._element.rPr.find(f"{W}lang").get(f"{W}eastAsia") == "zh-CN"
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert footer._element.findall(f".//{W}fldChar")
    assert [code.text.strip() for code in footer._element.iter(f"{W}instrText")] == ["PAGE"]


def _font(run) -> tuple:
    return run._element.rPr.rFonts.get(f"{W}eastAsia"), run.font.size


def test_it_gives_the_templates_nothing_but_plain_figures(office, aug_15, plan):
    from dashboards.asof import Scope

    scope = Scope(plan=plan, as_of=dt.date(2019, 8, 15), today=dt.date(2019, 8, 15))
    figures = bulletin_figures(overview=dashboard_overview(scope=scope), today=scope.today)

    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float)

    assert plain(figures)


# The office's templates


def save(client, **changes):
    page = client.get(reverse("dashboards:bulletin_templates"))
    data = {name: page.context["form"].initial[name] for name in BulletinTemplate.Section.values}
    data.update(changes)
    return client.post(reverse("dashboards:bulletin_templates"), {**data, "action": "save"})


def test_it_writes_the_wording_the_office_saved(client, office, aug_15):
    client.force_login(office)
    response = save(
        client, overall="截至{{ as_of }}，共{{ total }}项任务，逾期{{ overdue }}项。\n\n请各单位抓紧。"
    )
    assert response.status_code == 302
    row = BulletinTemplate.objects.get(section="overall")
    assert row.updated_by == office and row.history.count() == 1
    assert BulletinTemplate.objects.count() == 1  # the other parts stay the defaults
    document = download(client, office)
    assert part(document, "一、总体情况") == "截至2019年8月15日，共7项任务，逾期2项。请各单位抓紧。"
    lines = texts(document)
    assert lines[lines.index("一、总体情况") + 2] == "请各单位抓紧。"  # one paragraph per line


def test_it_previews_without_saving(client, office, aug_15):
    client.force_login(office)
    page = client.get(reverse("dashboards:bulletin_templates"))
    assertContains(page, "截至2019年8月15日，萧山区2019年度改革工作指标（测试）共有4项指标、3个单位的7项任务")
    data = {name: page.context["form"].initial[name] for name in BulletinTemplate.Section.values}
    data.update(overall="逾期{{ overdue }}项", action="preview")
    response = client.post(reverse("dashboards:bulletin_templates"), data)
    assertContains(response, '<p class="mb-1">逾期2项</p>', html=False)
    assert not BulletinTemplate.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{% if overdue %}逾期", "第 1 行：标签 {% if %} 没有结束标签"),
        ("共{{ totl }}项", "没有这个变量：totl"),
        ("{% if overdue > limit %}多{% endif %}", "没有这个变量：limit"),
        ("{{ total|nosuchfilter }}", "无法识别的过滤器：nosuchfilter"),
        ("第一行\n{% frobnicate %}", "第 2 行：无法识别或不允许的标签：{% frobnicate %}"),
        ("{% load static %}", "无法识别或不允许的标签：{% load %}"),
        ("{% debug %}", "无法识别或不允许的标签：{% debug %}"),
        ('{% include "base.html" %}', "无法识别或不允许的标签：{% include %}"),
        ("{{ template.engine }}", "没有这个变量：template"),
        ('{{ total|ljust:"999999999" }}', "无法识别的过滤器：ljust"),
        ("{% for a, b in categories %}{{ a }}{% endfor %}", "生成时出错：{% for %} 的循环变量个数不对"),
    ],
)
def test_it_refuses_a_broken_template_in_chinese(client, office, aug_15, text, message):
    client.force_login(office)
    response = save(client, problems=text)
    assert response.status_code == 200
    assertContains(response, message)
    assert not BulletinTemplate.objects.exists()


def test_it_says_what_is_wrong_when_a_saved_template_breaks(client, office, leader, aug_15, tmp_path):
    # Saved before a variable was renamed, say: the download explains, never a 500.
    BulletinTemplate.objects.create(section="overall", text="共{{ old_name }}项")
    client.force_login(office)
    response = client.get(reverse("dashboards:bulletin"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("dashboards:bulletin_templates"))
    page = client.get(response.url)
    assertContains(page, "通报模板有误，无法生成通报：一、总体情况：没有这个变量：old_name")
    client.force_login(leader)
    response = client.get(reverse("dashboards:bulletin"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("dashboards:overview"))
    assertContains(response, "没有这个变量：old_name")
    with pytest.raises(CommandError, match="通报模板有误：一、总体情况：没有这个变量：old_name"):
        call_command("export_report", str(tmp_path / "x.docx"))


def test_it_restores_the_defaults(client, office, aug_15):
    client.force_login(office)
    save(client, overall="只有一句。", signature="跑改办")
    assert BulletinTemplate.objects.count() == 2
    response = client.post(reverse("dashboards:bulletin_templates"), {"action": "reset"})
    assert response.status_code == 302
    assert not BulletinTemplate.objects.exists()
    assert part(download(client, office), "一、总体情况").startswith("截至2019年8月15日，萧山区2019年度")
    # Saving the default text again keeps no row either.
    save(client)
    assert not BulletinTemplate.objects.exists()


def test_it_lists_the_variables_with_their_values(client, office, aug_15):
    client.force_login(office)
    page = client.get(reverse("dashboards:bulletin_templates"))
    variables = {name: value for name, _label, value in page.context["variables"]}
    assert variables["overdue"] == 2 and variables["on_time_rate"] == 40.0
    assert variables["top_unit_count"] == 2 and [u["name"] for u in variables["top_units"]] == [BSZX, SGJ]
    assertContains(page, "<code>on_time_rate_change</code>", html=False)


# Who may


def test_it_lets_the_readers_download_and_only_the_office_edit(
    client, office, leader, staff, admin_user, aug_15
):
    for user in (office, leader, admin_user):
        download(client, user)
    client.force_login(staff)
    assert client.get(reverse("dashboards:bulletin")).status_code == 403
    for user, status in ((staff, 403), (leader, 403), (office, 200), (admin_user, 200)):
        client.force_login(user)
        assert client.get(reverse("dashboards:bulletin_templates")).status_code == status
    BulletinTemplate.objects.create(section="overall", text="办公室的写法")
    for user in (staff, leader):
        client.force_login(user)
        url = reverse("dashboards:bulletin_templates")
        assert client.post(url, {"overall": "x", "action": "save"}).status_code == 403
        assert client.post(url, {"action": "reset"}).status_code == 403
    assert BulletinTemplate.objects.get().text == "办公室的写法"
    client.logout()
    response = client.get(reverse("dashboards:bulletin"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_it_offers_the_download_beside_the_excel_one(client, office, leader, aug_15):
    client.force_login(office)
    page = client.get(reverse("dashboards:overview"), {"plan": 2019, "as_of": "2019-07-31", "unit": ""})
    assertContains(page, f'href="{reverse("dashboards:bulletin")}?plan=2019&amp;as_of=2019-07-31"')
    assertContains(page, "下载通报（Word）")
    assertContains(page, reverse("dashboards:bulletin_templates"))
    client.force_login(leader)
    page = client.get(reverse("dashboards:overview"), {"plan": 2019})
    assertContains(page, "下载通报（Word）")
    assertNotContains(page, reverse("dashboards:bulletin_templates"))


# The command


def test_it_exports_the_bulletin_from_the_command(client, office, aug_15, tmp_path):
    out = io.StringIO()
    call_command("export_report", str(tmp_path / "通报.docx"), "--as-of", "2019-07-31", stdout=out)
    assert "截至2019年7月31日" in out.getvalue()
    document = Document(tmp_path / "通报.docx")
    assert part(document, "一、总体情况") == part(
        download(client, office, as_of="2019-07-31"), "一、总体情况"
    )
    call_command("export_report", str(tmp_path / "r.xlsx"), stdout=io.StringIO())
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    with pytest.raises(CommandError, match=r"must end in \.xlsx"):
        call_command("export_report", str(tmp_path / "r.pdf"))
