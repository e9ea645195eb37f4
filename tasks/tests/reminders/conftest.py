import socket

import pytest

from departments.models import Unit

from .helpers import FlakyBackend, Mailbox, contact_of


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    """An SMTP server (aiosmtpd) on 127.0.0.1, in a thread: (Mailbox, port)."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    mailbox.release.set()
    controller.stop()


@pytest.fixture
def mailbox(smtp):
    box, _ = smtp
    box.reset()
    yield box
    box.release.set()  # a reply still held goes out (to whoever still listens)
