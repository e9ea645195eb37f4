"""Words the office reads about reminders: tasks named by their text, days in
the interface language (never 2019-07-15 beside 2019年7月31日, never
2019年7月15日 on an English page), the 催办 sender named once."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from reminders import delivery, services
from reminders.models import Reminder
from tasks.tests.helpers import task_of

from .helpers import at


@pytest.fixture
def july_15(plan_2019):
    with time_machine.travel(at(2019, 7, 15, 9), tick=False):
        yield


@pytest.fixture
def chased(july_15, contacts, office):
    """区数管局's item 1 chased by the office on 15 July."""
    task = task_of("区数管局", "1")
    services.reminder_create_manual(task=task, user=office, note="请本周内报送")
    return task


def log_row(response, task) -> str:
    page = response.content.decode()
    return page.split(f'href="{reverse("tasks:detail", args=[task.pk])}"')[1].split("</tr>")[0]


def test_it_names_the_task_by_its_text_in_the_notice_log(client, office, chased):
    client.force_login(office)
    response = client.get(reverse("reminders:notice_log"))
    text = " ".join(chased.indicator.task_text.split())[:10]
    assertContains(response, f">2019 · 1 {text}")
    assert chased.name.startswith(f"2019 · 1 {text}")
    assert chased.name.endswith("…")  # cut, as the 2019 annex's texts are long


def test_it_writes_the_period_as_a_chinese_day_in_the_notice_log(client, office, chased):
    client.force_login(office)
    row = log_row(client.get(reverse("reminders:notice_log")), chased)
    assert "催办 <span" in row and "2019年7月15日</span>" in row
    assert "2019-07-15" not in row


def test_it_writes_every_day_in_english_in_the_english_notice_log(client, office, chased):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(office)
    row = log_row(client.get(reverse("reminders:notice_log")), chased)
    assert "15 Jul 2019" in row
    assert "2019-07-15" not in row and "年" not in row.split("</a>", 1)[1]  # the task's text stays Chinese


@pytest.mark.parametrize(
    ("period", "chinese", "english"),
    [
        ("2019-07-31", "2019年7月31日", "31 Jul 2019"),
        ("2019-07-31#0", "2019年7月31日", "31 Jul 2019"),
        ("2019-07-31#1", "2019年7月31日（第 2 次）", "31 Jul 2019 (time 2)"),
        ("2019-07", "2019年7月", "Jul 2019"),
        ("2019/2019-04-30", "2019年4月30日", "30 Apr 2019"),
        ("2019/2019-W36", "2019年9月2日 起的一周", "week of 2 Sep 2019"),
        ("2019", "2019", "2019"),
    ],
)
def test_it_writes_each_kind_of_period_in_the_interface_language(period, chinese, english):
    notice = Reminder(period=period)
    assert notice.period_label == chinese
    with translation.override("en"):
        assert notice.period_label == english


@pytest.mark.parametrize(
    ("full_name", "sender"),
    [("跑改办 王老师", "跑改办 王老师 催办"), ("王老师", "跑改办 王老师 催办"), ("", "跑改办 office 催办")],
)
def test_it_names_the_sender_of_a_reminder_once_in_the_email(office, july_15, contacts, full_name, sender):
    office.first_name = full_name  # get_full_name(): "跑改办 王老师"
    office.save()
    task = task_of("区数管局", "1")
    services.reminder_create_manual(task=task, user=office, note="请本周内报送")
    delivery.deliver_unit(unit_id=task.unit_id, now=at(2019, 7, 15, 9))
    body = mail.outbox[0].body
    assert f"{sender}：请本周内报送" in body
    assert "跑改办（" not in body
    html = mail.outbox[0].alternatives[0][0]
    assert sender in html and "跑改办（" not in html


def test_it_names_the_tasks_by_their_text_when_chasing_several(client, office, chased):
    client.force_login(office)
    response = client.post(
        reverse("reminders:remind_bulk"),
        {"task": [f"{chased.pk}:{chased.version}"], "next": "/"},
        follow=True,
    )
    text = " ".join(chased.indicator.task_text.split())[:10]
    assertContains(response, f"今天已催办过、不再重复发送：2019 · 1 {text}")


def test_it_names_the_task_by_its_text_in_the_admins_list_of_reminders(admin_client, chased):
    response = admin_client.get(reverse("admin:reminders_reminder_changelist"))
    assertContains(response, chased.name)
    assertContains(response, "2019年7月15日")  # the period, not 2019-07-15
    assertNotContains(response, ">2019-07-15<")


def test_it_lists_the_holidays_not_yet_off_as_days(db):
    from reminders.admin import HolidayYearForm

    form = HolidayYearForm({"year": 2031, "note": ""})
    assert not form.is_valid()
    assert "2031年1月1日" in form.errors["year"][0]
    assert dt.date(2031, 1, 1).isoformat() not in form.errors["year"][0]
