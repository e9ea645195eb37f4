"""The demo as a visitor of `make run` sees it, in headless Chromium at
1280 px: the office's overview of the year so far and a returned task's
page. With UPDATE_SCREENSHOTS=1 it refreshes docs/screenshots/demo-overview.png
and demo-task.png (README, docs/demo.md)."""

import io
import os

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from tasks.models import Task
from tasks.tests.test_browser import Visitor, browser, shots  # noqa: F401 - the shared browser fixtures

from .test_bootstrap_demo import DEC_3

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser]


def test_it_shows_the_office_a_believable_year_and_a_returned_task(
    browser,  # noqa: F811
    shots,  # noqa: F811
    live_server,
    transactional_db,
):
    with time_machine.travel(DEC_3, tick=False):
        call_command("bootstrap_demo", "--force", stdout=io.StringIO())
    returned = (
        Task.objects.filter(status=Task.Status.RETURNED, indicator__plan__year=2026)
        .order_by("indicator__position", "unit__name")
        .first()
    )

    with time_machine.travel(DEC_3, tick=True):
        visitor = Visitor(browser, live_server, shots)
        page = visitor.page
        visitor.log_in("office", "xsreform-demo")
        visitor.goto(reverse("dashboards:overview"))
        page.wait_for_function("document.querySelector(\"[data-chart='trend'] canvas\")")
        assert page.get_by_text("萧山区2026年度").first.is_visible()
        assert page.get_by_text("截至2026年12月3日").first.is_visible()
        assert page.locator("#unowned").is_visible()
        page.wait_for_timeout(800)  # the charts' entry animation
        visitor.shot("demo-overview")

        visitor.goto(reverse("tasks:detail", args=[returned.pk]))
        assert page.get_by_text(returned.reviews.first().reason).first.is_visible()
        visitor.shot("demo-task")
        visitor.close()
