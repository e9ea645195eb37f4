"""Builds annex workbooks in other layouts for the import tests."""

import datetime as dt
import io
import json
import random

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
