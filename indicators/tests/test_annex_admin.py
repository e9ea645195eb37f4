"""The annex through the Django admin: upload → preview → confirm, export."""

import datetime as dt
import io
import os
import time

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import Indicator, Plan

from . import workbooks

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:indicators_indicator_import")
CONFIRM_URL = reverse("admin:indicators_indicator_process_import")
EXPORT_URL = reverse("admin:indicators_indicator_export")


def upload(client, data: bytes, name="annex.xlsx", **extra):
    return client.post(
        IMPORT_URL,
        {"import_file": SimpleUploadedFile(name, data), "format": "0", **extra},
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(CONFIRM_URL, {name: form.initial.get(name, "") or "" for name in form.fields})


def test_it_previews_then_imports_the_annex_for_an_admin(client, admin_user, units):
    client.force_login(admin_user)

    preview = upload(client, workbooks.original_bytes())

    assert preview.status_code == 200
    assert not Indicator.objects.exists(), "the preview must not write"
    result = preview.context["result"]
    assert result.totals["new"] == 54
    page = preview.content.decode()
    assert "2019 年度计划" in page
    assert "第8行D列「牵头单位」：牵头单位为空" in page
    assert "区卫健局 → 区卫生健康局" in page

    done = confirm(client, preview)

    assert done.status_code == 302
    assert Indicator.objects.filter(plan__year=2019).count() == 54
    again = upload(client, workbooks.original_bytes())
    assert again.context["result"].totals == {
        "new": 0,
        "update": 0,
        "delete": 0,
        "skip": 54,
        "error": 0,
        "invalid": 0,
    }


def test_it_shows_new_units_and_takes_the_year_from_the_form(client, admin_user, units):
    client.force_login(admin_user)
    _, rows = workbooks.original_rows()
    rows[0][4] = "各区级部门、区新设局"

    preview = upload(client, workbooks.build(rows), year="2020")

    assert "区新设局（单位）" in preview.content.decode()
    confirm(client, preview)
    assert Plan.objects.get().year == 2020
    assert Indicator.objects.get(code="1").due_date.isoformat() == "2020-07-31"


def test_it_shows_row_errors_and_offers_no_confirm(client, admin_user, units):
    client.force_login(admin_user)
    titles, rows = workbooks.original_rows()
    rows[5][5] = "年中"

    preview = upload(client, workbooks.build(rows, title_rows=titles))

    assert "confirm_form" not in preview.context
    page = preview.content.decode()
    assert "时间进度" in page and "无法识别的时间进度“年中”" in page
    assert preview.context["result"].invalid_rows[0].number == 9
    assert not Indicator.objects.exists()


def test_it_refuses_a_file_that_is_not_a_workbook_in_chinese(client, admin_user, units):
    client.force_login(admin_user)

    response = upload(client, b"MZ\x90\x00 program", name="annex.xlsx")

    assert "这不是 Excel 工作簿" in response.content.decode()
    response = upload(client, b"a,b,c", name="annex.csv")
    assert "请上传 Excel 工作簿（.xlsx）" in response.content.decode()


def test_it_refuses_an_oversized_upload(client, admin_user, units, settings):
    settings.ANNEX_MAX_UPLOAD_BYTES = 1024
    client.force_login(admin_user)

    response = upload(client, workbooks.original_bytes())

    assert "文件过大" in response.content.decode()
    assert not Indicator.objects.exists()


def test_it_refuses_import_to_staff_without_the_permission(client, office, units):
    """The reform office may edit the plan in the admin, but not bulk-import."""
    client.force_login(office)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, workbooks.original_bytes()).status_code == 403
    assert not Indicator.objects.exists()


def test_it_allows_import_once_the_permission_is_granted(client, office, units):
    office.user_permissions.add(Permission.objects.get(codename="import_indicator"))
    client.force_login(office)

    assert client.get(IMPORT_URL).status_code == 200


def export(client, **params):
    response = client.post(
        EXPORT_URL + "?" + "&".join(f"{k}={v}" for k, v in params.items()),
        {
            "format": "0",
            "resource": "0",
            **{
                f"indicatorresource_{f}": "on"
                for f in ("code", "category", "task_text", "lead", "responsible", "deadline_label")
            },
        },
    )
    assert response.status_code == 200, response.content[:500]
    return response.content


def test_it_exports_the_annex_layout_that_imports_back_unchanged(client, admin_user, plan_2019):
    client.force_login(admin_user)

    data = export(client, plan__id__exact=plan_2019.pk)

    sheet = load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "萧山区2019年度“最多跑一次”改革工作指标和时间安排"
    assert rows[1] == workbooks.HEADER
    assert rows[2] == ["1", "夯实事项基础", rows[2][2], "区办事服务中心", "各区级部门", "7月底"]
    assert rows[3][4] == "各区级部门、各镇人民政府、各街道办事处"
    preview = upload(client, data)
    assert preview.context["result"].totals["skip"] == 54


def test_it_exports_text_that_can_never_become_a_formula(client, admin_user, plan_2019):
    Indicator.objects.filter(code="1").update(task_text='=HYPERLINK("http://evil","x")')
    Indicator.objects.filter(code="2").update(task_text="+1+2")
    Indicator.objects.filter(code="3").update(task_text="@SUM(A1)")
    Indicator.objects.filter(code="4").update(task_text="-3")
    client.force_login(admin_user)

    sheet = load_workbook(io.BytesIO(export(client, plan__id__exact=plan_2019.pk))).active

    for row in (3, 4, 5, 6):
        cell = sheet.cell(row=row, column=3)
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
    assert sheet.cell(row=3, column=3).value == '=HYPERLINK("http://evil","x")'
    assert sheet.cell(row=7, column=3).quotePrefix is False


def test_it_refuses_export_without_the_permission(client, leader, plan_2019):
    leader.is_staff = True
    leader.save()
    client.force_login(leader)

    assert client.get(EXPORT_URL).status_code == 403


UPLOADS = "django-import-export"


def stored_uploads(media_root) -> list[str]:
    folder = media_root / UPLOADS
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_it_refuses_a_cut_off_sheet_in_chinese(client, admin_user, units):
    client.force_login(admin_user)

    response = upload(client, workbooks.truncated_sheet(workbooks.original_bytes()))

    assert response.status_code == 200
    page = response.content.decode()
    assert "工作表内容已损坏，无法读取（ParseError）" in page
    assert "encountered while trying to read file" not in page


def test_it_shows_an_over_long_value_as_a_row_error_not_a_server_error(client, admin_user, units):
    client.force_login(admin_user)
    _, rows = workbooks.original_rows()
    rows[0][1] = "指" * 201

    response = upload(client, workbooks.build(rows), year="2019")

    assert response.status_code == 200
    assert "内容过长：共 201 个字符，上限为 200 个字符。" in response.content.decode()
    assert "confirm_form" not in response.context
    assert not Indicator.objects.exists()


def test_it_answers_a_second_confirm_of_the_same_upload_with_a_message(client, admin_user, units):
    client.force_login(admin_user)
    preview = upload(client, workbooks.original_bytes())
    assert confirm(client, preview).status_code == 302

    again = confirm(client, preview)  # browser back, confirm again

    assert again.status_code == 302
    assert again["Location"] == IMPORT_URL
    page = client.get(again["Location"]).content.decode()
    assert "导入文件已处理或已过期，请重新上传。" in page
    assert Indicator.objects.count() == 54


def test_it_answers_a_confirm_naming_no_stored_upload_with_a_message(client, admin_user, units):
    client.force_login(admin_user)
    preview = upload(client, workbooks.original_bytes())
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") or "" for name in form.fields}

    for name in ("../../settings.py", "0" * 32):
        response = client.post(CONFIRM_URL, {**data, "import_file_name": name})
        assert response.status_code == 302
        assert response["Location"] == IMPORT_URL
    assert not Indicator.objects.exists()


def test_it_removes_a_refused_upload_and_keeps_one_waiting_for_confirm(client, admin_user, units, media_root):
    client.force_login(admin_user)
    titles, rows = workbooks.original_rows()
    rows[5][5] = "年中"

    upload(client, workbooks.build(rows, title_rows=titles))  # row errors
    upload(client, b"MZ\x90\x00 program")  # not a workbook
    assert stored_uploads(media_root) == []

    preview = upload(client, workbooks.original_bytes())
    assert stored_uploads(media_root) == [preview.context["confirm_form"].initial["import_file_name"]]
    confirm(client, preview)
    assert stored_uploads(media_root) == []


def test_it_sweeps_uploads_older_than_a_day_on_the_next_upload(client, admin_user, units, media_root):
    client.force_login(admin_user)
    with time_machine.travel(dt.datetime(2019, 7, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        now = time.time()
        folder = media_root / UPLOADS
        folder.mkdir(parents=True)
        for name, age_hours in (("a" * 32, 25), ("b" * 32, 23)):
            (folder / name).write_bytes(b"abandoned preview")
            os.utime(folder / name, (now - age_hours * 3600, now - age_hours * 3600))

        preview = upload(client, workbooks.original_bytes())

    waiting = preview.context["confirm_form"].initial["import_file_name"]
    assert stored_uploads(media_root) == sorted(["b" * 32, waiting])


def test_it_refuses_a_year_out_of_the_plan_range_with_the_commands_message(client, admin_user, units):
    client.force_login(admin_user)

    response = upload(client, workbooks.original_bytes(), year="1999")

    assert "计划年度 1999 超出范围：应在 2000 到 2100 年之间。" in response.content.decode()
    assert not Indicator.objects.exists()


def test_it_exports_a_target_task_of_excels_cell_limit_that_imports_back_unchanged(
    client, admin_user, plan_2019
):
    Indicator.objects.filter(code="1").update(task_text="长" * 32_767)
    client.force_login(admin_user)

    preview = upload(client, export(client, plan__id__exact=plan_2019.pk))

    assert preview.context["result"].totals["update"] == 0
    assert preview.context["result"].totals["skip"] == 54
