"""The English catalog (locale/en): pages are in English once the user has
chosen it (the django_language cookie that /i18n/setlang/ sets), and stay in
Chinese otherwise, whatever the browser asks for. Data (unit names, indicator
texts) is never translated."""

import pytest
from django.conf import settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tasks.models import Task


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def staff_task(plan_2019, staff):
    return Task.objects.filter(unit__name="区数管局").select_related("indicator").order_by("pk").first()


def test_it_shows_the_login_page_in_english_with_the_cookie(english, db):
    page = english.get(reverse("login"))

    assert page.status_code == 200
    assertContains(page, '<html lang="en">')
    assertContains(
        page, "<title>Log in · Xiaoshan District “Run at Most Once” Reform Task Management</title>", html=True
    )
    assertContains(page, "Username")
    assertContains(page, "Password")
    assertContains(page, "Contact the District Reform Office")
    assertNotContains(page, "用户名")
    assertNotContains(page, "密码")


def test_it_switches_to_english_through_the_set_language_view(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": reverse("login")})

    assert response["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assertContains(client.get(reverse("login")), "Username")


def test_it_keeps_the_login_page_chinese_without_the_cookie(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assertContains(page, '<html lang="zh-hans">')
    assertContains(page, "用户名")
    assertNotContains(page, "Username")


def test_it_welcomes_in_english_after_logging_in(english, staff):
    response = english.post(reverse("login"), {"username": "sgj", "password": "pw-sgj"}, follow=True)

    assertContains(response, "Welcome, sgj.")
    assertContains(response, "Log out")


def test_it_shows_a_staff_member_their_units_tasks_in_english(english, staff, staff_task):
    english.force_login(staff)

    page = english.get(reverse("home"), follow=True)

    assert page.redirect_chain[-1][0] == reverse("tasks:mine")
    assertContains(
        page,
        "<title>My unit's tasks · Xiaoshan District “Run at Most Once” Reform Task Management</title>",
        html=True,
    )
    for words in [
        "Log out",
        "Due this month",
        "Not reported this month",
        "Target task",
        "Due date",
        "Status",
    ]:
        assertContains(page, words)
    assertContains(page, Task.Status(staff_task.status).label)  # a status badge, e.g. "Not started"
    assertContains(page, "days overdue")  # every 2019 deadline has passed
    # Data stays as entered: the indicator's category comes from the annex.
    assertContains(page, staff_task.indicator.category)
    assertNotContains(page, "本单位任务")
    assertNotContains(page, "未启动")


def test_it_shows_a_task_and_its_report_form_in_english(english, staff, staff_task):
    english.force_login(staff)

    page = english.get(reverse("tasks:detail", args=[staff_task.pk]))

    assert page.status_code == 200
    for words in [
        f"Indicator {staff_task.indicator.code}",
        "Your unit",
        "Report progress",
        "Progress",
        "Problems",
        "Next steps",
        "Evidence",
        "Submit report",
        "Other units on this indicator",
        "Change history",
    ]:
        assertContains(page, words)
    assertContains(page, "区数管局")  # a unit name, not translated
    assertNotContains(page, "报送进展")


def test_it_keeps_the_staff_pages_chinese_without_the_cookie(client, staff, staff_task):
    client.force_login(staff)

    mine = client.get(reverse("tasks:mine"), HTTP_ACCEPT_LANGUAGE="en")
    detail = client.get(reverse("tasks:detail", args=[staff_task.pk]), HTTP_ACCEPT_LANGUAGE="en")

    assertContains(mine, "本单位任务")
    assertContains(mine, "退出")
    assertNotContains(mine, "My unit's tasks")
    assertContains(detail, "报送进展")
    assertNotContains(detail, "Report progress")


def test_it_falls_back_to_chinese_for_a_language_not_offered(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    assertContains(client.get(reverse("login")), "用户名")
