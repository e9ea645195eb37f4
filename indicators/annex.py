"""Reads the annex workbook (附件：改革工作指标和时间安排) into plain rows.

This module knows the table and its rules (see docs/annex-import.md); it
touches no database. `indicators.services.annex_import` writes what it reads,
for both the Django admin and the `import_annex` command.

    grid = read_grid(uploaded_bytes)          # AnnexFileError if not readable
    annex = parse_grid(grid, year=None)       # rows, warnings, errors
"""

import calendar
import contextlib
import copy
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

import olefile
from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl.packaging.manifest import Manifest
from openpyxl.utils import get_column_letter

# openpyxl's own row parser (private, openpyxl is pinned): see _sheet_rows.
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHEET_MAIN_NS, WORKSHEET_TYPE

# Parse through defusedxml when it is installed (it is: requirements.txt).
from openpyxl.xml.functions import fromstring, iterparse

from departments.models import Unit
from xsreform.dates import day_text

from .models import EXCEL_CELL_MAX_CHARS, Indicator, Plan, validate_plan_year

# Column key → the title it has in the header row.
COLUMNS: dict[str, str] = {
    "code": "序号",
    "category": "指标名称",
    "task_text": "目标任务",
    "lead": "牵头单位",
    "responsible": "责任单位",
    "deadline": "时间进度",
}
# The longest text a cell of each column may hold: the model field's length
# where the value is stored as written, else Excel's own cell limit (a unit
# list: each name is checked against UNIT_NAME_LIMIT; a deadline: the stored
# label is derived, but no valid one is longer than the field).
CELL_LIMITS: dict[str, int] = {
    "code": Indicator._meta.get_field("code").max_length,
    "category": Indicator._meta.get_field("category").max_length,
    "task_text": EXCEL_CELL_MAX_CHARS,
    "lead": EXCEL_CELL_MAX_CHARS,
    "responsible": EXCEL_CELL_MAX_CHARS,
    "deadline": Indicator._meta.get_field("deadline_label").max_length,
}
UNIT_NAME_LIMIT = Unit._meta.get_field("name").max_length
HEADER_SEARCH_ROWS = 50
# Rows of nothing after the last data row that we read before deciding the
# sheet has ended. Spreadsheets often carry a million formatted blank rows.
BLANK_RUN_LIMIT = 1000

UNIT_SEPARATORS = re.compile(r"[、，,\r\n]+")
# str.strip() knows the full-width space (U+3000) and no-break space already.
CODE_PATTERN = re.compile(r"^(\d+)(?:-(\d+))?$")
MONTH_END_PATTERN = re.compile(r"^(\d{1,2})月(?:底|末)$")
DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$"),
    re.compile(r"^(?P<m>\d{1,2})月(?P<d>\d{1,2})日$"),
)
YEAR_PATTERN = re.compile(r"((?:19|20)\d{2})\s*年")
WHOLE_YEAR = "全年"


class AnnexFileError(Exception):
    """The upload is not a workbook we can read at all (message in Chinese)."""


@dataclass(frozen=True)
class Problem:
    """An error or warning, pointing at a sheet row and column where it can."""

    message: str
    row: int | None = None
    column: str | None = None  # the column title, e.g. "时间进度"
    letter: str | None = None  # the sheet column, e.g. "F"

    def __str__(self):
        where = ""
        if self.row is not None:
            where = f"第{self.row}行"
        if self.column:
            where += f"{self.letter or ''}列「{self.column}」" if self.letter else f"「{self.column}」"
        return f"{where}：{self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "text": str(self)}


@dataclass
class AnnexRow:
    row: int  # the sheet row it came from
    code: str
    parent: str | None
    category: str
    task_text: str
    lead: list[str]
    responsible: list[str]
    deadline_label: str
    due_date: dt.date
    ongoing: bool


@dataclass
class Annex:
    title: str = ""
    year: int | None = None
    rows: list[AnnexRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def read_grid(data: bytes) -> list[tuple]:
    """The cell values of the workbook's annex sheet, row by row: the rows
    down to the header as they are, the table below it as wide as the header.

    Raises AnnexFileError (in Chinese, naming the limit) for anything that is
    not a readable .xlsx within the limits of docs/annex-import.md. Nothing is
    parsed before the package has been checked; the sheet is read row by row
    and reading stops at the first limit it meets."""
    if len(data) > settings.ANNEX_MAX_UPLOAD_BYTES:
        raise AnnexFileError(f"文件过大：上限为 {_mb(settings.ANNEX_MAX_UPLOAD_BYTES)}。")
    if not data:
        raise AnnexFileError("文件是空的。")
    if olefile.isOleFile(data=data):
        raise AnnexFileError(_ole_message(data))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise AnnexFileError(NOT_A_WORKBOOK)
    _check_package(data)

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as e:  # openpyxl raises many kinds for a damaged package
        raise AnnexFileError(f"无法读取该 Excel 工作簿（文件可能已损坏）：{type(e).__name__}") from e
    try:
        sheets = book.worksheets[:SHEETS_SEARCHED]
        if not sheets:
            raise AnnexFileError("工作簿中没有工作表。")
        # The annex sheet is the first one that has the header; else the first.
        first = None
        for sheet in sheets:
            grid, has_header = _read_sheet(book, sheet)
            if has_header:
                return grid
            first = grid if first is None else first
        return first
    except AnnexFileError:
        raise
    except Exception as e:  # the sheets are parsed lazily, here: a cut or broken sheet fails now
        raise AnnexFileError(
            f"工作表内容已损坏，无法读取（{type(e).__name__}）：请在 Excel 中打开、另存后再导入。"
        ) from e
    finally:
        book.close()


NOT_A_WORKBOOK = "这不是 Excel 工作簿（.xlsx）文件；旧版 .xls 请先在 Excel 中另存为 .xlsx。"
# A workbook has a handful of parts; a zip of thousands of entries is not one.
MAX_PARTS = 1000
# The annex is looked for in the first sheets only.
SHEETS_SEARCHED = 20
# Excel's own limits: columns in a row, characters in a cell.
EXCEL_MAX_COLUMNS = 16_384
_NS = f"{{{SHEET_MAIN_NS}}}"
_SHEET_DATA, _ROW, _CELL, _FORMULA = (f"{_NS}{tag}" for tag in ("sheetData", "row", "c", "f"))


def _mb(size: int) -> str:
    return f"{round(size / 1024 / 1024, 1):g} MB"


def _ole_message(data: bytes) -> str:
    """An OLE compound file is either an old .xls or, holding the streams
    EncryptionInfo and EncryptedPackage ([MS-OFFCRYPTO]), a password-protected
    .xlsx: an encrypted workbook is no zip, and "save as .xlsx" would not help."""
    try:
        with olefile.OleFileIO(data) as ole:
            encrypted = ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
    except Exception:  # a damaged compound file: say what it most likely is
        encrypted = False
    if encrypted:
        return "工作簿已加密（设置了打开密码），无法读取：请先在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）并保存，再导入。"
    return NOT_A_WORKBOOK


def _check_package(data: bytes) -> None:
    """Refuse a package that unpacks to more than the limits, before anything
    parses it: each part's declared size, then its actual size, read through
    zipfile in small chunks (a zip can declare less than it holds, and
    ZipFile.read() would inflate all of it at once before cutting it to the
    declared size)."""
    total_limit, part_limit = settings.ANNEX_MAX_UNPACKED_BYTES, settings.ANNEX_MAX_PART_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_PARTS:
                raise AnnexFileError(f"工作簿结构异常：包含 {len(members)} 个部件，上限为 {MAX_PARTS} 个。")
            if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
                raise AnnexFileError(NOT_A_WORKBOOK)  # Excel never writes other methods
            streamed = _worksheet_parts(archive, part_limit)
            declared = 0
            for member in members:
                if member.filename not in streamed:
                    _check_part_size(member, part_limit)
                declared += member.file_size
                if declared > total_limit:
                    raise AnnexFileError(_unpacked_message(declared, total_limit))
            actual = 0
            for member in members:
                size = _unpacked_size(archive, member, min(member.file_size, total_limit - actual))
                if size > member.file_size:
                    raise AnnexFileError(
                        f"工作簿已损坏：部件 {member.filename} 的实际内容比它声明的 {member.file_size} 字节更多。"
                    )
                actual += size
    except AnnexFileError:
        raise
    except Exception as e:  # zipfile's BadZipFile, zlib.error, EOFError… for a damaged package
        raise AnnexFileError(f"无法读取该 Excel 工作簿（文件可能已损坏）：{type(e).__name__}") from e


def _check_part_size(member: zipfile.ZipInfo, limit: int) -> None:
    if member.file_size > limit:
        raise AnnexFileError(
            f"工作簿中的部件 {member.filename} 解压后为 {_mb(member.file_size)}，"
            f"超过上限 {_mb(limit)}（ANNEX_MAX_PART_BYTES）。"
        )


def _worksheet_parts(archive: zipfile.ZipFile, limit: int) -> set[str]:
    """The parts that the package's content types declare as worksheets, and
    as nothing else: _sheet_rows streams them row by row, so only the total
    limit bounds them. Every other part (shared strings, styles, the
    workbook, relationships) openpyxl reads whole; openpyxl finds those by
    their content type too, so a part cannot pass for a sheet."""
    try:
        info = archive.getinfo(ARC_CONTENT_TYPES)
    except KeyError:
        return set()  # not a workbook: openpyxl says so
    _check_part_size(info, limit)
    if _unpacked_size(archive, info, info.file_size) > info.file_size:
        raise AnnexFileError(
            f"工作簿已损坏：部件 {info.filename} 的实际内容比它声明的 {info.file_size} 字节更多。"
        )
    types: dict[str, set[str]] = {}
    for override in Manifest.from_tree(fromstring(archive.read(info))).Override:
        types.setdefault(override.PartName.lstrip("/"), set()).add(override.ContentType)
    return {name for name, kinds in types.items() if kinds == {WORKSHEET_TYPE}}


def _unpacked_message(size: int, limit: int) -> str:
    return f"工作簿解压后超过 {_mb(limit)}（ANNEX_MAX_UNPACKED_BYTES），当前至少 {_mb(size)}，拒绝读取。"


def _unpacked_size(archive: zipfile.ZipFile, member: zipfile.ZipInfo, cap: int) -> int:
    """How many bytes the member really inflates to, reading at most cap + 1."""
    probe = copy.copy(member)
    probe.file_size = cap + 1  # zipfile stops at the declared size: let it read past it
    probe.CRC = None  # the CRC is checked when openpyxl reads the member
    size = 0
    with archive.open(probe) as stream:
        while chunk := stream.read(64 * 1024):
            size += len(chunk)
            if size > cap:
                break
    return size


def _read_sheet(book, sheet) -> tuple[list[tuple], bool]:
    """(grid, whether it has the annex header). Rows above the header are
    read whole (the header is looked for in the first HEADER_SEARCH_ROWS
    rows); below it only the header's columns, until BLANK_RUN_LIMIT blank
    rows in a row, and no further than ANNEX_MAX_ROWS rows below it. The
    `<dimension>` the file claims is never trusted."""
    grid: list[tuple] = []
    header_row = width = None
    last_filled = 0  # the number of the last row with content
    with contextlib.closing(_sheet_rows(book, sheet)) as rows:
        for number, cells in rows:
            if number <= len(grid):
                raise AnnexFileError("工作表内容已损坏：行号重复或倒序。")
            if header_row is None and number > HEADER_SEARCH_ROWS:
                break
            if header_row is not None and number - last_filled - 1 > BLANK_RUN_LIMIT:
                break
            values = _row_values(cells, width)
            if all(_is_blank(v) for v in values):
                continue
            if header_row is not None and number - header_row > settings.ANNEX_MAX_ROWS:
                raise AnnexFileError(
                    f"数据行过多：表头以下超过 {settings.ANNEX_MAX_ROWS} 行（空行也计入），"
                    f"上限为 {settings.ANNEX_MAX_ROWS} 行（ANNEX_MAX_ROWS）。"
                )
            grid.extend([()] * (number - len(grid) - 1))
            grid.append(values)
            last_filled = number
            if header_row is None:
                _, found, columns = _find_header([values])
                if found == len(COLUMNS):
                    header_row, width = number, max(columns.values()) + 1
                    grid = [row[:width] for row in grid]
    return grid, header_row is not None


def _row_values(cells: list[tuple[int, object]], width: int | None) -> tuple:
    """The row as a tuple of values by column, cut at `width` columns."""
    cells = [(column, value) for column, value in cells if width is None or column <= width]
    if not cells:
        return ()
    values = [None] * max(column for column, _ in cells)
    for column, value in cells:
        values[column - 1] = value
    return tuple(values)


def _sheet_rows(book, sheet):
    """(row number, [(column, value)]) for each row of the sheet's cell table.

    openpyxl's own read-only iterator keeps every row element it has read and
    goes on, after the last row, to build objects for everything the sheet
    holds after its cells (merged ranges, formatting, validations): 16 MB of
    merged ranges cost 450 MB there. This loop lets openpyxl parse each row
    (types, shared strings, dates: WorkSheetParser.parse_row, the method its
    iterator calls), drops the row once read and stops at the end of the cell
    table. A formula cell saved without its computed value (files written by
    programs that do not calculate) comes back as Formula."""
    source = book._archive.open(sheet._worksheet_path)
    parser = WorkSheetParser(
        source,
        sheet._shared_strings,
        data_only=True,
        epoch=book.epoch,
        date_formats=book._date_formats,
        timedelta_formats=book._timedelta_formats,
    )
    root = table = None
    depth = cells_in_row = 0
    with source:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                elif element.tag == _SHEET_DATA:
                    table = element
                elif element.tag == _CELL:
                    cells_in_row += 1
                    if cells_in_row > EXCEL_MAX_COLUMNS:
                        raise AnnexFileError(f"工作表内容已损坏：一行超过 Excel 的 {EXCEL_MAX_COLUMNS} 列。")
                continue
            depth -= 1
            if element.tag == _ROW:
                number, cells = parser.parse_row(element)
                yield (
                    number,
                    [
                        (cell["column"], _cell_value(cell, xml))
                        for cell, xml in zip(cells, element, strict=True)
                    ],
                )
                (table if table is not None else root).clear()
                cells_in_row = 0
            elif element.tag == _SHEET_DATA:
                return
            elif depth == 1:
                root.clear()  # what stands before the cell table is not needed


@dataclass(frozen=True)
class Formula:
    """A formula cell whose computed value the file does not hold."""

    text: str

    def __str__(self):
        return self.text


def _cell_value(cell: dict, xml):
    if cell["value"] is None and (formula := xml.find(_FORMULA)) is not None:
        return Formula("=" + (formula.text or "…"))
    return cell["value"]


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _title_key(value) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def _find_header(grid: list[tuple]) -> tuple[int | None, int, dict[str, int]]:
    """(row index, titles found, column key → column index) of the row that
    holds most of the column titles."""
    best: tuple[int | None, int, dict[str, int]] = (None, 0, {})
    wanted = {title: key for key, title in COLUMNS.items()}
    for index, values in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = {}
        for col, value in enumerate(values):
            key = wanted.get(_title_key(value))
            if key and key not in found:
                found[key] = col
        if len(found) > best[1]:
            best = (index, len(found), found)
    return best


def clean_text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def split_units(value) -> list[str]:
    """'区住建局、\\n区发改局，中燃公司' → ['区住建局', '区发改局', '中燃公司']"""
    names = []
    for piece in UNIT_SEPARATORS.split(clean_text(value)):
        name = piece.strip()
        if name and name not in names:
            names.append(name)
    return names


def parse_deadline(value, year: int) -> tuple[str, dt.date, bool]:
    """(deadline label, due date, ongoing) of one 时间进度 cell; ValueError
    with a Chinese message when the cell is none of M月底, a date, 全年."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _date_label(value), value, False
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "")
    if text == WHOLE_YEAR:
        return WHOLE_YEAR, dt.date(year, 12, 31), True
    if match := MONTH_END_PATTERN.match(text):
        month = int(match.group(1))
        if 1 <= month <= 12:
            day = calendar.monthrange(year, month)[1]
            return f"{month}月底", dt.date(year, month, day), False
    for pattern in DATE_PATTERNS:
        if match := pattern.match(text):
            parts = match.groupdict()
            try:
                due = dt.date(int(parts.get("y") or year), int(parts["m"]), int(parts["d"]))
            except ValueError:
                break
            return _date_label(due), due, False
    if not text:
        raise ValueError("时间进度为空；应为“M月底”、日期或“全年”。")
    raise ValueError(f"无法识别的时间进度“{clean_text(value)}”；应为“M月底”（如 7月底）、日期或“全年”。")


def _date_label(due: dt.date) -> str:
    if due.day == calendar.monthrange(due.year, due.month)[1]:
        return f"{due.month}月底"
    return f"{due.month}月{due.day}日"


def _parse_code(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "")
    text = text.rstrip(".、")
    return text if CODE_PATTERN.match(text) else None


def parse_grid(grid: list[tuple], *, year: int | None = None) -> Annex:
    """Apply the annex rules to the sheet's values. Never raises for bad
    content: every problem is collected, with its row and column."""
    annex = Annex()
    header_index, found_count, columns = _find_header(grid)
    if not any(grid):
        annex.errors.append(Problem("工作表是空的，没有任何内容。"))
        return annex
    if found_count < len(COLUMNS):
        missing = "、".join(f"「{title}」" for key, title in COLUMNS.items() if key not in columns)
        if found_count >= 2:
            annex.errors.append(Problem(f"表头缺少必需的列：{missing}。", row=header_index + 1))
        else:
            titles = "、".join(COLUMNS.values())
            annex.errors.append(
                Problem(f"找不到表头行：前 {HEADER_SEARCH_ROWS} 行中没有一行包含列标题 {titles}。")
            )
        return annex

    _read_title(annex, grid[:header_index], year)
    if annex.year is None:
        annex.errors.append(Problem("无法确定计划年度：标题行中没有“20XX年度”，请在导入时指定年度。"))
        return annex

    try:
        validate_plan_year(annex.year)
    except ValidationError as e:
        annex.errors.append(Problem(e.messages[0]))
        return annex
    if annex.errors:  # the title
        return annex

    data_rows = [(i + 1, values) for i, values in enumerate(grid) if i > header_index and values]
    state = _RowState()
    for row_number, values in data_rows:
        _parse_row(annex, state, row_number, values, columns)
    if not annex.rows and not annex.errors:
        annex.errors.append(Problem("表头下面没有任何指标行。", row=header_index + 1))
    return annex


def _read_title(annex: Annex, title_rows: list[tuple], year: int | None) -> None:
    titled = [
        (row, text)
        for row, values in enumerate(title_rows, start=1)
        for text in (clean_text(v) for v in values if isinstance(v, str))
        if YEAR_PATTERN.search(text)
    ]
    row, annex.title = titled[0] if titled else (None, "")
    if year is not None:
        annex.year = year
        if titled:
            # The 2019 annex imported as plan 2026 is titled 萧山区2026年度…
            own = YEAR_PATTERN.search(annex.title).group(1)
            annex.title = YEAR_PATTERN.sub(
                lambda m: m.group(0).replace(own, str(year)) if m.group(1) == own else m.group(0), annex.title
            )
    elif titled:
        annex.year = int(YEAR_PATTERN.search(annex.title).group(1))
    limit = Plan._meta.get_field("title").max_length
    if len(annex.title) > limit:
        annex.errors.append(Problem(_too_long("标题", len(annex.title), limit), row=row))
        annex.title = ""


def _too_long(what: str, length: int, limit: int) -> str:
    return f"{what}过长：共 {length} 个字符，上限为 {limit} 个字符。"


@dataclass
class _RowState:
    category: str = ""
    numbered: str | None = None  # code of the last numbered row
    sub_count: int = 0
    seen: dict[str, int] = field(default_factory=dict)  # code → sheet row


def _cell(values: tuple, columns: dict[str, int], key: str):
    index = columns[key]
    return values[index] if index < len(values) else None


def _parse_row(annex: Annex, state: _RowState, row: int, values: tuple, columns) -> None:
    def problem(key: str, message: str) -> Problem:
        return Problem(message, row=row, column=COLUMNS[key], letter=get_column_letter(columns[key] + 1))

    cells = {key: _cell(values, columns, key) for key in COLUMNS}
    if all(_is_blank(v) for v in cells.values()):
        return  # a row with content only outside the table's columns
    errors_before = len(annex.errors)
    for key, value in cells.items():
        if isinstance(value, Formula):
            formula = value.text if len(value.text) <= 40 else value.text[:40] + "…"
            annex.errors.append(
                problem(
                    key,
                    f"单元格是公式（{formula}），但文件中没有它的计算结果（文件由不计算公式的程序生成）："
                    "请在 Excel 中打开并保存后再导入，或把公式改成数值。",
                )
            )
        elif (length := len(clean_text(value))) > CELL_LIMITS[key]:
            annex.errors.append(problem(key, _too_long("内容", length, CELL_LIMITS[key])))
    if len(annex.errors) > errors_before:
        return  # nothing else is read from such a row (a value never echoes at length)

    raw_code = cells["code"]
    parent = None
    if _is_blank(raw_code):
        # An unnumbered row is a sub-item of the numbered row above it.
        if state.numbered is None:
            annex.errors.append(problem("code", "序号为空，且上方没有带序号的指标可归属。"))
            code = ""
        else:
            state.sub_count += 1
            parent = state.numbered
            code = f"{parent}-{state.sub_count}"
    else:
        code = _parse_code(raw_code) or ""
        if not code:
            annex.errors.append(
                problem("code", f"序号“{clean_text(raw_code)}”格式不对，应为数字（如 17）或 17-1。")
            )
        elif "-" in code:
            parent = code.split("-")[0]
            if parent not in state.seen:
                annex.errors.append(problem("code", f"子项 {code} 的上级指标 {parent} 不在它的上方。"))
            elif parent == state.numbered:
                state.sub_count = max(state.sub_count, int(code.split("-")[1]))
        else:
            state.numbered, state.sub_count = code, 0
    if len(code) > CELL_LIMITS["code"]:  # a sub-item's code is its parent's and more
        annex.errors.append(problem("code", _too_long(f"序号 {code} ", len(code), CELL_LIMITS["code"])))
        code = ""
    if code and code in state.seen:
        annex.errors.append(problem("code", f"序号 {code} 重复（第{state.seen[code]}行已有）。"))
    elif code:
        state.seen[code] = row

    category = clean_text(cells["category"]).rstrip("。").strip()
    if category:
        state.category = category
    elif state.category:
        category = state.category  # a merged cell reads as blank
    else:
        annex.errors.append(problem("category", "指标名称为空，且上方没有可沿用的指标名称。"))

    task_text = clean_text(cells["task_text"])
    if not task_text:
        annex.errors.append(problem("task_text", "目标任务为空。"))

    lead = split_units(cells["lead"])
    responsible = split_units(cells["responsible"])
    for key, names in (("lead", lead), ("responsible", responsible)):
        for name in names:
            if len(name) > UNIT_NAME_LIMIT:
                annex.errors.append(
                    problem(key, _too_long(f"单位名称“{name[:20]}…”", len(name), UNIT_NAME_LIMIT))
                )
    if not lead and not responsible:
        annex.errors.append(problem("lead", "牵头单位和责任单位都为空：每个指标都需要落实单位。"))
    elif not lead:
        # Every item needs an accountable owner.
        lead, responsible = responsible, []
        annex.warnings.append(problem("lead", f"牵头单位为空，已将责任单位“{'、'.join(lead)}”作为牵头单位。"))

    try:
        deadline_label, due_date, ongoing = parse_deadline(cells["deadline"], annex.year)
    except ValueError as e:
        annex.errors.append(problem("deadline", str(e)))
    else:
        if due_date.year != annex.year:
            annex.warnings.append(
                problem("deadline", f"截止日期 {day_text(due_date)} 不在计划年度 {annex.year} 年内。")
            )

    if len(annex.errors) == errors_before:
        annex.rows.append(
            AnnexRow(
                row=row,
                code=code,
                parent=parent,
                category=category,
                task_text=task_text,
                lead=lead,
                responsible=responsible,
                deadline_label=deadline_label,
                due_date=due_date,
                ongoing=ongoing,
            )
        )
