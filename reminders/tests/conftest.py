import pytest

from departments.models import Unit
from xsreform.celery import app

from .helpers import FlakyBackend, Mailbox, contact_of, free_port


@pytest.fixture
def contacts(units):
    """Every unit with a contact address, as admins would enter them."""
    for unit in Unit.objects.units():
        unit.contact_email = contact_of(unit)
        unit.save(update_fields=["contact_email"])


@pytest.fixture
def flaky_mail(settings, mailoutbox):
    """Mail to the outbox, after refusing the first FlakyBackend.failures sends."""
    settings.EMAIL_BACKEND = "reminders.tests.helpers.FlakyBackend"
    FlakyBackend.failures = 0
    yield FlakyBackend
    FlakyBackend.failures = 0
    FlakyBackend.code, FlakyBackend.reply = 451, b"4.3.0 try again later"


@pytest.fixture(scope="module")
def smtp():
    """An SMTP server (aiosmtpd) on 127.0.0.1, in a thread: (Mailbox, port)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class CountingSMTP(SMTP):
        def connection_made(self, transport):
            mailbox.connections += 1
            super().connection_made(transport)

    class CountingController(Controller):
        def factory(self):
            return CountingSMTP(self.handler, **self.SMTP_kwargs)

    mailbox = Mailbox()
    controller = CountingController(mailbox, hostname="127.0.0.1", port=free_port())
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


@pytest.fixture
def eager():
    """Jobs queued with delay() run at once, in this process (no broker)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(scope="module")
def robot_server():
    from .fakes import FakeRobot

    server = FakeRobot()
    yield server
    server.stop()


@pytest.fixture
def robot(robot_server):
    """A fake DingTalk group robot (reminders.tests.fakes.FakeRobot), fresh for the test."""
    robot_server.reset()
    yield robot_server
    robot_server.reset()


@pytest.fixture(scope="module")
def sms_server():
    from .fakes import FakeSms

    server = FakeSms()
    yield server
    server.stop()


@pytest.fixture
def sms_gateway(sms_server, settings):
    """Alibaba Cloud's SMS SDK pointed at the fake endpoint."""
    from .fakes import FakeSms

    sms_server.reset()
    settings.SMS_ACCESS_KEY_ID = FakeSms.ACCESS_KEY_ID
    settings.SMS_ACCESS_KEY_SECRET = "fake-access-key-secret-for-tests"
    settings.SMS_ENDPOINT = f"127.0.0.1:{sms_server.port}"
    settings.SMS_PROTOCOL = "http"
    settings.SMS_SIGN_NAME = "萧山跑改办"
    settings.SMS_TEMPLATE_CODE = "SMS_000000001"
    yield sms_server
    sms_server.reset()
