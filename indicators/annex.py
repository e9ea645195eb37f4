"""Reads the annex workbook (附件：改革工作指标和时间安排) into plain rows.

This module knows the table and its rules (see docs/annex-import.md); it
touches no database. `indicators.services.annex_import` writes what it reads,
for both the Django admin and the `import_annex` command.

    grid = read_grid(uploaded_bytes)          # AnnexFileError if not readable
    annex = parse_grid(grid, year=None)       # rows, warnings, errors
"""

import calendar
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from openpyxl.utils import get_column_letter

# Column key → the title it has in the header row.
COLUMNS: dict[str, str] = {
    "code": "序号",
    "category": "指标名称",
    "task_text": "目标任务",
    "lead": "牵头单位",
    "responsible": "责任单位",
    "deadline": "时间进度",
}
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
    """The cell values of the workbook's annex sheet, row by row.

    Raises AnnexFileError for anything that is not a readable .xlsx within the
    size limit. openpyxl parses through defusedxml when it is installed."""
    if len(data) > settings.ANNEX_MAX_UPLOAD_BYTES:
        limit_mb = settings.ANNEX_MAX_UPLOAD_BYTES / 1024 / 1024
        raise AnnexFileError(f"文件过大：上限为 {limit_mb:g} MB。")
    if not data:
        raise AnnexFileError("文件是空的。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise AnnexFileError("这不是 Excel 工作簿（.xlsx）文件；旧版 .xls 请先在 Excel 中另存为 .xlsx。")

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged package
        raise AnnexFileError(f"无法读取该 Excel 工作簿（文件可能已损坏）：{type(e).__name__}") from e
    try:
        sheets = book.worksheets
        if not sheets:
            raise AnnexFileError("工作簿中没有工作表。")
        # The annex sheet is the first one that has the header; else the first.
        for sheet in sheets:
            grid = _sheet_values(sheet)
            if _find_header(grid)[1] == len(COLUMNS):
                return grid
        return _sheet_values(sheets[0])
    finally:
        book.close()


def _sheet_values(sheet) -> list[tuple]:
    grid: list[tuple] = []
    blank_run = 0
    for values in sheet.iter_rows(values_only=True):
        if all(_is_blank(v) for v in values):
            blank_run += 1
            if blank_run > BLANK_RUN_LIMIT and grid:
                break
            grid.append(())
            continue
        blank_run = 0
        grid.append(values)
    while grid and not grid[-1]:
        grid.pop()
    return grid


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

    data_rows = [(i + 1, values) for i, values in enumerate(grid) if i > header_index and values]
    if len(data_rows) > settings.ANNEX_MAX_ROWS:
        annex.errors.append(
            Problem(f"数据行过多：共 {len(data_rows)} 行，上限为 {settings.ANNEX_MAX_ROWS} 行。")
        )
        return annex

    state = _RowState()
    for row_number, values in data_rows:
        _parse_row(annex, state, row_number, values, columns)
    if not annex.rows and not annex.errors:
        annex.errors.append(Problem("表头下面没有任何指标行。", row=header_index + 1))
    return annex


def _read_title(annex: Annex, title_rows: list[tuple], year: int | None) -> None:
    texts = [clean_text(v) for values in title_rows for v in values if not _is_blank(v)]
    titled = [t for t in texts if YEAR_PATTERN.search(t)]
    annex.title = titled[0] if titled else ""
    if year is not None:
        annex.year = year
    elif titled:
        annex.year = int(YEAR_PATTERN.search(titled[0]).group(1))


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
                problem("deadline", f"截止日期 {due_date:%Y-%m-%d} 不在计划年度 {annex.year} 年内。")
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
