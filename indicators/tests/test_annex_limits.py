"""What a workbook may unpack to, and how hostile or damaged files are
refused: in Chinese, naming the limit, and within bounded memory.

The peak memory of each read is measured with tracemalloc and printed (run
with -s to see the figures kept in docs/annex-import.md)."""

import io
import re
import tracemalloc
import zipfile

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from indicators.annex import AnnexFileError, parse_grid, read_grid
from indicators.models import Indicator
from indicators.services import annex_import

from . import workbooks
from .workbooks import MB

PEAK_LIMIT = 200 * MB


def measured(label, fn):
    """fn()'s result (or AnnexFileError) and its peak traced memory."""
    tracemalloc.start()
    try:
        try:
            result = fn()
        except AnnexFileError as e:
            result = e
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"{label}: peak {peak / MB:.1f} MiB")
    return result, peak


def test_it_refuses_a_shared_string_that_unpacks_to_300_mb_from_a_300_kb_file():
    data = workbooks.huge_shared_string(300 * MB)
    assert len(data) < 400 * 1024

    refused, peak = measured("300 MB shared string", lambda: read_grid(data))

    assert isinstance(refused, AnnexFileError)
    assert str(refused) == (
        "工作簿中的部件 xl/sharedStrings.xml 解压后为 300 MB，超过上限 8 MB（ANNEX_MAX_PART_BYTES）。"
    )
    assert peak < PEAK_LIMIT


def test_it_refuses_a_sheet_that_unpacks_beyond_the_total_limit():
    data = workbooks.repack(
        workbooks.small_table(),
        {
            workbooks.SHEET: workbooks.repeated(
                b"<row/>", 300 * MB, before=b"<worksheet>", after=b"</worksheet>"
            )
        },
    )

    refused, peak = measured("300 MB sheet", lambda: read_grid(data))

    assert isinstance(refused, AnnexFileError)
    assert "工作簿解压后超过 32 MB（ANNEX_MAX_UNPACKED_BYTES）" in str(refused)
    assert peak < PEAK_LIMIT


def test_it_refuses_a_part_that_holds_more_than_it_declares():
    """zipfile cuts a member at its declared size, but only after inflating
    what one read asks for: styles.xml is read whole, 300 MB at once."""
    data = workbooks.small_table()
    styles = zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml")
    padded = workbooks.repack(data, {"xl/styles.xml": workbooks.repeated(b" ", 300 * MB, before=styles)})
    lying = workbooks.declared_size(padded, "xl/styles.xml", len(styles))

    refused, peak = measured("styles.xml declaring 3 KB, holding 300 MB", lambda: read_grid(lying))

    assert isinstance(refused, AnnexFileError)
    assert str(refused) == (f"工作簿已损坏：部件 xl/styles.xml 的实际内容比它声明的 {len(styles)} 字节更多。")
    assert peak < PEAK_LIMIT


def test_it_reads_only_the_headers_width_whatever_the_sheet_claims(units):
    """A `<dimension>` of A1:XFD1048576 and a cell in column XFD on every row
    once made each row 16,384 values wide (2.7 GB for a 489 KB file)."""
    rows = [[i, "夯实事项基础", f"任务{i}", "区数管局", "", "7月底"] for i in range(1, 2001)]
    data = workbooks.build(rows, title_rows=[["2019年度"]])
    xml = workbooks.sheet_xml(data)
    xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml)
    xml = re.sub(r'<row r="(\d+)">(.*?)</row>', r'<row r="\1">\2<c r="XFD\1"><v>1</v></c></row>', xml)
    data = workbooks.repack(data, {workbooks.SHEET: xml.encode()})

    grid, peak = measured("2,000 rows claiming and holding column XFD", lambda: read_grid(data))

    assert max(len(row) for row in grid[2:]) == 6
    assert peak < 20 * MB
    assert annex_import(annex=parse_grid(grid)).count("new") == 2000


def test_it_stops_at_the_row_limit_before_reading_further(settings):
    """The sheet is cut off after row 150: refused for its rows, so the
    reader never got that far."""
    settings.ANNEX_MAX_ROWS = 100
    rows = [[i, "夯实事项基础", f"任务{i}", "区数管局", "", "7月底"] for i in range(1, 201)]
    data = workbooks.truncated_sheet(workbooks.build(rows, title_rows=[["2019年度"]]), keep=0.75)

    with pytest.raises(AnnexFileError) as refused:
        read_grid(data)

    assert str(refused.value) == (
        "数据行过多：表头以下超过 100 行（空行也计入），上限为 100 行（ANNEX_MAX_ROWS）。"
    )


def test_it_refuses_a_target_task_longer_than_an_excel_cell_by_row_and_column(units):
    data = workbooks.with_sheet_text(workbooks.small_table(), "<t>任务</t>", f"<t>{'任' * 32_768}</t>")

    report = annex_import(annex=parse_grid(read_grid(data)))

    assert [str(p) for p in report.errors] == [
        "第3行C列「目标任务」：内容过长：共 32768 个字符，上限为 32767 个字符。"
    ]
    assert not Indicator.objects.exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (1, "指" * 201, "第3行B列「指标名称」：内容过长：共 201 个字符，上限为 200 个字符。"),
        (
            3,
            "区" * 101,
            f"第3行D列「牵头单位」：单位名称“{'区' * 20}…”过长：共 101 个字符，上限为 100 个字符。",
        ),
        (
            4,
            "各区级部门、" + "局" * 101,
            f"第3行E列「责任单位」：单位名称“{'局' * 20}…”过长：共 101 个字符，上限为 100 个字符。",
        ),
        (0, "1" * 21, "第3行A列「序号」：内容过长：共 21 个字符，上限为 16 个字符。"),
        (
            5,
            "7月底" + " " * 10 + "。" * 20,
            "第3行F列「时间进度」：内容过长：共 33 个字符，上限为 20 个字符。",
        ),
    ],
)
def test_it_refuses_values_longer_than_their_field_by_row_and_column(units, column, value, message):
    row = [1, "夯实事项基础", "任务", "区数管局", "各区级部门", "7月底"]
    row[column] = value

    report = annex_import(annex=parse_grid(read_grid(workbooks.build([row], title_rows=[["2019年度"]]))))

    assert [str(p) for p in report.errors] == [message]
    assert not Indicator.objects.exists()


def test_it_refuses_a_sub_item_code_longer_than_the_field(units):
    rows = [
        ["1" * 16, "夯实事项基础", "任务", "区数管局", "", "7月底"],
        [None, None, "子项", "区数管局", "", "8月底"],
    ]

    report = annex_import(annex=parse_grid(read_grid(workbooks.build(rows, title_rows=[["2019年度"]]))))

    assert [str(p) for p in report.errors] == [
        f"第4行A列「序号」：序号 {'1' * 16}-1 过长：共 18 个字符，上限为 16 个字符。"
    ]


def test_it_refuses_a_title_longer_than_the_plans_title(units):
    report = annex_import(
        annex=parse_grid(read_grid(workbooks.build([], title_rows=[["2019年度" + "标" * 200]])))
    )

    assert [str(p) for p in report.errors] == ["第1行：标题过长：共 206 个字符，上限为 200 个字符。"]


def test_it_refuses_a_cut_off_sheet_in_chinese():
    data = workbooks.truncated_sheet(workbooks.original_bytes())

    with pytest.raises(AnnexFileError) as refused:
        read_grid(data)

    assert str(refused.value) == "工作表内容已损坏，无法读取（ParseError）：请在 Excel 中打开、另存后再导入。"


def test_it_says_a_password_protected_workbook_is_encrypted():
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(workbooks.original_bytes())).encrypt("secret", encrypted)

    with pytest.raises(
        AnnexFileError, match=r"^工作簿已加密（设置了打开密码），无法读取：请先在 Excel 中取消密码"
    ):
        read_grid(encrypted.getvalue())


def test_it_still_calls_another_ole_file_an_old_xls():
    """The same compound file, its EncryptedPackage stream renamed."""
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(workbooks.original_bytes())).encrypt("secret", encrypted)
    renamed = encrypted.getvalue().replace(
        "EncryptedPackage".encode("utf-16-le"), "WorkbookStreams1".encode("utf-16-le")
    )

    with pytest.raises(AnnexFileError, match=r"旧版 \.xls 请先"):
        read_grid(renamed)


def test_it_says_a_code_is_a_formula_without_a_value(units):
    rows = [["=ROW()-2", "夯实事项基础", "任务", "区数管局", "", "7月底"]]

    report = annex_import(annex=parse_grid(read_grid(workbooks.build(rows, title_rows=[["2019年度"]]))))

    assert [str(p) for p in report.errors] == [
        "第3行A列「序号」：单元格是公式（=ROW()-2），但文件中没有它的计算结果（文件由不计算公式的程序生成）："
        "请在 Excel 中打开并保存后再导入，或把公式改成数值。"
    ]


def test_it_takes_the_value_excel_saved_for_a_formula(units):
    data = workbooks.build(
        [["=ROW()-2", "夯实事项基础", "任务", "区数管局", "", "7月底"]], title_rows=[["2019年度"]]
    )
    data = workbooks.with_sheet_text(data, "<f>ROW()-2</f><v />", "<f>ROW()-2</f><v>1</v>")

    report = annex_import(annex=parse_grid(read_grid(data)))

    assert report.ok
    assert Indicator.objects.get().code == "1"


def test_it_refuses_shared_strings_that_pass_for_a_sheet_by_their_name():
    """Only what the content types call a worksheet is streamed, and so
    exempt from the limit on parts read whole."""
    data = workbooks.huge_shared_string(20 * MB, part="xl/worksheets/sheet2.xml")

    with pytest.raises(AnnexFileError) as refused:
        read_grid(data)

    assert str(refused.value) == (
        "工作簿中的部件 xl/worksheets/sheet2.xml 解压后为 20 MB，超过上限 8 MB（ANNEX_MAX_PART_BYTES）。"
    )
