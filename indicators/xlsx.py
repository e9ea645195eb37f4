"""Writing spreadsheets that people print and that can never run a formula.

Every cell is written as text, except numbers in a sheet that asks for them. A value that a spreadsheet program would take
for a formula (starting with = + - @ or a tab) also gets Excel's quote prefix,
so it stays text when someone edits the cell; the stored text itself is not
changed, so an exported annex imports back unchanged."""

import io
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list]
    widths: list[int] | None = None  # in characters, per column
    caption: str = ""  # a title row above the header
    # Integers and decimals as numbers (so they sum and sort); everything
    # else, and every value when False, as text.
    numbers: bool = False


def _as_text(value) -> str:
    if value is None:
        return ""
    return str(value)


def write_workbook(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        header_row = 1
        if spec.caption:
            sheet.append([spec.caption])
            sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
            header_row = 2
        # Rows by number: asking the sheet for max_row per cell walks every
        # cell written so far (3 s for a 1,200-row monthly report).
        for number, row in enumerate([spec.headers, *spec.rows], start=header_row):
            for col, value in enumerate(row, start=1):
                cell = sheet.cell(row=number, column=col)
                if spec.numbers and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    cell.value = value
                    cell.alignment = wrap
                    continue
                text = _as_text(value)
                cell.value = text
                cell.data_type = "s"  # never "f", whatever the text starts with
                if text.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
                cell.alignment = wrap
        for col in range(1, len(spec.headers) + 1):
            sheet.cell(row=header_row, column=col).font = Font(bold=True)
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for col, width in enumerate(spec.widths or [], start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.print_title_rows = f"{header_row}:{header_row}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
