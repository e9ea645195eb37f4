"""联络员 from Excel in the admin: preview, then all or nothing."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from departments.models import Membership

pytestmark = pytest.mark.django_db
User = get_user_model()
URL = reverse("admin:departments_membership_import")
HEADER = ["单位", "姓名", "用户名", "邮箱", "电话"]


def workbook(rows, header=HEADER) -> SimpleUploadedFile:
    book = Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("contacts.xlsx", buffer.getvalue())


GOOD = [
    ["区数管局", "王联络", "wang", "wang@example.com", "0571-82345678"],
    ["区卫健局", "李联络", "li", "", "13800000000"],  # an alias of 区卫生健康局
]


def test_it_previews_then_imports_every_contact_with_a_password_shown_once(client, admin_user, units):
    client.force_login(admin_user)

    preview = client.post(URL, {"workbook": workbook(GOOD)})

    page = preview.content.decode()
    assert "将导入 2 名联络员" in page and "区卫生健康局" in page
    assert not User.objects.filter(username__in=["wang", "li"]).exists(), "the preview writes nothing"

    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    done = client.post(URL, {"token": token}).content.decode()

    assert "已导入 2 名联络员。" in done
    wang = Membership.objects.get(user__username="wang")
    assert (wang.unit.name, wang.phone, wang.user.email) == ("区数管局", "0571-82345678", "wang@example.com")
    assert Membership.objects.get(user__username="li").unit.name == "区卫生健康局"
    passwords = re.findall(r"<code>([^<]+)</code>", done)
    assert len(passwords) == 2
    assert wang.user.check_password(passwords[0])


def test_it_lists_every_error_and_writes_nothing(client, admin_user, office, units):
    client.force_login(admin_user)
    rows = [
        *GOOD,
        ["区不存在局", "赵", "zhao", "not-an-email", ""],
        ["区数管局", "跑改办", office.username, "", ""],
    ]

    page = client.post(URL, {"workbook": workbook(rows)}).content.decode()

    assert "有错误，未导入任何内容" in page
    assert "没有名为“区不存在局”的单位。" in page
    assert "邮箱“not-an-email”格式不对。" in page
    assert 'name="token"' not in page
    assert not User.objects.filter(username__in=["wang", "li", "zhao"]).exists()


def test_it_refuses_a_service_error_found_only_when_writing_and_writes_nothing(
    client, admin_user, office, units
):
    client.force_login(admin_user)

    page = client.post(URL, {"workbook": workbook([*GOOD, ["区数管局", "跑改办", office.username, "", ""]])})

    assert "该账号属于跑改办、区领导或管理员，不能设为单位联络员。" in page.content.decode()
    assert not User.objects.filter(username__in=["wang", "li"]).exists()
    assert not Membership.objects.filter(user=office).exists()


def test_it_names_missing_columns(client, admin_user, units):
    client.force_login(admin_user)

    page = client.post(URL, {"workbook": workbook(GOOD, header=["单位", "姓名", "账号"])}).content.decode()

    assert "第一行缺少列：用户名、邮箱、电话。" in page


def test_it_refuses_the_import_to_the_office_without_the_permission(client, office):
    client.force_login(office)
    assert client.get(URL).status_code in (302, 403)
