"""No query string breaks a page. Every GET parameter of every portal page
gets NUL bytes, 10,000 characters, negative, huge, malformed and
out-of-range values, and repeated values, from every role that can see the
page: the page comes back as it does without them (with the problem shown
at the field, or the default used), never a 500.

PAGES lists the portal's URLs and the parameters each reads, most of them
taken from the page's filter form; a URL added to the URLconf without being
listed here fails test_it_lists_every_portal_url."""

import pytest
from django.urls import URLResolver, get_resolver, reverse
from pytest_django.asserts import assertContains

from dashboards.forms import CompletenessFilterForm, OverviewFilterForm
from reminders.forms import NoticeLogFilterForm
from tasks.forms import AllTasksFilterForm, InstructionFilterForm, TaskListFilterForm
from tasks.tests.plans import build_small_plan

PAGES = {
    "home": [],
    "login": ["next"],
    "tasks:mine": [*TaskListFilterForm.base_fields],
    "tasks:overview": [*AllTasksFilterForm.base_fields, "page"],
    "tasks:overview_export": [*AllTasksFilterForm.base_fields],
    "tasks:detail": [],
    "tasks:evidence": [],
    "tasks:evidence_preview": [],
    "tasks:extension_evidence": [],
    "tasks:extension_evidence_preview": [],
    "tasks:extensions": [],
    "tasks:instructions": [*InstructionFilterForm.base_fields],
    "password_change": [],
    "departments:contacts": [],
    "departments:contact_create": [],
    "departments:contact_edit": [],
    "reminders:notices": ["page"],
    "reminders:notice_log": [*NoticeLogFilterForm.base_fields, "page"],
    "reminders:channels": [],
    "reminders:channel_office": [],
    "reminders:channel_edit": [],
    "dashboards:overview": [*OverviewFilterForm.base_fields],
    "dashboards:report": [*OverviewFilterForm.base_fields],
    # The 通报 reads the overview's form (tried in full on the two above) for
    # its plan and day only; a document per request is slow, so those two.
    "dashboards:bulletin": ["plan", "as_of"],
    "dashboards:bulletin_templates": ["plan", "as_of"],
    "dashboards:completeness": [*CompletenessFilterForm.base_fields],
    "dashboards:completeness_export": [*CompletenessFilterForm.base_fields],
    "dashboards:unit_completeness_mine": ["plan"],
    "dashboards:unit_completeness": [],
    # The plan's pages take the year in the path; the feedback table's
    # filter (FeedbackFilterForm) is tested with hostile values in
    # indicators/tests/test_consultation.py.
    "plans:list": [],
    "plans:detail": [],
    "plans:consultation": [],  # ?unit= is compared with the ids of the user's units, never parsed
    "plans:feedback": [],
    "tasks:plan_close": [],
    # The targets page's ?status= filter (TargetFilterForm) is tested with a
    # bad value in indicators/tests/test_target_page.py.
    "plans:targets": [],
    "plans:targets_current": [],
}
# Pages that take POSTs only, so no query string is read.
POST_ONLY = {
    "logout",
    "set_language",
    "tasks:report",
    "tasks:review",
    "tasks:review_bulk",
    "tasks:extension_create",
    "tasks:extension_decide",
    "tasks:instruction_create",
    "tasks:instruction_reply",
    "reminders:remind_bulk",
    "plans:adopt",
    "plans:consultation_open",
    "plans:answer",
    "plans:decide",
    "plans:target_confirm",
    "plans:target_delete",
    "plans:target_restore",
    "plans:target_edit",
    "reminders:remind",
    "reminders:notice_resend",
    "departments:contact_remove",
    "tasks:plan_carry_over",
}

HOSTILE = {
    "NUL": "\x00",
    "NUL inside": "2019\x00",
    "10,000 characters": "9" * 10_000,
    "negative": "-1",
    "huge": "99999999999999999999",
    "overflowing float": "1e309",
    "first day of the calendar": "0001-01-01",
    "last day of the calendar": "9999-12-31",
    "no such day": "2019-02-30",
    "malformed date": "2019-13",
    "empty": "",
    "markup": '"><script>alert(1)</script>',
    "full-width digits": "２０１９",
}
ROLES = ["anonymous", "staff", "leader", "office", "admin_user"]


@pytest.fixture
def plan(units, staff, office):
    """Four indicators with reports, reviews and history: every page has
    something to show, and renders fast enough to be asked ~1,500 times."""
    return build_small_plan(staff=staff, office=office)


def portal_url_names() -> set[str]:
    """Every named URL outside the Django admin, as reverse() names it."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    walk(pattern.url_patterns, pattern.namespace or namespace)
            elif pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_it_lists_every_portal_url():
    assert portal_url_names() == set(PAGES) | POST_ONLY


@pytest.mark.parametrize("name", [name for name, params in PAGES.items() if params])
def test_it_never_fails_on_a_hostile_query_string(client, request, plan, name):
    url = reverse(name)
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        expected = client.get(url).status_code
        for param in PAGES[name]:
            for label, value in HOSTILE.items():
                response = client.get(url, {param: value})
                assert response.status_code == expected, (role, param, label)
            response = client.get(url, {param: ["2019", "\x00"]})
            assert response.status_code == expected, (role, param, "repeated")


@pytest.mark.parametrize("name", ["tasks:mine", "tasks:overview", "reminders:notice_log"])
def test_it_says_what_is_wrong_with_a_search_for_a_nul_byte(client, plan, staff, office, name):
    client.force_login(staff if name == "tasks:mine" else office)

    response = client.get(reverse(name), {"q": "数据\x00"})

    assertContains(response, "搜索内容含有不可见的控制字符，请重新输入。")


def test_it_says_an_unknown_tab_is_ignored(client, plan, staff):
    client.force_login(staff)

    response = client.get(reverse("tasks:mine"), {"show": "\x00"})

    assertContains(response, "筛选：没有这个选项，已按默认显示。")


def test_it_refuses_a_day_before_the_plan_was_drafted(client, plan, office):
    client.force_login(office)

    response = client.get(reverse("dashboards:overview"), {"as_of": "0001-01-01"})

    assertContains(response, "截至日期不能早于2018年1月1日。")
    assert response.context["form"].value("as_of") is None
