"""The English catalog (locale/en): pages are in English once the user has
chosen it (the django_language cookie that /i18n/setlang/ sets), and stay in
Chinese otherwise, whatever the browser asks for. Data (unit names, indicator
texts) is never translated."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from reminders import services
from reminders.models import Reminder
from tasks.models import Review, Task
from tasks.templatetags.portal import deadline
from tasks.tests.helpers import report


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


def test_it_writes_days_in_english_on_an_english_page_and_in_chinese_otherwise(
    client, english, staff, staff_task
):
    due = staff_task.due_date
    english.force_login(staff)
    page = english.get(reverse("tasks:detail", args=[staff_task.pk]))
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assertContains(page, f"{due.day} {months[due.month - 1]} {due.year}")
    assertNotContains(page, f"{due.year}年{due.month}月{due.day}日")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assertContains(
        english.get(reverse("tasks:detail", args=[staff_task.pk])), f"{due.year}年{due.month}月{due.day}日"
    )


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


# The language switcher (templates/base.html), on every page.


def _switcher(page) -> str:
    html = page.content.decode()
    return html[html.index('<form method="post" action="/i18n/setlang/"') :].split("</form>")[0]


def _next(switcher: str) -> str:
    return re.search(r'name="next" value="([^"]*)"', switcher).group(1)


def test_it_offers_the_language_switcher_on_the_login_page(client, db):
    switcher = _switcher(client.get(reverse("login") + "?next=/tasks/"))

    assert 'name="csrfmiddlewaretoken"' in switcher
    assert _next(switcher) == "/login/?next=/tasks/"
    assert re.search(
        r'<button type="submit" name="language" value="zh-hans"[^>]* active" aria-pressed="true">简体中文',
        switcher,
    )
    assert re.search(
        r'<button type="submit" name="language" value="en"[^>]*" aria-pressed="false">English', switcher
    )


def test_it_switches_to_english_with_the_switcher_and_back(client, staff, staff_task):
    client.force_login(staff)
    page = client.get(reverse("tasks:mine") + "?show=overdue")
    switcher = _switcher(page)
    assert _next(switcher) == "/tasks/?show=overdue"

    switched = client.post(reverse("set_language"), {"language": "en", "next": _next(switcher)}, follow=True)

    assert switched.redirect_chain == [("/tasks/?show=overdue", 302)]
    assertContains(switched, '<html lang="en">')
    assertContains(switched, "My unit's tasks")
    assert re.search(r'value="en"[^>]* active" aria-pressed="true">English', _switcher(switched))

    back = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/tasks/"}, follow=True)

    assertContains(back, "本单位任务")
    assertNotContains(back, "My unit's tasks")


def test_it_switches_back_to_the_task_from_a_page_shown_after_a_post(english, staff, staff_task):
    english.force_login(staff)

    # A report that does not save shows the task page at the report's address,
    # which takes posts only: the switcher goes back to the task itself.
    page = english.post(reverse("tasks:report", args=[staff_task.pk]), {"version": staff_task.version})

    assert _next(_switcher(page)) == reverse("tasks:detail", args=[staff_task.pk])


# Words that mean two things in Chinese and one each in English.


@pytest.fixture
def returned_task(staff_task, staff, office):
    report(staff_task, staff, status="completed", percent=100)
    staff_task.refresh_from_db()
    return staff_task


def test_it_tells_the_review_buttons_from_the_decisions_in_english(english, office, returned_task):
    english.force_login(office)
    url = reverse("tasks:detail", args=[returned_task.pk])

    buttons = english.get(url)

    assertContains(buttons, 'value="verified" class="btn btn-success">Verify</button>', html=False)
    assertContains(buttons, 'value="returned" class="btn btn-outline-danger">Return</button>', html=False)

    english.post(
        reverse("tasks:review", args=[returned_task.pk]),
        {"version": returned_task.version, "decision": "returned", "reason": "补材料"},
    )
    page = english.get(url)

    # The status, the task's row in the indicator's panel, the decision.
    assertContains(page, '<span class="badge text-bg-danger">Returned</span>', count=3)


def test_it_keeps_the_review_words_chinese(client, office, returned_task):
    client.force_login(office)

    page = client.get(reverse("tasks:detail", args=[returned_task.pk]))

    assertContains(page, 'value="verified" class="btn btn-success">核实办结</button>')
    assertContains(page, 'value="returned" class="btn btn-outline-danger">退回</button>')
    assert [str(label) for label in Review.Decision.labels] == ["核实办结", "退回"]
    assert Task.Status.RETURNED.label == "退回"
    with translation.override("en"):
        assert [str(label) for label in Review.Decision.labels] == ["Verified", "Returned"]
        assert str(Task.Status.RETURNED.label) == "Returned"


def test_it_tells_the_reminders_page_from_a_reminder_in_english(english, staff, office, staff_task):
    services.reminder_create_manual(task=staff_task, user=office, note="请本周内报送")
    english.force_login(staff)

    page = english.get(reverse("reminders:notices"))

    assertContains(page, "<title>Reminders · Xiaoshan District", html=False)
    assertContains(page, '<h1 class="h3 mb-1">Reminders</h1>')
    assertContains(page, "<th>Reminder</th>", html=True)
    assertContains(page, ">Manual reminder</span>")
    assertContains(page, 'id="nav-notices">Reminders')
    with translation.override("en"):
        assert str(Reminder._meta.verbose_name) == "Reminder"
        assert str(Reminder.Reason.MANUAL.label) == "Manual reminder"
    with translation.override("zh-hans"):
        assert (str(Reminder._meta.verbose_name), str(Reminder.Reason.MANUAL.label)) == ("提醒", "催办")


def test_it_names_the_reminder_button_in_english(english, office, staff_task):
    english.force_login(office)

    page = english.get(reverse("tasks:detail", args=[staff_task.pk]))

    assertContains(page, '<h2 class="h6">Send reminder</h2>')
    assertContains(page, 'class="btn btn-sm btn-outline-danger">Send reminder</button>')


# Plurals.


@pytest.mark.parametrize(
    ("days_from_due", "english", "chinese"),
    [
        (1, "1 day overdue", "逾期 1 天"),
        (3, "3 days overdue", "逾期 3 天"),
        (-1, "1 day left", "还有 1 天"),
        (-10, "10 days left", "还有 10 天"),
    ],
)
def test_it_counts_days_in_english_and_chinese(staff_task, days_from_due, english, chinese):
    today = staff_task.due_date + dt.timedelta(days=days_from_due)

    with translation.override("en"):
        assert f">{english}</span>" in deadline(staff_task, today)
    assert f">{chinese}</span>" in deadline(staff_task, today)


@pytest.mark.parametrize(
    ("count", "heading"), [(1, "returned 1 task; please read the reason"), (2, "returned 2 tasks;")]
)
def test_it_counts_returned_tasks_in_english(english, staff, office, plan_2019, count, heading):
    tasks = list(Task.objects.filter(unit__name="区数管局").order_by("pk")[:count])
    for task in tasks:
        report(task, staff, status="completed", percent=100)
        task.refresh_from_db()
        Review.objects.create(task=task, reviewer=office, decision="returned", reason="补材料")
        Task.objects.filter(pk=task.pk).update(status="returned")
    english.force_login(staff)

    assertContains(english.get(reverse("tasks:mine")), f"The Reform Office {heading}")


@pytest.mark.parametrize(("days", "words"), [(1, "1 day overdue"), (16, "16 days overdue")])
def test_it_counts_days_in_the_english_digest(days, words):
    item = {
        "due_date": dt.date(2019, 7, 31),
        "deadline_label": "7月底",
        "days_late": days,
        "status": "in_progress",
    }
    with translation.override("en"):
        text = render_to_string(
            "reminders/email/escalation_digest.txt",
            {"today": dt.date(2019, 8, 1), "count": 1, "sections": [{"items": [item]}]},
        )
    assert words in text


# Strings wrapped late: the admin, the server error page.


def test_it_shows_the_admin_titles_and_sections_in_english(english, admin_user):
    english.force_login(admin_user)

    page = english.get(reverse("admin:index"))

    assertContains(page, "Xiaoshan District “Run at Most Once” Reform Task Management")
    assertContains(page, "Administration")
    for section in ["Units", "Reform plan", "Task implementation"]:
        assertContains(page, section)
    assertNotContains(page, "任务落实")


def test_it_keeps_the_admin_titles_chinese(client, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("admin:index"))

    for words in ["萧山区“最多跑一次”改革任务管理", "任务落实", "改革计划"]:
        assertContains(page, words)


def test_it_shows_the_server_error_page_in_english():
    with translation.override("en"):
        page = render_to_string("500.html")

    assert '<html lang="en">' in page
    assert "<h1>System error</h1>" in page
    assert "系统出错" not in page
    assert "<h1>系统出错</h1>" in render_to_string("500.html")


def test_it_previews_and_imports_the_annex_in_english(english, admin_user, units):
    from indicators.tests import workbooks
    from indicators.tests.test_annex_admin import confirm, upload

    english.force_login(admin_user)

    form = english.get(reverse("admin:indicators_indicator_import"))
    preview = upload(english, workbooks.original_bytes())

    assertContains(form, "Upload the annex table (.xlsx)")
    assertContains(form, "Plan year")
    assertContains(preview, "<h2>2019 annual plan</h2>", html=True)
    assertContains(preview, '54 indicators: <strong class="annex-new">54</strong> new,')
    assertContains(preview, "Merged by alias")
    assertContains(preview, "Warnings (")
    assertNotContains(preview, "年度计划")

    done = confirm(english, preview)

    assertContains(
        english.get(done.url),
        "Import complete: 2019 annual plan; new indicators: 54, updated: 0, unchanged: 0; new units: 0.",
    )


def test_it_keeps_the_history_in_chinese_when_an_english_reader_acts(plan_2019, staff, office):
    from django.utils import translation

    from tasks import services
    from tasks.models import Task

    task = Task.objects.get(indicator__code="8", unit=staff.memberships.get().unit)
    with translation.override("en"):
        services.progress_report_create(
            task=task,
            user=staff,
            expected_version=task.version,
            status="completed",
            percent=100,
            progress="done",
        )
        task.refresh_from_db()
        services.task_review(task=task, user=office, decision="verified", expected_version=task.version)

    reasons = list(task.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["进展报送", "核实办结"]


def test_it_gives_the_plan_year_range_in_english():
    from django.core.exceptions import ValidationError

    from indicators.models import validate_plan_year

    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            validate_plan_year(1999)

        assert refused.value.messages == ["Plan year 1999 is out of range: it must be between 2000 and 2100."]
