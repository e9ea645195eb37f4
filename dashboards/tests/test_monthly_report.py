"""The monthly report (月度通报): the workbook parsed back with openpyxl, from
the download and from `manage.py export_report`, today and as of a past day."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.report import SUMMARY_HEADERS, TASK_HEADERS
from indicators.xlsx import Sheet, write_workbook
from tasks.tests.plans import AUG_15, BSZX, FGJ, FORMULA_PROBLEMS, FORMULA_PROGRESS, SGJ


def download(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("dashboards:report"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response, load_workbook(io.BytesIO(response.content))


def values(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def by_unit_and_code(rows) -> dict:
    return {(row[6], row[0]): row for row in rows}


def test_it_writes_one_row_per_task_with_its_progress(client, office, aug_15):
    response, book = download(client, office)
    assert "attachment" in response["Content-Disposition"]
    assert "20190815" in response["Content-Disposition"]
    assert book.sheetnames == ["任务进展", "单位汇总", "目标达成", "统计口径"]
    sheet = book["任务进展"]
    rows = values(sheet)
    assert rows[0][0] == "萧山区2019年度改革工作指标（测试） 月度通报（截至2019年8月15日）"
    assert rows[1] == TASK_HEADERS
    assert TASK_HEADERS[:6] == ["序号", "指标名称", "目标任务", "牵头单位", "责任单位", "时间进度"]
    tasks = rows[2:]
    assert [(row[0], row[6]) for row in tasks] == [
        ("A1", SGJ),
        ("A1", BSZX),
        ("A2", SGJ),
        ("A2", FGJ),
        ("B1", BSZX),
        ("B1", SGJ),
        ("B2", FGJ),
    ]  # annex order, lead first
    rows = by_unit_and_code(tasks)
    assert rows[BSZX, "A1"] == [
        "A1",
        "甲类",
        "甲类任务A1：推进数据共享和一窗受理。",
        SGJ,
        BSZX,
        "6月底",
        BSZX,
        "责任",
        "推进中",
        0.5,
        "A1 推进中",
        "人手不足",
        46,
    ]
    assert rows[SGJ, "A2"][8:] == ["已办结", 1, "A2 补充材料后完成", None, None]
    assert rows[FGJ, "A2"][8:] == ["已完成", 1, "A2 发改 完成", None, 15]
    assert rows[SGJ, "B1"][8:] == ["未启动", None, None, None, None]


def test_it_keeps_text_that_looks_like_a_formula_as_text(client, office, aug_15):
    _, book = download(client, office)
    row = next(r for r in book["任务进展"].iter_rows(min_row=3) if r[0].value == "B2")
    progress, problems = row[10], row[11]
    assert (progress.value, problems.value) == (FORMULA_PROGRESS, FORMULA_PROBLEMS)
    for cell in (progress, problems):
        assert cell.data_type == "s"
        assert cell.quotePrefix  # stays text when someone edits the cell in Excel
    for sheet in book:
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_it_sums_up_each_unit_ranked_by_on_time_rate(client, office, aug_15):
    _, book = download(client, office)
    rows = values(book["单位汇总"])
    assert rows[1] == SUMMARY_HEADERS
    assert rows[2:] == [
        [1, BSZX, 2, 1, 1, 1, 0, 1, 0, 0, 1, 2, 1, 0, 0.5],
        [1, SGJ, 3, 2, 1, 2, 0, 0, 0, 1, 0, 2, 1, 0, 0.5],
        [3, FGJ, 2, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0],
        [None, "合计", 7, 4, 3, 3, 1, 2, 0, 1, 2, 5, 2, 0, 0.4],
    ]


def test_it_is_laid_out_for_printing(client, office, aug_15):
    _, book = download(client, office)
    sheet = book["任务进展"]
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$2:$2"  # the header repeats on every page
    assert sheet.column_dimensions["C"].width == 40
    assert sheet["K3"].alignment.wrap_text


def test_it_reports_the_state_of_a_past_day(client, office, aug_15):
    _, book = download(client, office, plan=2019, as_of="2019-07-31")
    rows = values(book["任务进展"])
    assert rows[0][0].endswith("（截至2019年7月31日）")
    tasks = by_unit_and_code(rows[2:])
    assert tasks[SGJ, "A2"][8:] == ["退回", 1, "A2 完成", None, None]  # not yet overdue on its due day
    assert tasks[FGJ, "A2"][8:] == ["未启动", None, None, None, None]  # its report came on 08-01
    assert tasks[BSZX, "A1"][12] == 31
    summary = values(book["单位汇总"])
    assert summary[-1][1:] == ["合计", 7, 4, 3, 2, 0, 2, 1, 3, 1, 3, 2, 0, 0.667]


def test_it_exports_from_the_command(aug_15, tmp_path):
    path = tmp_path / "通报.xlsx"
    out = io.StringIO()
    call_command("export_report", str(path), "--plan", "2019", "--as-of", "2019-07-31", stdout=out)
    assert "截至2019年7月31日" in out.getvalue()
    book = load_workbook(path)
    assert values(book["单位汇总"])[-1][5] == 2  # verified by 07-31
    call_command("export_report", str(path), stdout=io.StringIO())  # this year's plan, today
    assert load_workbook(path)["任务进展"]["A1"].value.endswith("（截至2019年8月15日）")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "2018"], "no plan for year 2018"),
        (["--as-of", "2019-08-16"], "in the future"),
        (["--as-of", "15/08/2019"], "not a date"),
    ],
)
def test_it_refuses_a_bad_plan_or_day(aug_15, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_report", str(tmp_path / "x.xlsx"), *args)
    assert not (tmp_path / "x.xlsx").exists()


def test_it_says_so_when_there_is_no_plan(db, tmp_path):
    with pytest.raises(CommandError, match="no plan"):
        call_command("export_report", str(tmp_path / "x.xlsx"))


def test_it_exports_the_2019_annex_with_its_408_tasks(plan_2019, tmp_path):
    with time_machine.travel(dt.datetime(2019, 7, 15, 9, tzinfo=AUG_15.tzinfo), tick=False):
        call_command("export_report", str(tmp_path / "r.xlsx"), "--plan", "2019", stdout=io.StringIO())
    sheet = load_workbook(tmp_path / "r.xlsx")["任务进展"]
    assert sheet.max_row == 2 + 408


# Numbers, pages, language


def test_it_writes_counts_days_and_rates_as_numbers_with_formats(client, office, aug_15):
    _, book = download(client, office)
    tasks = book["任务进展"]
    row = next(r for r in tasks.iter_rows(min_row=3) if (r[0].value, r[6].value) == ("A1", BSZX))
    percent, days = row[9], row[12]
    assert (percent.value, percent.data_type, percent.number_format) == (0.5, "n", "0%")  # shows 50%
    assert (days.value, days.data_type, days.number_format) == (46, "n", "0")
    summary = book["单位汇总"]
    total = next(r for r in summary.iter_rows(min_row=3) if r[1].value == "合计")
    assert all(cell.data_type == "n" and cell.number_format == "0" for cell in total[2:14])  # counts
    rate = total[14]
    assert (rate.value, rate.data_type, rate.number_format) == (0.4, "n", "0.0%")  # shows 40.0%


def test_it_puts_the_plan_the_day_and_page_numbers_on_every_page(client, office, aug_15):
    _, book = download(client, office)
    for sheet in book:
        assert (
            sheet.oddHeader.center.text == "萧山区2019年度改革工作指标（测试） 月度通报（截至2019年8月15日）"
        )
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_it_writes_the_report_in_chinese_for_an_english_reader(client, office, aug_15):
    client.cookies["django_language"] = "en"
    _, book = download(client, office)
    latin = re.compile(r"[A-Za-z]{3,}")
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value not in (FORMULA_PROGRESS, FORMULA_PROBLEMS):
                    assert not latin.search(cell.value), (sheet.title, cell.coordinate, cell.value)
    rows = by_unit_and_code(values(book["任务进展"])[2:])
    assert rows[SGJ, "A1"][7:9] == ["牵头", "已办结"]  # not "Lead", "Verified"
    assert book["任务进展"]["A1"].value.endswith("（截至2019年8月15日）")


def test_it_quotes_formula_looking_text_and_never_a_number():
    data = write_workbook(
        [Sheet(title="t", headers=["a", "b", "c"], rows=[["-2", -2, "=1+1"]], formats=[None, "0"])]
    )
    text, number, formula = load_workbook(io.BytesIO(data))["t"][2]
    assert (text.value, text.data_type, text.quotePrefix) == ("-2", "s", True)
    assert (number.value, number.data_type, number.quotePrefix) == (-2, "n", False)
    assert (formula.value, formula.data_type, formula.quotePrefix) == ("=1+1", "s", True)
