"""The admin's annex import page: errors as a table, the summary next to
the confirm button, unchanged rows folded away, linked from the index."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators.models import Indicator

from . import workbooks

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:indicators_indicator_import")


def upload(client, data: bytes):
    return client.post(IMPORT_URL, {"import_file": SimpleUploadedFile("annex.xlsx", data), "format": "0"})


def error_lines(page: str) -> list[list[str]]:
    table = page.split('<table class="annex-errors">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_it_lists_each_error_of_a_bad_workbook_on_its_own_line(client, admin_user, units):
    client.force_login(admin_user)
    titles, rows = workbooks.original_rows()
    rows[5][2] = ""  # sheet row 9: no task text …
    rows[5][5] = "年中"  # … and a deadline nobody can read
    rows[6][0] = "abc"  # sheet row 10: a code that is no number

    response = upload(client, workbooks.build(rows, title_rows=titles))

    assert response.status_code == 200
    page = response.content.decode()
    assert error_lines(page) == [
        ["9", "C", "目标任务", "目标任务为空。"],
        ["9", "F", "时间进度", "无法识别的时间进度“年中”；应为“M月底”（如 7月底）、日期或“全年”。"],
        ["10", "A", "序号", "序号“abc”格式不对，应为数字（如 17）或 17-1。"],
    ]
    assert "附件表有 3 处错误，未导入任何内容" in page
    assert "某些行验数据证失败" not in page
    assert "validation-error-count" not in page, "no badge whose message shows only on hover"
    assert "confirm_form" not in response.context
    assert not Indicator.objects.exists()


def test_it_puts_the_summary_before_confirm_and_folds_unchanged_rows(client, admin_user, plan_2019):
    client.force_login(admin_user)
    titles, rows = workbooks.original_rows()
    rows[0][4] = "各区级部门、区新设局"  # a change and a new unit

    page = upload(client, workbooks.build(rows, title_rows=titles)).content.decode()

    confirm_at = page.index('id="annex-confirm"')
    for part in ('id="annex-summary"', "区新设局（单位）", 'class="annex-warnings"'):
        assert page.index(part) < confirm_at, part
    assert '更新 <strong class="annex-update">1</strong>' in page
    changed = page.split('id="annex-changed"')[1].split("</table>")[0]
    assert changed.count('<tr class="update">') == 1 and '<tr class="skip">' not in changed
    unchanged = page.split('<details id="annex-unchanged">')[1].split("</details>")[0]
    assert "未变的指标（53 项），点击展开" in unchanged
    assert unchanged.count('<tr class="skip">') == 53


def test_it_shows_the_2019_annex_with_aliases_and_warnings_above_confirm(client, admin_user, units):
    client.force_login(admin_user)

    page = upload(client, workbooks.original_bytes()).content.decode()

    confirm_at = page.index('id="annex-confirm"')
    assert page.index("区卫健局 → 区卫生健康局") < confirm_at
    assert page.index("第8行D列「牵头单位」：牵头单位为空") < confirm_at
    assert page.index('value="确认导入"') > page.index('id="annex-summary"')
    assert "没有新增或更新的指标" not in page
    assert 'id="annex-unchanged"' not in page, "nothing unchanged on a first import"


def test_it_links_the_import_from_the_admin_index(client, admin_user, office):
    client.force_login(admin_user)
    assert IMPORT_URL in client.get(reverse("admin:index")).content.decode()
    client.force_login(office)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200 and IMPORT_URL not in index.content.decode()
