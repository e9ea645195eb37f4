"""Adding a 联络员 in the admin in one step: unit, account, e-mail, phone."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from departments.models import Membership, Unit

pytestmark = pytest.mark.django_db
User = get_user_model()
ADD_URL = reverse("admin:departments_membership_add")


def _post(client, unit, **overrides):
    data = {
        "unit": unit.pk,
        "username": "wang",
        "full_name": "王联络",
        "email": "wang@example.com",
        "phone": "0571-82345678",
        "password": "Xiaoshan-2019-pw",
    }
    data.update(overrides)
    return client.post(ADD_URL, data)


def test_it_adds_a_contact_with_account_email_and_phone_in_one_form(client, admin_user, units):
    client.force_login(admin_user)
    unit = Unit.objects.get(name="区数管局")
    page = client.get(ADD_URL).content.decode()
    for label in ("用户名", "姓名", "邮箱", "联系电话", "初始密码"):
        assert label in page

    response = _post(client, unit)

    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(unit=unit, user__username="wang")
    assert membership.phone == "0571-82345678"
    assert membership.user.email == "wang@example.com"
    assert membership.user.first_name == "王联络"
    assert membership.user.check_password("Xiaoshan-2019-pw")
    assert membership.history.get().history_user == admin_user


def test_it_refuses_an_office_account_in_chinese_and_writes_nothing(client, admin_user, office, units):
    client.force_login(admin_user)
    unit = Unit.objects.get(name="区数管局")

    response = _post(client, unit, username=office.username)

    assert response.status_code == 200
    assert "该账号属于跑改办、区领导或管理员，不能设为单位联络员。" in response.content.decode()
    assert not Membership.objects.filter(user=office).exists()


def test_it_asks_a_new_account_for_a_password(client, admin_user, units):
    client.force_login(admin_user)

    response = _post(client, Unit.objects.get(name="区数管局"), password="")

    assert "新账号请设置初始密码。" in response.content.decode()
    assert not User.objects.filter(username="wang").exists()
