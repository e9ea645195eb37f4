"""What every response tells the browser: a Content-Security-Policy that runs
only our own static scripts, no caching of anything a signed-in user sees,
and a session that ends after a working day without a request."""

import datetime as dt
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.models import Task
from tasks.tests import files
from tasks.tests.helpers import SHANGHAI, report
from tasks.tests.plans import SGJ, build_next_year, build_small_plan


@pytest.fixture
def plan(units, staff, office):
    return build_small_plan(staff=staff, office=office)


@pytest.fixture
def two_plans(plan):
    """A second year for 区数管局, so the task list offers a choice of plan."""
    return plan, build_next_year()


@pytest.fixture
def evidence(plan, staff):
    task = Task.objects.get(unit__name=SGJ, indicator__code="B1")
    progress_report = report(task, staff, files=[files.upload("方案.pdf", files.PDF)])
    return progress_report.evidence.get()


def csp(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


def test_it_sends_a_policy_that_runs_only_our_own_scripts(client, plan, staff):
    policy = csp(client.get(reverse("login")))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (None, "login"),
        ("staff", "tasks:mine"),
        ("office", "dashboards:overview"),
        ("office", "dashboards:report"),
        ("admin_user", "admin:index"),
    ],
)
def test_it_sends_the_policy_with_every_response(client, request, plan, role, name):
    if role:
        client.force_login(request.getfixturevalue(role))

    assert "script-src 'self'" in client.get(reverse(name))["Content-Security-Policy"]


def test_it_sends_the_policy_with_a_not_found_page(client, staff):
    client.force_login(staff)

    response = client.get("/tasks/999999/")

    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]


class InlineCode(HTMLParser):
    """What a Content-Security-Policy without 'unsafe-inline' would block:
    <script> without src (JSON data is not run, so allowed), on* handler
    attributes, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.found.append(f"<script id={attrs.get('id')}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")


def test_it_has_no_inline_script_on_any_page(client, request, two_plans, evidence):
    task = Task.objects.get(unit__name=SGJ, indicator__code="A2", indicator__plan__year=2019)
    pages = {
        None: [reverse("login")],
        "staff": [
            reverse("tasks:mine"),
            reverse("tasks:detail", args=[task.pk]),
            reverse("reminders:notices"),
        ],
        "office": [
            reverse("tasks:overview"),
            reverse("dashboards:overview"),
            reverse("reminders:notice_log"),
            reverse("tasks:detail", args=[task.pk]),
        ],
        "admin_user": [
            reverse("admin:index"),
            reverse("admin:tasks_task_changelist"),
            reverse("admin:tasks_task_change", args=[task.pk]),
            reverse("admin:indicators_indicator_import"),
            reverse("admin:django_celery_beat_periodictask_add"),
            reverse("admin:django_celery_beat_periodictask_changelist"),
        ],
    }
    found = {}
    for role, urls in pages.items():
        client.logout()
        if role:
            client.force_login(request.getfixturevalue(role))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            parser = InlineCode()
            parser.feed(response.content.decode())
            if parser.found:
                found[url] = parser.found

    assert found == {}


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("staff", "tasks:mine"),
        ("staff", "reminders:notices"),
        ("office", "dashboards:overview"),
        ("office", "dashboards:report"),
        ("admin_user", "admin:index"),
    ],
)
def test_it_keeps_what_a_signed_in_user_sees_out_of_every_cache(client, request, plan, role, name):
    client.force_login(request.getfixturevalue(role))

    cache_control = client.get(reverse(name))["Cache-Control"].replace(" ", "").split(",")

    assert "private" in cache_control
    assert "no-store" in cache_control


def test_it_keeps_evidence_files_out_of_every_cache(client, staff, evidence):
    client.force_login(staff)

    response = client.get(reverse("tasks:evidence", args=[evidence.pk]))

    assert response.status_code == 200
    assert {"private", "no-store"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_it_leaves_static_files_cacheable_for_a_signed_in_user(client, staff, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve static/ as in the demo, without collectstatic
    client.force_login(staff)

    response = client.get("/static/css/portal.css")

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


def test_it_ends_a_session_after_a_working_day_without_a_request(client, staff, settings):
    assert settings.SESSION_COOKIE_AGE == 9 * 3600
    start = dt.datetime(2019, 7, 15, 8, 30, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        client.post(reverse("login"), {"username": "sgj", "password": "pw-sgj"})

        # Working: every request starts the nine hours again …
        for _ in range(3):
            clock.shift(dt.timedelta(hours=8, minutes=59))
            assert client.get(reverse("tasks:mine")).status_code == 200

        # … and nine hours without one end the session.
        clock.shift(dt.timedelta(hours=9, minutes=1))
        response = client.get(reverse("tasks:mine"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_does_not_write_the_session_on_every_request(client, staff):
    client.force_login(staff)
    client.get(reverse("tasks:mine"))

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("tasks:mine")).status_code == 200

    assert not [query for query in queries if query["sql"].startswith('UPDATE "django_session"')]
