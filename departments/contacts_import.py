"""联络员 from Excel, all or nothing: a workbook with the columns 单位, 姓名,
用户名, 邮箱, 电话 (header in the first row, any order) is read, checked row
by row, then applied through `services.membership_create` in one
transaction. The preview runs the same transaction and rolls it back, so it
shows exactly what the import will do, or every error with its row.

New accounts get a generated initial password, shown once on the result
page for the office to hand over (never stored in clear, never logged); the
person changes it at 修改密码. An existing unit staff account joins the unit
with its password untouched."""

import io
import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from . import services
from .forms import phone_validator
from .models import Unit, UnitAlias

HEADERS = {"单位": "unit", "姓名": "full_name", "用户名": "username", "邮箱": "email", "电话": "phone"}
MAX_ROWS = 2000
MAX_BYTES = 1024 * 1024
User = get_user_model()


class Rollback(Exception):
    """Undo a preview's writes."""


@dataclass
class ContactRow:
    row: int
    unit_name: str
    full_name: str
    username: str
    email: str
    phone: str
    unit: Unit | None = None
    new_account: bool = False
    password: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class ContactImport:
    rows: list[ContactRow]
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_rows(data: bytes) -> ContactImport:
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        grid = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    except Exception:  # openpyxl raises many kinds on a file that is no workbook
        return ContactImport([], [_("无法读取该文件，请上传 Excel 工作簿（.xlsx）。")])
    if not grid:
        return ContactImport([], [_("工作表是空的。")])
    header = [_text(v) for v in grid[0]]
    missing = [title for title in HEADERS if title not in header]
    if missing:
        return ContactImport([], [_("第一行缺少列：%(columns)s。") % {"columns": "、".join(missing)}])
    if len(grid) - 1 > MAX_ROWS:
        return ContactImport([], [_("一次最多导入 %(max)s 行。") % {"max": MAX_ROWS}])
    index = {key: header.index(title) for title, key in HEADERS.items()}
    rows = []
    for number, values in enumerate(grid[1:], start=2):
        cells = {key: _text(values[i] if i < len(values) else None) for key, i in index.items()}
        if not any(cells.values()):
            continue
        rows.append(
            ContactRow(
                number, cells["unit"], cells["full_name"], cells["username"], cells["email"], cells["phone"]
            )
        )
    if not rows:
        return ContactImport([], [_("工作表中没有联络员。")])
    return ContactImport(rows)


def _check(row: ContactRow, units: dict[str, Unit], aliases: dict[str, str]) -> None:
    name = aliases.get(row.unit_name, row.unit_name)
    row.unit = units.get(name)
    if not row.unit_name:
        row.errors.append(_("单位为空。"))
    elif row.unit is None:
        row.errors.append(_("没有名为“%(name)s”的单位。") % {"name": row.unit_name})
    if not row.username:
        row.errors.append(_("用户名为空。"))
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("邮箱“%(email)s”格式不对。") % {"email": row.email})
    if row.phone:
        try:
            phone_validator(row.phone)
        except ValidationError as error:
            row.errors.extend(error.messages)


def contacts_import(*, data: bytes, by, dry_run: bool) -> ContactImport:
    """Read, check and (unless `dry_run`) write; on any error nothing is written."""
    result = read_rows(data)
    if result.file_errors:
        return result
    units = {unit.name: unit for unit in Unit.objects.all()}
    aliases = UnitAlias.objects.as_dict()
    for row in result.rows:
        _check(row, units, aliases)
    if not result.ok:
        return result
    try:
        with transaction.atomic():
            for row in result.rows:
                password = secrets.token_urlsafe(9)
                row.new_account = not User.objects.filter(username=row.username).exists()
                try:
                    services.membership_create(
                        unit=row.unit,
                        by=by,
                        username=row.username,
                        full_name=row.full_name,
                        email=row.email,
                        phone=row.phone,
                        password=password,
                    )
                except ValidationError as error:
                    row.errors.extend(error.messages)
                    continue
                row.password = password if row.new_account and not dry_run else ""
            if dry_run or not result.ok:
                raise Rollback
    except Rollback:
        pass
    if not result.ok:
        for row in result.rows:
            row.password = ""
    return result
