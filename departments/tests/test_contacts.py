"""单位联络员: the reform office adds, edits and removes units' staff
accounts in the portal; nobody else may."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from pytest_django.asserts import assertContains

from departments import services
from departments.models import Membership, Unit

User = get_user_model()


@pytest.fixture
def sgj(units):
    return Unit.objects.get(name="区数管局")


def _add(unit, by, **overrides):
    data = {
        "username": "wang",
        "full_name": "王联络",
        "email": "wang@example.com",
        "phone": "0571-82345678",
        "password": "Xiaoshan-2019-pw",
    }
    data.update(overrides)
    return services.membership_create(unit=unit, by=by, **data)


# The services


def test_it_creates_an_account_for_a_new_contact(sgj, office):
    membership = _add(sgj, office)
    user = membership.user
    assert (user.username, user.first_name, user.email, membership.phone) == (
        "wang",
        "王联络",
        "wang@example.com",
        "0571-82345678",
    )
    assert user.check_password("Xiaoshan-2019-pw") and user.is_active and not user.is_staff
    record = membership.history.get()
    assert (record.history_user, record.history_change_reason) == (office, "添加联络员")


def test_it_adds_an_existing_units_staff_to_another_unit_untouched(sgj, office, other_staff):
    membership = _add(sgj, office, username="bszx", full_name="别的名字", email="x@example.com", password="")
    other_staff.refresh_from_db()
    assert set(other_staff.memberships.values_list("unit__name", flat=True)) == {"区办事服务中心", "区数管局"}
    assert other_staff.email == "bszx@example.com" and other_staff.check_password("pw-bszx")
    assert membership.phone == "0571-82345678"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"password": ""}, "password"),  # a new account needs its first password
        ({"password": "123"}, None),  # Django's validators: too short, too common, numeric
        ({"username": "sgj"}, "username"),  # already this unit's
        ({"username": "office"}, "username"),  # the reform office is no unit's staff
        ({"username": "leader"}, "username"),
    ],
)
def test_it_refuses_what_would_make_a_wrong_contact(sgj, office, leader, staff, overrides, code):
    before = (User.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError) as refused:
        _add(sgj, office, **overrides)
    if code:
        assert refused.value.code == code
    assert (User.objects.count(), Membership.objects.count()) == before


def test_it_refuses_a_group_as_a_contacts_unit(units, office):
    with pytest.raises(ValidationError, match="单位组不能设联络员"):
        _add(Unit.objects.groups().first(), office)


def test_it_changes_email_and_phone_with_who_and_what_in_the_history(sgj, office, staff):
    membership = staff.memberships.get()
    services.membership_update(membership=membership, by=office, email="new@example.com", phone="13800000000")
    staff.refresh_from_db()
    membership.refresh_from_db()
    assert (staff.email, membership.phone) == ("new@example.com", "13800000000")
    record = membership.history.order_by("-history_id").first()
    assert record.history_user == office
    assert record.history_change_reason == "邮箱 sgj@example.com → new@example.com；电话 — → 13800000000"


def test_it_deactivates_an_account_left_without_a_unit_and_reactivates_it_when_added_again(
    sgj, office, staff
):
    services.membership_remove(membership=staff.memberships.get(), by=office)
    staff.refresh_from_db()
    assert not staff.is_active and not staff.memberships.exists()
    assert Membership.history.filter(history_type="-").get().history_user == office

    _add(sgj, office, username="sgj", password="")
    staff.refresh_from_db()
    assert staff.is_active and staff.check_password("pw-sgj")


def test_it_keeps_an_account_with_another_unit_active(sgj, office, staff):
    _add(Unit.objects.get(name="区办事服务中心"), office, username="sgj", password="")
    services.membership_remove(membership=staff.memberships.get(unit=sgj), by=office)
    staff.refresh_from_db()
    assert staff.is_active


# The pages


def test_it_lists_every_unit_with_its_contacts(client, office, staff, sgj):
    Membership.objects.filter(user=staff).update(phone="0571-1234567")
    client.force_login(office)
    response = client.get(reverse("departments:contacts"))
    assertContains(response, "区数管局")
    assertContains(response, "sgj@example.com")
    assertContains(response, "0571-1234567")
    assertContains(response, "尚无联络员")  # most units of the directory
    assertContains(response, reverse("departments:contact_create", args=[sgj.pk]))


def test_it_adds_edits_and_removes_a_contact_through_the_pages(client, office, sgj):
    client.force_login(office)
    response = client.post(
        reverse("departments:contact_create", args=[sgj.pk]),
        {
            "username": "wang",
            "full_name": "王联络",
            "email": "wang@example.com",
            "phone": "13800000000",
            "password": "Xiaoshan-2019-pw",
        },
        follow=True,
    )
    assertContains(response, "已将 wang 设为区数管局联络员。")
    membership = Membership.objects.get(user__username="wang")

    response = client.post(
        reverse("departments:contact_edit", args=[membership.pk]),
        {"email": "wang2@example.com", "phone": "0571-82345678"},
        follow=True,
    )
    assertContains(response, "联络员信息已保存。")
    assertContains(response, "wang2@example.com")

    response = client.post(reverse("departments:contact_remove", args=[membership.pk]), follow=True)
    assertContains(response, "已将 wang 移出区数管局联络员。")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_it_shows_bad_input_at_its_field_and_writes_nothing(client, office, sgj):
    client.force_login(office)
    response = client.post(
        reverse("departments:contact_create", args=[sgj.pk]),
        {"username": "wang", "email": "not-an-address", "phone": "call me", "password": ""},
    )
    assert response.status_code == 200
    assertContains(response, "请填写有效的电话号码")
    assert response.context["form"].errors.keys() == {"email", "phone"}
    response = client.post(
        reverse("departments:contact_create", args=[sgj.pk]), {"username": "wang", "password": ""}
    )
    assertContains(response, "新账号请设置初始密码。")
    assert not User.objects.filter(username="wang").exists()


def test_it_lists_the_contacts_in_a_constant_number_of_queries(
    client, office, sgj, django_assert_max_num_queries
):
    client.force_login(office)
    counts = []
    for batch in range(2):
        for unit in Unit.objects.units()[: 10 + 30 * batch]:
            user = User.objects.create_user(username=f"u{batch}-{unit.pk}", email=f"{unit.pk}@example.com")
            Membership.objects.create(user=user, unit=unit, phone="13800000000")
        with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("departments:contacts")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# Who may


@pytest.fixture
def membership(staff):
    return staff.memberships.get()


def _outcome(response):
    if response.status_code == 302:
        location = response["Location"].split("#")[0]
        return "login" if location.startswith(reverse("login")) else resolve(location.split("?")[0]).view_name
    return response.status_code


@pytest.mark.parametrize(
    ("method", "name", "expected_office"),
    [
        ("get", "departments:contacts", 200),
        ("get", "departments:contact_create", 200),
        ("get", "departments:contact_edit", 200),
        ("post", "departments:contact_edit", "departments:contacts"),
        ("post", "departments:contact_remove", "departments:contacts"),
        ("get", "departments:contact_remove", 405),
    ],
)
def test_it_lets_only_the_office_and_admins_manage_contacts(
    client, sgj, membership, office, admin_user, staff, other_staff, leader, method, name, expected_office
):
    args = {"departments:contact_create": [sgj.pk], "departments:contacts": []}.get(name, [membership.pk])
    url = reverse(name, args=args)
    data = {"email": "sgj@example.com", "phone": ""} if name == "departments:contact_edit" else None
    refused = 405 if expected_office == 405 else 403
    expected = {
        "anonymous": "login" if refused == 403 else 405,
        "staff": refused,
        "other_staff": refused,
        "leader": refused,
        "office": expected_office,
        "admin_user": expected_office,
    }
    got = {}
    users = {
        "staff": staff,
        "other_staff": other_staff,
        "leader": leader,
        "office": office,
        "admin_user": admin_user,
    }
    for who in expected:
        client.logout()
        if who != "anonymous":
            client.force_login(users[who])
        if who in ("office", "admin_user") and name == "departments:contact_remove" and method == "post":
            Membership.objects.get_or_create(pk=membership.pk, defaults={"user": staff, "unit": sgj})
        got[who] = _outcome(getattr(client, method)(url, data))
    assert got == expected
    if refused == 403:
        assert Membership.objects.filter(pk=membership.pk).exists() or expected_office != 403
