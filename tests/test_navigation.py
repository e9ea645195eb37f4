"""The navigation bar marks the page you are on — and only that one — now
that its pages live in three apps (tasks:overview and dashboards:overview
share the name "overview")."""

import re

import pytest
from django.urls import reverse

from tasks.tests.test_browser import Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

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


@pytest.mark.browser
@pytest.mark.parametrize("width", [800, 1024, 1366])
def test_it_keeps_the_offices_english_navigation_on_a_laptops_page(
    browser,  # noqa: F811
    live_server,
    transactional_db,
    shots,  # noqa: F811
    admin_user,
    width,
):
    """The office's ten links are long in English: they wrap onto a second
    row rather than push the user menu off the page (it overflowed by 18 px
    at 1,366 and 470 at 800 wide)."""
    visitor = Visitor(browser, live_server, shots, viewport={"width": width, "height": 800})
    visitor.log_in("admin", "pw-admin")
    visitor.context.add_cookies([{"name": "django_language", "value": "en", "url": visitor.base}])
    visitor.goto(reverse("dashboards:overview"))
    page = visitor.page
    assert page.get_by_role("link", name="Reporting completeness").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    menu = page.locator("#user-menu").bounding_box()
    assert menu["x"] + menu["width"] <= width
    visitor.close()
