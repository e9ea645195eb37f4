"""The reminder pages: a unit's notices with the unread count, the reform
office's log, and 催办 from a task page."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from reminders import delivery, jobs, selectors
from reminders.models import Reminder
from tasks.models import Task
from tasks.tests.helpers import task_of

from .helpers import at, make_task, sweep_at

D = dt.date


@pytest.fixture
def swept(plan_2019, contacts, office):
    """The 2019 plan swept on 31 July: overdue, due soon, report missing,
    escalations; the clock stays there."""
    sweep_at(at(2019, 7, 31))
    with time_machine.travel(at(2019, 7, 31, 9), tick=False):
        yield


def unread_badge(response) -> str:
    return response.content.decode().split('id="nav-notices"')[1].split("</a>")[0]


def test_it_lists_the_units_notices_with_the_unread_count_and_marks_them_read(client, staff, swept):
    own = Reminder.objects.filter(unit__name="区数管局", remind_after__lte=at(2019, 7, 31, 9)).exclude(
        reason="escalation"
    )
    client.force_login(staff)

    response = client.get(reverse("tasks:mine"))
    assert f">{own.count()}</span>" in unread_badge(response)

    response = client.get(reverse("reminders:notices"))
    assert response.status_code == 200
    assert {n.pk for n in response.context["page"]} == set(own.values_list("pk", flat=True))
    assertContains(response, "已逾期")
    assertContains(response, "即将到期")
    assertContains(response, reverse("tasks:detail", args=[task_of("区数管局", "1").pk]))
    assert not own.filter(read_at=None).exists()
    assert "badge" not in unread_badge(client.get(reverse("tasks:mine")))


def test_it_counts_unread_what_the_notices_page_lists_unread(staff, swept):
    """The badge's count through the cursor (selectors.unread_count) against
    the ORM's definition (unread_notices), over notices read, voided, not
    yet due, to the office, and of other units."""
    own = Reminder.objects.filter(unit__name="区数管局")
    units = [staff.memberships.get().unit_id]
    before = selectors.unread_count(unit_ids=units, now=at(2019, 7, 31, 9))
    notices = list(
        own.exclude(reason="escalation").filter(remind_after__lte=at(2019, 7, 31, 9)).order_by("pk")
    )
    assert len(notices) >= 4
    notices[0].read_at = at(2019, 7, 31, 8)
    notices[1].voided_at = at(2019, 7, 31, 8)
    notices[2].remind_after = at(2019, 8, 1)
    for notice in notices[:3]:
        notice.save()
    both = [*units, Reminder.objects.exclude(unit__name="区数管局").exclude(unit=None).first().unit_id]
    for unit_ids in (units, both, []):
        for now in (at(2019, 7, 31, 9), at(2019, 8, 2), at(2019, 7, 1)):
            expected = selectors.unread_notices(unit_ids=unit_ids, now=now).count()
            assert selectors.unread_count(unit_ids=unit_ids, now=now) == expected
    assert selectors.unread_count(unit_ids=units, now=at(2019, 7, 31, 9)) == before - 3
    assert own.filter(reason="escalation").exists()  # there, and not counted


def test_it_shows_a_unit_only_its_own_notices(client, other_staff, swept):
    client.force_login(other_staff)
    response = client.get(reverse("reminders:notices"))
    units = {n.unit.name for n in response.context["page"]}
    assert units == {"区办事服务中心"}
    # Reading them does not mark another unit's notices read.
    assert Reminder.objects.filter(unit__name="区数管局", read_at=None).exists()


def test_it_keeps_escalations_for_the_reform_office(client, staff, swept):
    client.force_login(staff)
    response = client.get(reverse("reminders:notices"))
    assert "escalation" not in {n.reason for n in response.context["page"]}


def test_it_sends_the_reform_office_to_the_log_and_refuses_leaders(client, office, leader, swept):
    client.force_login(office)
    assert client.get(reverse("reminders:notices")).url == reverse("reminders:notice_log")
    client.force_login(leader)
    assert client.get(reverse("reminders:notices")).status_code == 403
    assert client.get(reverse("reminders:notice_log")).status_code == 403


def test_it_shows_the_reform_office_every_notice_to_whom_when_and_why(client, staff, office, swept):
    client.force_login(office)
    response = client.get(reverse("reminders:notice_log"))
    assert response.status_code == 200
    issued = Reminder.objects.filter(remind_after__lte=at(2019, 7, 31, 9))
    assert response.context["page"].paginator.count == issued.count()
    assertContains(response, "已发送")
    assertContains(response, "逾期督办")
    assertContains(response, "跑改办：office@example.com")
    response = client.get(reverse("reminders:notice_log"), {"q": "区数管局"})
    assertContains(response, "sgj@example.com")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"reason": "escalation"}, {"escalation"}),
        ({"reason": "due_soon", "q": "区数管局"}, {"due_soon"}),
        ({"status": "scheduled"}, {"overdue"}),
    ],
)
def test_it_filters_the_log(client, office, swept, query, expected):
    client.force_login(office)
    response = client.get(reverse("reminders:notice_log"), query)
    rows = list(response.context["page"])
    assert rows
    assert {r.reason for r in rows} == expected
    if "q" in query:
        assert {r.unit.name for r in rows} == {"区数管局"}


def test_it_shows_failed_sends_in_the_log(client, office, units, contacts, flaky_mail):
    make_task(due=D(2019, 7, 31))
    flaky_mail.failures = 1
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    client.force_login(office)
    response = client.get(reverse("reminders:notice_log"), {"status": "failed"})
    assert len(response.context["page"]) == 1
    assertContains(response, "发送失败")
    assertContains(response, "451")


def test_it_warns_the_office_of_a_year_without_a_holiday_calendar(client, office, units):
    with time_machine.travel(at(2099, 3, 2), tick=False):
        client.force_login(office)
        response = client.get(reverse("reminders:notice_log"))
    assertContains(response, "节假日日历缺少 2099 年的数据")
    # What to do, in the office's words; the package's name is for the log.
    assertContains(response, "国务院办公厅当年的节假日通知")
    assertNotContains(response, "chinesecalendar")
    with time_machine.travel(at(2019, 3, 1), tick=False):
        client.force_login(office)
        assertNotContains(client.get(reverse("reminders:notice_log")), "节假日日历缺少")


def test_it_lets_the_admin_see_the_calendar_warning_too(client, admin_user, units):
    with time_machine.travel(at(2099, 3, 2), tick=False):
        client.force_login(admin_user)
        response = client.get(reverse("admin:reminders_workdayoverride_changelist"))
        assertContains(response, "节假日日历缺少 2099 年的数据")
        assertNotContains(response, "chinesecalendar")
        assert client.get(reverse("admin:reminders_reminder_changelist")).status_code == 200


def test_it_keeps_the_calendar_warning_until_the_admin_records_the_years_holidays_as_entered(
    client, admin_user, office, units
):
    """One local day off in 2027 does not make New Year, Spring Festival or
    National Day 2027 known; the admin's record of the year does."""
    from reminders.models import HolidayYear, WorkdayOverride

    warning = "节假日日历缺少 2027 年的数据"
    with time_machine.travel(at(2027, 3, 2), tick=False):
        client.force_login(admin_user)
        WorkdayOverride.objects.create(date=dt.date(2027, 4, 2), is_workday=False, note="区运动会")
        assertContains(client.get(reverse("admin:reminders_workdayoverride_changelist")), warning)

        # Recording the year before its holidays are entered is refused.
        add = reverse("admin:reminders_holidayyear_add")
        response = client.post(add, {"year": "2027", "note": ""})
        assertContains(response, "2027年1月1日、2027年10月1日")  # Fridays; 1–2 May, 2–3 October are weekends
        assert not HolidayYear.objects.exists()

        for month, day in [(1, 1), (5, 1), (5, 2), (5, 3), (10, 1), (10, 4), (10, 5)]:  # 2–3 Oct: a weekend
            WorkdayOverride.objects.create(date=dt.date(2027, month, day), is_workday=False)
        assertContains(client.get(reverse("admin:reminders_reminder_changelist")), warning)
        response = client.post(add, {"year": "2027", "note": "国办发明电〔2026〕X号"})
        assert response.status_code == 302
        assertNotContains(client.get(reverse("admin:reminders_workdayoverride_changelist")), warning)
        client.force_login(office)
        assertNotContains(client.get(reverse("reminders:notice_log")), "节假日日历缺少")


# 催办


@pytest.fixture
def july_15(plan_2019):
    with time_machine.travel(at(2019, 7, 15, 9), tick=False):
        yield


def test_it_lets_the_reform_office_send_a_unit_a_reminder(
    client, office, staff, july_15, django_capture_on_commit_callbacks, monkeypatch
):
    task = task_of("区数管局", "1")
    client.force_login(office)
    assertContains(client.get(reverse("tasks:detail", args=[task.pk])), 'id="remind"')
    queued = []
    monkeypatch.setattr(jobs.reminders_deliver_unit, "delay", lambda *a, **k: queued.append((a, k)))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reminders:remind", args=[task.pk]), {"note": "请本周内报送"}, follow=True
        )

    assertContains(response, "已向区数管局发出催办")
    reminder = Reminder.objects.get(reason="manual")
    assert (reminder.task, reminder.unit.name, reminder.sent_by) == (task, "区数管局", office)
    assert (reminder.period, reminder.note) == ("2019-07-15", "请本周内报送")
    assert queued == [((task.unit_id,), {})]
    # The queued job delivers it, in the unit's digest.
    digest = delivery.deliver_unit(unit_id=task.unit_id, now=at(2019, 7, 15, 9))
    assert digest.reminders == [reminder]
    assert "催办" in mail.outbox[0].subject
    assert "请本周内报送" in mail.outbox[0].body
    assert "跑改办 office 催办" in mail.outbox[0].body
    assertContains(client.get(reverse("tasks:detail", args=[task.pk])), "上次催办：2019年7月15日 09:30")


def test_it_sends_one_reminder_a_day_however_often_the_button_is_pressed(
    client, office, july_15, django_capture_on_commit_callbacks, monkeypatch
):
    task = task_of("区数管局", "1")
    client.force_login(office)
    monkeypatch.setattr(jobs.reminders_deliver_unit, "delay", lambda *a, **k: None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("reminders:remind", args=[task.pk]))
        response = client.post(reverse("reminders:remind", args=[task.pk]), follow=True)
    assertContains(response, "今天已催办过区数管局")
    assert Reminder.objects.filter(reason="manual").count() == 1
    assert len(callbacks) == 1


def test_it_sends_a_new_reminder_after_the_days_first_was_cancelled(
    client, office, july_15, django_capture_on_commit_callbacks, monkeypatch
):
    task = task_of("区数管局", "1")
    client.force_login(office)
    monkeypatch.setattr(jobs.reminders_deliver_unit, "delay", lambda *a, **k: None)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reminders:remind", args=[task.pk]))
    # Verified before it went out (cancelled), then returned: the office chases again.
    Reminder.objects.filter(reason="manual").update(
        voided_at=at(2019, 7, 15, 9), void_reason="任务已核实办结"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reminders:remind", args=[task.pk]), follow=True)

    assertContains(response, "已向区数管局发出催办")
    assert Reminder.objects.filter(reason="manual", voided_at=None).count() == 1
    assert Reminder.objects.filter(reason="manual").count() == 2


def test_it_lets_only_the_reform_office_send_a_reminder(client, staff, other_staff, leader, july_15):
    task = task_of("区数管局", "1")
    url = reverse("reminders:remind", args=[task.pk])
    client.force_login(staff)
    assertNotContains(client.get(reverse("tasks:detail", args=[task.pk])), 'id="remind"')
    assert client.post(url).status_code == 403
    # 区办事服务中心 leads indicator 1, so it reads 区数管局's task (牵头汇总):
    # refused, not hidden.
    client.force_login(other_staff)
    assert client.post(url).status_code == 403
    client.force_login(leader)
    assert client.post(url).status_code == 403
    client.logout()
    assert client.post(url).status_code == 302
    client.force_login(leader)
    assert client.get(url).status_code == 405
    assert not Reminder.objects.exists()


def test_it_refuses_to_chase_a_verified_task(client, office, july_15):
    task = task_of("区数管局", "1")
    Task.objects.filter(pk=task.pk).update(status=Task.Status.VERIFIED)
    client.force_login(office)
    assertNotContains(client.get(reverse("tasks:detail", args=[task.pk])), 'id="remind"')
    response = client.post(reverse("reminders:remind", args=[task.pk]), follow=True)
    assertContains(response, "无需催办")
    assert not Reminder.objects.exists()


# Unconfirmed and refused e-mails, and 重新发送


@pytest.fixture
def delivered(units, contacts, staff, mailoutbox):
    """区数管局's overdue notice, delivered on 1 August; the clock stays there."""
    task = make_task(due=D(2019, 7, 31))
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    mailoutbox.clear()
    with time_machine.travel(at(2019, 8, 1, 9), tick=False):
        yield Reminder.objects.get(task=task, period="2019-07-31#0")


def test_it_shows_an_unconfirmed_e_mail_and_lets_the_office_send_it_again(
    client, office, delivered, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    message_id = delivered.message_id
    # What a delivery records when the server never answered the message.
    Reminder.objects.filter(pk=delivered.pk).update(
        unconfirmed=True, last_error="SMTPServerDisconnected: timed out"
    )
    client.force_login(office)

    page = client.get(reverse("reminders:notice_log"), {"status": "unconfirmed"})

    assert [n.pk for n in page.context["page"]] == [delivered.pk]
    assertContains(page, "已发送（未确认）")
    assertContains(page, "系统不会自动重发")
    assertContains(page, "timed out")
    assertContains(page, reverse("reminders:notice_resend", args=[delivered.pk]))
    assertNotContains(client.get(reverse("reminders:notice_log"), {"status": "sent"}), "重新发送</button>")

    queued = []
    monkeypatch.setattr(jobs.reminders_deliver_unit, "delay", lambda *a, **k: queued.append(a))
    back = reverse("reminders:notice_log") + "?status=unconfirmed"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reminders:notice_resend", args=[delivered.pk]), {"next": back}, follow=True
        )

    assert response.redirect_chain[-1][0] == back
    assertContains(response, "已重新排队发送 1 条提醒")
    assert queued == [(delivered.unit_id,)]
    delivered.refresh_from_db()
    assert delivered.status() == "pending"
    delivery.deliver_unit(unit_id=delivered.unit_id, now=at(2019, 8, 1, 9))
    (message,) = mailoutbox
    assert message.message()["Message-ID"] == message_id  # merged with the first copy, if it came


def test_it_shows_a_refused_e_mail_with_each_refusal(client, office, delivered):
    contact = delivered.recipients.split(", ")[1]
    Reminder.objects.filter(pk=delivered.pk).update(
        sent_at=None,
        sending_at=None,
        failed_at=at(2019, 8, 1, 0, 10),
        refusals={"sgj@example.com": "550 5.1.1 No such user", contact: "550 5.1.1 No such user"},
        last_error="SMTPRecipientsRefused: …",
    )
    client.force_login(office)

    page = client.get(reverse("reminders:notice_log"), {"status": "refused"})

    assert [n.pk for n in page.context["page"]] == [delivered.pk]
    assertContains(page, "发送失败（永久，需检查地址）")
    assertContains(page, "拒收：sgj@example.com（550 5.1.1 No such user）")
    assertContains(page, "重新发送</button>")
    assert not client.get(reverse("reminders:notice_log"), {"status": "failed"}).context["page"].object_list


def test_it_shows_the_recipients_a_delivered_e_mail_was_refused_for(client, office, delivered):
    Reminder.objects.filter(pk=delivered.pk).update(
        refusals={"gone@units.example.com": "550 5.1.1 No such user"}
    )
    client.force_login(office)

    page = client.get(reverse("reminders:notice_log"), {"status": "sent"})

    assertContains(page, "拒收：gone@units.example.com（550 5.1.1 No such user）")
    assertNotContains(page, "重新发送</button>")


def test_it_lets_only_the_reform_office_send_an_e_mail_again(client, staff, leader, office, delivered):
    Reminder.objects.filter(pk=delivered.pk).update(unconfirmed=True)
    url = reverse("reminders:notice_resend", args=[delivered.pk])
    for user in (staff, leader):
        client.force_login(user)
        assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    delivered.refresh_from_db()
    assert delivered.status() == "unconfirmed"
    client.force_login(office)
    assert client.post(reverse("reminders:notice_resend", args=[999999])).status_code == 404
    # Nothing to send again for a notice that went out, and no open redirect.
    Reminder.objects.filter(pk=delivered.pk).update(unconfirmed=False)
    response = client.post(url, {"next": "https://evil.example.com/"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reminders:notice_log")
    assertContains(response, "无需重新发送")
    delivered.refresh_from_db()
    assert delivered.status() == "sent"
