import io
import json
import zipfile

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from departments.models import Unit, UnitAlias
from indicators.annex import AnnexFileError, parse_grid, read_grid
from indicators.models import Indicator, Plan
from indicators.selectors import annex_snapshot
from indicators.services import annex_import

from . import workbooks

pytestmark = pytest.mark.django_db


def import_bytes(data: bytes, *, year=None, dry_run=False):
    return annex_import(annex=parse_grid(read_grid(data), year=year), dry_run=dry_run)


def database_state() -> dict:
    """Every row of every model of the project, to compare before and after:
    what the import writes itself and what the apps listening to it (the
    tasks) write — without this app naming them."""
    project = {"departments", "indicators", "tasks", "reminders", "dashboards"}
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in project
    }


def test_it_imports_the_2019_annex_exactly_as_expected(units):
    expected = workbooks.expected()

    report = import_bytes(workbooks.original_bytes())

    assert report.ok
    snapshot = annex_snapshot(Plan.objects.get(year=2019))
    assert snapshot["plan"] == expected["plan"]
    assert len(snapshot["indicators"]) == 54
    for stored, wanted in zip(snapshot["indicators"], expected["indicators"], strict=True):
        assert stored == wanted, wanted["code"]
    kinds = dict(Unit.objects.values_list("name", "kind"))
    for department in expected["departments"]:
        assert kinds[department["name"]] == department["kind"], department["name"]
    assert snapshot["departments"] == expected["departments"]
    for alias, name in expected["aliases"].items():
        assert UnitAlias.objects.get(alias=alias).unit.name == name
    assert report.aliases_applied == expected["aliases"]


@pytest.mark.parametrize(
    "layout",
    [
        workbooks.no_title_rows,
        workbooks.unmerged,
        workbooks.shuffled_columns,
        workbooks.date_cells,
        workbooks.other_separators_and_spaces,
    ],
)
def test_it_reads_other_layouts_of_the_same_table_the_same(units, layout):
    expected = workbooks.expected()

    report = import_bytes(layout(), year=2019)

    assert report.ok, [str(p) for p in report.errors]
    snapshot = annex_snapshot(Plan.objects.get(year=2019))
    assert snapshot["indicators"] == expected["indicators"]
    assert snapshot["departments"] == expected["departments"]
    assert snapshot["aliases"] == expected["aliases"]


def test_it_takes_the_year_from_the_title_unless_given(units):
    assert import_bytes(workbooks.original_bytes(), year=2027).ok

    indicator = Indicator.objects.get(plan__year=2027, code="1")
    assert indicator.due_date.isoformat() == "2027-07-31"
    assert not Plan.objects.filter(year=2019).exists()


def test_it_titles_a_plan_imported_as_another_year_with_that_year(units):
    assert import_bytes(workbooks.original_bytes(), year=2027).ok
    assert import_bytes(workbooks.original_bytes()).ok

    titles = dict(Plan.objects.values_list("year", "title"))
    assert titles[2027].startswith("萧山区2027年度")
    assert titles[2019].startswith("萧山区2019年度"), "its own year: the annex's own title"
    assert "2019" not in titles[2027]


def test_it_needs_a_year_when_the_workbook_has_no_title(units):
    report = import_bytes(workbooks.no_title_rows())

    assert not report.ok
    assert "无法确定计划年度" in str(report.errors[0])
    assert not Plan.objects.exists()


def test_it_changes_nothing_when_the_same_workbook_is_imported_twice(units):
    import_bytes(workbooks.original_bytes())
    before = database_state()

    report = import_bytes(workbooks.original_bytes())

    assert (report.count("new"), report.count("update"), report.count("skip")) == (0, 0, 54)
    assert database_state() == before


def test_it_reports_what_changed_on_a_reimport(units):
    import_bytes(workbooks.original_bytes())
    titles, rows = workbooks.original_rows()
    rows[0][5] = "8月底"  # indicator 1 moves from 7月底
    rows[1][3] = "区数管局、区办事服务中心"  # indicator 2 gains a lead unit

    report = import_bytes(workbooks.build(rows, title_rows=titles))

    changed = {c.code: c.fields for c in report.changes if c.kind == "update"}
    assert changed == {"1": ["时间进度", "截止日期"], "2": ["牵头单位"]}
    assert Indicator.objects.get(code="1").due_date.isoformat() == "2019-08-31"
    assert Indicator.objects.get(code="2").lead_names == ["区数管局", "区办事服务中心"]


def test_it_writes_nothing_when_any_row_has_an_error(units):
    import_bytes(workbooks.original_bytes())
    before = database_state()
    titles, rows = workbooks.original_rows()
    rows[0][2] = "改过的目标任务"  # a valid change on row 4 …
    rows[40][5] = "七月中旬"  # … and an error on row 44

    report = import_bytes(workbooks.build(rows, title_rows=titles))

    assert not report.ok
    assert [str(p) for p in report.errors] == [
        "第44行F列「时间进度」：无法识别的时间进度“七月中旬”；应为“M月底”（如 7月底）、日期或“全年”。"
    ]
    assert database_state() == before


def test_it_writes_nothing_on_a_dry_run_but_reports_the_same(units):
    before = database_state()

    dry = import_bytes(workbooks.original_bytes(), dry_run=True)

    assert database_state() == before
    real = import_bytes(workbooks.original_bytes())
    assert dry.snapshot == real.snapshot
    assert dry.summary_line() == real.summary_line()


def test_it_makes_the_responsible_unit_lead_when_the_lead_is_blank_and_warns(units):
    report = import_bytes(workbooks.original_bytes())

    indicator = Indicator.objects.with_units().get(code="20")
    assert (indicator.lead_names, indicator.responsible_names) == (["区市场监管局"], [])
    assert "第24行D列「牵头单位」：牵头单位为空，已将责任单位“区市场监管局”作为牵头单位。" in [
        str(p) for p in report.warnings
    ]


def test_it_lists_names_it_does_not_know_as_new_units_and_groups(units):
    titles, rows = workbooks.original_rows()
    rows[0][4] = "各区级部门、区新设局、各村委会"

    report = import_bytes(workbooks.build(rows, title_rows=titles))

    assert report.new_units == [("区新设局", "unit"), ("各村委会", "group")]
    assert report.summary_line().startswith("indicators: 54 new, 0 updated, 0 unchanged; units: 2 new;")


def test_it_gives_sub_items_their_parent(units):
    import_bytes(workbooks.original_bytes())

    sub_item = Indicator.objects.get(code="17-1")
    assert sub_item.parent.code == "17"
    assert sub_item.category == "工程建设项目“1+9+X”改革"


def _sheet(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = workbooks.HEADER
GOOD_ROW = [1, "夯实事项基础", "任务", "区数管局", "各区级部门", "7月底"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "工作表是空的，没有任何内容。"),
        ([["2019年度"], HEADER[:5], GOOD_ROW[:5]], "第2行：表头缺少必需的列：「时间进度」。"),
        ([["2019年度"], ["a", "b"], [1, 2]], "找不到表头行"),
        (
            [["2019年度"], HEADER, GOOD_ROW, [1, "x", "任务二", "区数管局", "", "8月底"]],
            "第4行A列「序号」：序号 1 重复（第3行已有）。",
        ),
        (
            [["2019年度"], HEADER, [*GOOD_ROW[:5], "13月底"]],
            "第3行F列「时间进度」：无法识别的时间进度“13月底”",
        ),
        ([["2019年度"], HEADER, [*GOOD_ROW[:5], None]], "第3行F列「时间进度」：时间进度为空"),
        ([["2019年度"], HEADER, ["一", *GOOD_ROW[1:]]], "第3行A列「序号」：序号“一”格式不对"),
        (
            [["2019年度"], HEADER, [1, "c", "", "区数管局", "", "7月底"]],
            "第3行C列「目标任务」：目标任务为空。",
        ),
        (
            [["2019年度"], HEADER, [1, "c", "任务", "", "", "7月底"]],
            "第3行D列「牵头单位」：牵头单位和责任单位都为空",
        ),
        ([["2019年度"], HEADER, [None, "c", "任务", "区数管局", "", "7月底"]], "第3行A列「序号」：序号为空"),
    ],
)
def test_it_refuses_bad_tables_with_the_row_and_column_in_chinese(units, rows, message):
    grid = read_grid(_sheet(rows))

    report = annex_import(annex=parse_grid(grid))

    assert not report.ok
    assert any(str(p).startswith(message) for p in report.errors), [str(p) for p in report.errors]
    assert not Indicator.objects.exists()


def test_it_refuses_files_that_are_not_xlsx_workbooks(settings):
    with pytest.raises(AnnexFileError, match="这不是 Excel 工作簿"):
        read_grid(b"%PDF-1.4 not a workbook")
    with pytest.raises(AnnexFileError, match="文件是空的"):
        read_grid(b"")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(AnnexFileError, match="无法读取该 Excel 工作簿"):
        read_grid(broken.getvalue())
    settings.ANNEX_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(AnnexFileError, match="文件过大"):
        read_grid(workbooks.original_bytes())


def test_it_reads_past_a_sheet_of_formatted_blank_rows(units):
    """Spreadsheets often carry thousands of styled empty rows after the table."""
    from openpyxl.styles import Font

    titles, rows = workbooks.original_rows()
    book = Workbook()
    sheet = book.active
    for row in [*titles, HEADER, *rows]:
        sheet.append(row)
    for row in range(sheet.max_row + 1, 60_000):
        sheet.cell(row=row, column=1).font = Font(bold=True)
        sheet.cell(row=row, column=1).value = None
    buffer = io.BytesIO()
    book.save(buffer)

    report = import_bytes(buffer.getvalue())

    assert report.ok
    assert report.count("new") == 54


def test_it_imports_from_the_command_line_with_a_summary_line(units, capsys):
    path = workbooks.FIXTURES / "xiaoshan-2019-annex.xlsx"

    call_command("import_annex", str(path), "--dry-run")
    assert not Indicator.objects.exists()
    call_command("import_annex", str(path))

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "indicators: 54 new, 0 updated, 0 unchanged; units: 0 new; warnings: 19; errors: 0",
        "indicators: 54 new, 0 updated, 0 unchanged; units: 0 new; warnings: 19; errors: 0",
    ]
    assert Indicator.objects.count() == 54


def test_it_prints_the_expected_json_shape(units, capsys):
    call_command("import_annex", str(workbooks.FIXTURES / "xiaoshan-2019-annex.xlsx"), "--format", "json")

    data = json.loads(capsys.readouterr().out)
    expected = workbooks.expected()
    # Each indicator gains the targets read from its text (test_targets_import.py);
    # the rest is the contract of a faithful import, unchanged.
    indicators = [{k: v for k, v in item.items() if k != "targets"} for item in data["indicators"]]
    assert indicators == expected["indicators"]
    for key in ("plan", "departments", "aliases"):
        assert data[key] == expected[key]
    assert data["summary"]["indicators_new"] == 54
    assert len(data["warnings"]) == 19
    assert data["errors"] == []


def test_it_exits_1_and_writes_nothing_when_the_command_finds_errors(units, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_sheet([["2019年度"], HEADER, [*GOOD_ROW[:5], "下半年"]]))

    with pytest.raises(CommandError) as raised:
        call_command("import_annex", str(path))

    assert raised.value.returncode == 1
    assert "第3行F列「时间进度」" in capsys.readouterr().err
    assert not Indicator.objects.exists()


def test_it_exits_1_for_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "annex.xlsx"
    path.write_bytes(b"MZ\x90\x00 renamed program")

    with pytest.raises(CommandError, match="这不是 Excel 工作簿") as raised:
        call_command("import_annex", str(path))
    assert raised.value.returncode == 1


def test_it_warns_when_a_group_has_no_members_to_do_the_work(units):
    report = import_bytes(workbooks.original_bytes())

    warnings = [str(p) for p in report.warnings]
    assert (
        "单位组“进驻区办事服务中心各部门”还没有成员单位，指标 4、5、6 中它的任务无人承接："
        "请在“单位与单位组”中为它列出成员或指定按类型包含。"
    ) in warnings
    assert any(
        "单位组“投资项目审批各部门”还没有成员单位，指标 14、15、16、17、17-1 中" in w for w in warnings
    )
    assert not any("各区级部门”还没有成员单位" in w for w in warnings), "it follows the type 区级部门"


def test_it_names_new_units_and_groups_in_the_commands_text_output(units, tmp_path, capsys):
    titles, rows = workbooks.original_rows()
    rows[0][4] = "各区级部门、区新设局、各村委会"
    path = tmp_path / "annex.xlsx"
    path.write_bytes(workbooks.build(rows, title_rows=titles))

    call_command("import_annex", str(path), "--dry-run")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "new unit: 区新设局",
        "new group: 各村委会",
        "indicators: 54 new, 0 updated, 0 unchanged; units: 2 new; warnings: 20; errors: 0",
    ]


@pytest.mark.parametrize("year", ["0", "1999", "2101", "40000", "99999"])
def test_it_refuses_a_year_out_of_the_plan_range_once_in_chinese(units, capsys, year):
    path = workbooks.FIXTURES / "xiaoshan-2019-annex.xlsx"

    with pytest.raises(CommandError) as raised:
        call_command("import_annex", str(path), "--year", year)

    assert raised.value.returncode == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: 计划年度 {year} 超出范围：应在 2000 到 2100 年之间。"
    ]
    assert not Plan.objects.exists()


def test_it_refuses_a_title_year_out_of_the_plan_range(units):
    titles, rows = workbooks.original_rows()
    titles[1][0] = titles[1][0].replace("2019", "1999")

    report = import_bytes(workbooks.build(rows, title_rows=titles))

    assert [str(p) for p in report.errors] == ["计划年度 1999 超出范围：应在 2000 到 2100 年之间。"]
    assert not Plan.objects.exists()


def test_it_exits_1_in_chinese_for_a_cut_off_sheet(units, tmp_path):
    path = tmp_path / "annex.xlsx"
    path.write_bytes(workbooks.truncated_sheet(workbooks.original_bytes()))

    with pytest.raises(CommandError, match=r"^工作表内容已损坏，无法读取（ParseError）") as raised:
        call_command("import_annex", str(path))

    assert raised.value.returncode == 1
    assert not Indicator.objects.exists()


def test_it_exits_1_with_the_row_and_column_for_an_over_long_code(units, tmp_path, capsys):
    path = tmp_path / "annex.xlsx"
    path.write_bytes(_sheet([["2019年度"], HEADER, ["1" * 21, *GOOD_ROW[1:]]]))

    with pytest.raises(CommandError) as raised:
        call_command("import_annex", str(path))

    assert raised.value.returncode == 1
    assert "error: 第3行A列「序号」：内容过长：共 21 个字符，上限为 16 个字符。" in capsys.readouterr().err
    assert not Indicator.objects.exists()
