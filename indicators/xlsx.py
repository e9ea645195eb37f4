"""Writing spreadsheets that people print, sum and sort, and that can never
run a formula.

Numbers are numbers: a count, a number of days or a percent is written as a
number with a number format (a percent as the fraction, shown ``66.7%``), so
it sums and sorts. Text stays text: a value that a spreadsheet program would
take for a formula (starting with = + - @ or a tab) gets Excel's quote prefix,
so it stays text when someone edits the cell; the stored text itself is not
changed, so an exported annex imports back unchanged. Numbers never get the
prefix (a negative number is a number).

Every page prints landscape with the header row repeated, the sheet's caption
(plan and date) in the page header and "第 1 页 共 3 页" in the footer.

The workbooks are documents of the office: they are written in the site's
language (Chinese) whatever the interface language of the person who
downloads them — build them inside `in_site_language` — so an English-mode
download is not half "Lead", half 牵头单位."""

import functools
import io
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Number formats, per column (Sheet.formats).
WHOLE = "0"  # counts, days, ranks
PERCENT = "0.0%"  # a rate as a fraction: 0.667 shows 66.7%
WHOLE_PERCENT = "0%"  # a whole percent as a fraction: 0.5 shows 50%
FOOTER = "第 &P 页 共 &N 页"
HEADER_LIMIT = 200  # Excel refuses a header or footer over 255 characters


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list]
    widths: list[int] | None = None  # in characters, per column
    caption: str = ""  # a title row above the header, and the page header
    # Number formats per column (None: General). Numbers (int, float,
    # Decimal) are written as numbers in every column; a column's format
    # says how they show. Percent columns hold fractions (percent / 100).
    formats: list[str | None] | None = None


def percent(value) -> float | None:
    """A percent (66.7) as the fraction a PERCENT column holds (0.667)."""
    return None if value is None else float(Decimal(str(value)) / 100)


def in_site_language(build):
    """Build a workbook in the site's language (settings.LANGUAGE_CODE),
    whatever the language of the request that asks for it."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)

    return wrapper


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _header_text(text: str) -> str:
    """Header and footer text is a little language of its own: & starts a code."""
    return text[:HEADER_LIMIT].replace("&", "&&")


def write_workbook(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        formats = spec.formats or []
        header_row = 1
        if spec.caption:
            sheet.append([spec.caption])
            sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
            header_row = 2
        # Rows by number: asking the sheet for max_row per cell walks every
        # cell written so far (3 s for a 1,200-row monthly report).
        for number, row in enumerate([spec.headers, *spec.rows], start=header_row):
            body = number > header_row
            for col, value in enumerate(row, start=1):
                cell = sheet.cell(row=number, column=col)
                cell.alignment = wrap
                if body and _is_number(value):
                    cell.value = value
                    shape = formats[col - 1] if col <= len(formats) else None
                    cell.number_format = shape or (WHOLE if isinstance(value, int) else "General")
                    continue
                text = "" if value is None else str(value)
                cell.value = text
                cell.data_type = "s"  # never "f", whatever the text starts with
                if text.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
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
        if spec.caption:
            sheet.oddHeader.center.text = _header_text(spec.caption)
        sheet.oddFooter.center.text = FOOTER
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
