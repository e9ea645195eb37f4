import pytest

from departments.models import Unit
from xsreform.celery import app

from .helpers import FlakyBackend, contact_of


@pytest.fixture
def contacts(units):
    """Every unit with a contact address, as admins would enter them."""
    for unit in Unit.objects.units():
        unit.contact_email = contact_of(unit)
        unit.save(update_fields=["contact_email"])


@pytest.fixture
def flaky_mail(settings, mailoutbox):
    """Mail to the outbox, after refusing the first FlakyBackend.failures sends."""
    settings.EMAIL_BACKEND = "tasks.tests.reminders.helpers.FlakyBackend"
    FlakyBackend.failures = 0
    yield FlakyBackend
    FlakyBackend.failures = 0


@pytest.fixture
def eager():
    """Jobs queued with delay() run at once, in this process (no broker)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
