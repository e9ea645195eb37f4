"""The navigation bar marks the page you are on — and only that one — now
that its pages live in three apps (tasks:overview and dashboards:overview
share the name "overview")."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def active_links(html: str) -> list[str]:
    return re.findall(r'<a class="nav-link active" href="([^"]+)"', html)


@pytest.mark.parametrize(
    "name", ["dashboards:overview", "tasks:overview", "reminders:notice_log"], ids=lambda n: n.split(":")[0]
)
def test_it_marks_the_office_page_it_is_on(client, office, name):
    client.force_login(office)
    assert active_links(client.get(reverse(name)).content.decode()) == [reverse(name)]


@pytest.mark.parametrize("name", ["tasks:mine", "reminders:notices"])
def test_it_marks_the_staff_page_it_is_on(client, staff, name):
    client.force_login(staff)
    assert active_links(client.get(reverse(name)).content.decode()) == [reverse(name)]
