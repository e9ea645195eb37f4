"""The portal's icon: linked from the portal's and the admin's pages, and
/favicon.ico answers (no 404 per new browser)."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_answers_favicon_ico_with_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("favicon.ico") and response["Location"].startswith("/static/")
    icon = finders.find("favicon.ico")
    with open(icon, "rb") as f:
        assert f.read(4) == b"\x00\x00\x01\x00", "an ICO file"


@pytest.mark.parametrize("page", ["login", "admin:login"])
def test_it_links_the_icon_from_the_portal_and_the_admin(client, page):
    html = client.get(reverse(page)).content.decode()

    assert 'rel="icon" href="/static/img/favicon.svg"' in html
    assert finders.find("img/favicon.svg")


def test_it_links_the_icon_from_an_admin_page_when_signed_in(client, admin_user):
    client.force_login(admin_user)
    assert 'href="/static/img/favicon.svg"' in client.get(reverse("admin:index")).content.decode()
