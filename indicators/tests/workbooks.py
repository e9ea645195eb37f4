"""Builds annex workbooks in other layouts for the import tests."""

import datetime as dt
import io
import json
import random
import re
import struct
import zipfile

from django.conf import settings
from openpyxl import Workbook, load_workbook

FIXTURES = settings.BASE_DIR / "fixtures"
HEADER = ["序号", "指标名称", "目标任务", "牵头单位", "责任单位", "时间进度"]


def expected() -> dict:
    return json.loads((FIXTURES / "xiaoshan-2019-annex.expected.json").read_text(encoding="utf-8"))


def original_bytes() -> bytes:
    return (FIXTURES / "xiaoshan-2019-annex.xlsx").read_bytes()


def original_rows() -> tuple[list[list], list[list]]:
    """(title rows, data rows) of the shared workbook, header excluded."""
    sheet = load_workbook(io.BytesIO(original_bytes())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[:2], rows[3:]


def build(rows: list[list], *, title_rows=(), header=HEADER, merges=()) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "附件"
    for row in [*title_rows, header, *rows]:
        sheet.append(row)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filled_categories(rows):
    """Every row carries its 指标名称 (no merged / blank cells)."""
    out, last = [], None
    for row in rows:
        row = list(row)
        row[1] = row[1] or last
        last = row[1]
        out.append(row)
    return out


def no_title_rows() -> bytes:
    _, rows = original_rows()
    return build(rows)


def unmerged() -> bytes:
    titles, rows = original_rows()
    return build(filled_categories(rows), title_rows=titles)


def shuffled_columns(seed=7) -> bytes:
    titles, rows = original_rows()
    order = list(range(6))
    random.Random(seed).shuffle(order)
    return build(
        [[row[i] for i in order] for row in filled_categories(rows)],
        title_rows=[["", "", *titles[0]], ["", "", *titles[1]]],
        header=[HEADER[i] for i in order],
    )


def date_cells() -> bytes:
    """Month-end deadlines as real date cells; 全年 stays text."""
    titles, rows = original_rows()
    out = []
    for row in rows:
        row = list(row)
        if row[5] != "全年":
            month = int(row[5].removesuffix("月底"))
            next_month = dt.date(2019 + month // 12, month % 12 + 1, 1)
            row[5] = dt.datetime.combine(next_month - dt.timedelta(days=1), dt.time())
        out.append(row)
    return build(out, title_rows=titles)


def other_separators_and_spaces() -> bytes:
    """`，` and `,` separators, padded ASCII and full-width spaces."""
    titles, rows = original_rows()
    out = []
    for i, row in enumerate(rows):
        row = list(row)
        for col in (3, 4):
            if row[col]:
                sep = ["，", ",", " 、 ", "，\n"][i % 4]
                row[col] = (
                    "\u3000" + sep.join(n.strip() for n in row[col].replace("\n", "").split("、")) + "  "
                )
        if row[2]:
            row[2] = "  " + row[2] + "\u3000"
        if row[5]:
            row[5] = " " + row[5] + " "
        out.append(row)
    return build(out, title_rows=titles)


# Hostile workbooks: small files that unpack to far more than they weigh.

SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
MB = 1024 * 1024


def small_table(task_text="任务") -> bytes:
    return build(
        [[1, "夯实事项基础", task_text, "区数管局", "各区级部门", "7月底"]], title_rows=[["2019年度"]]
    )


def repack(data: bytes, parts: dict[str, object]) -> bytes:
    """The package with parts replaced or added: bytes, or an iterable of
    byte chunks streamed into the zip (so a 300 MB part is never in memory)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = [info.filename for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in [*names, *(n for n in parts if n not in names)]:
            content = parts[name] if name in parts else source.read(name)
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as member:
                for chunk in content:
                    member.write(chunk)
    return out.getvalue()


def repeated(text: bytes, size: int, *, before=b"", after=b""):
    yield before
    chunk = text * (MB // len(text))
    for _ in range(size // len(chunk)):
        yield chunk
    yield after


def sheet_xml(data: bytes) -> str:
    """The sheet's XML as the tests write their replacements: characters
    literal and empty values as `<v />`, whichever way openpyxl serialised
    them (with lxml installed it writes `&#20219;` and `<v></v>`)."""
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET).decode()
    xml = re.sub(r"&#(\d+);", lambda m: chr(int(m[1])) if int(m[1]) > 127 else m[0], xml)
    return xml.replace("<v></v>", "<v />")


def huge_shared_string(size: int, part: str = SHARED_STRINGS) -> bytes:
    """目标任务 of row 3 is shared string 0: one string of `size` characters,
    in the package's part `part`."""
    data = small_table()
    sheet = sheet_xml(data).replace('t="inlineStr"><is><t>任务</t></is>', 't="s"><v>0</v>')
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").decode()
    types = types.replace(
        "</Types>",
        f'<Override PartName="/{part}" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    strings = repeated(
        b"A", size, before=b'<sst count="1" uniqueCount="1" ' + main + b"><si><t>", after=b"</t></si></sst>"
    )
    return repack(data, {SHEET: sheet.encode(), "[Content_Types].xml": types.encode(), part: strings})


def declared_size(data: bytes, name: str, size: int) -> bytes:
    """The package with `name` claiming to unpack to `size` bytes (in its
    local header and in the central directory), whatever it really holds."""
    data = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    position = 0
    encoded = name.encode()
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        (length,) = struct.unpack_from("<H", data, position + 28)
        if data[position + 46 : position + 46 + length] == encoded:
            struct.pack_into("<I", data, position + 24, size)
            break
        position += 4
    return bytes(data)


def with_sheet_text(data: bytes, old: str, new: str) -> bytes:
    """The package with text replaced in its sheet XML (openpyxl itself would
    cut a cell at 32,767 characters)."""
    xml = sheet_xml(data)
    assert old in xml, old
    return repack(data, {SHEET: xml.replace(old, new, 1).encode()})


def truncated_sheet(data: bytes, keep=0.6) -> bytes:
    """The package with its sheet XML cut off in the middle of an element."""
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    cut = xml.index(b"<c ", int(len(xml) * keep)) + 3
    return repack(data, {SHEET: xml[:cut]})
