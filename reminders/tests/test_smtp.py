"""Delivery to a real SMTP server (aiosmtpd, in a thread of this process)
through reminders.mail.SMTPBackend: what the server answers, and when, decides
whether a digest is sent, sent unconfirmed, refused for good or left for a
retry."""

import contextlib
import datetime as dt
import re

import pytest
import time_machine
from django.core import mail

from departments.models import Unit
from reminders import delivery, digests, jobs, sweep
from reminders.models import Reminder

from .helpers import at, contact_of, make_task

pytestmark = pytest.mark.integration

MOMENT = at(2019, 8, 1, 0, 10)


@pytest.fixture
def server(settings, smtp, mailbox):
    """Mail through SMTPBackend to the test server, with timeouts of a second."""
    _, port = smtp
    settings.EMAIL_BACKEND = "reminders.mail.SMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_TIMEOUT, settings.EMAIL_DATA_TIMEOUT = 1, 1
    return mailbox


@pytest.fixture
def overdue(units, contacts, staff):
    """One overdue notice for 区数管局 (staff sgj@example.com and the contact address)."""
    task = make_task(due=dt.date(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    return Reminder.objects.get(task=task)


def deliver():
    with time_machine.travel(MOMENT, tick=False):
        return delivery.deliver_unit(unit_id=Unit.objects.get(name="区数管局").pk, now=MOMENT)


def test_it_waits_for_a_slow_servers_reply_to_the_message(server, overdue, settings):
    """Each command before the body has EMAIL_TIMEOUT; the reply to the body
    may take EMAIL_DATA_TIMEOUT (RFC 5321: up to 10 minutes)."""
    settings.EMAIL_DATA_TIMEOUT = 5
    server.delay = 1.5  # longer than EMAIL_TIMEOUT

    digest = deliver()

    assert digest.sent
    assert len(server.messages) == 1
    overdue.refresh_from_db()
    assert overdue.status() == "sent"
    assert overdue.last_error == ""


def test_it_records_a_digest_unconfirmed_when_the_reply_to_the_message_never_comes(server, overdue):
    server.delay = 2  # longer than EMAIL_DATA_TIMEOUT: the server has it, we never hear so

    digest = deliver()

    assert digest.outcome == delivery.UNCONFIRMED
    assert len(server.messages) == 1
    overdue.refresh_from_db()
    assert overdue.status() == "unconfirmed"
    assert overdue.unconfirmed and overdue.sent_at == overdue.sending_at
    assert overdue.claim_token is None
    assert "timed out" in overdue.last_error
    # Never sent again by itself: not by the next delivery, not by a sweep.
    assert deliver() is None
    with time_machine.travel(at(2019, 8, 2), tick=False):
        sweep.run(now=at(2019, 8, 2))
    assert server.attempts == 1
    # The overdue chase goes on as for a sent notice.
    assert Reminder.objects.filter(task=overdue.task, period="2019-07-31#1").exists()


def test_it_does_not_retry_an_unconfirmed_digest_in_the_job(server, overdue, caplog):
    server.delay = 2

    with time_machine.travel(MOMENT, tick=False):
        result = jobs.reminders_deliver_unit.apply(
            args=[overdue.unit_id], kwargs={"as_of": MOMENT.isoformat()}
        )

    assert result.successful()
    assert server.attempts == 1
    assert "retry" not in caplog.text


def test_it_records_each_refused_recipient_and_delivers_to_the_others(server, overdue):
    contact = contact_of(overdue.unit)
    server.refuse_rcpt = {contact: "550 5.1.1 Mailbox unavailable"}

    digest = deliver()

    assert digest.sent
    assert digest.refusals == {contact: "550 5.1.1 Mailbox unavailable"}
    assert server.envelopes == [["sgj@example.com"]]
    overdue.refresh_from_db()
    assert overdue.status() == "sent"
    assert overdue.refusals == {contact: "550 5.1.1 Mailbox unavailable"}
    assert overdue.recipients == f"sgj@example.com, {contact}"


def test_it_does_not_send_again_a_digest_refused_for_good_until_the_addresses_change(server, overdue, caplog):
    contact = contact_of(overdue.unit)
    server.refuse_rcpt = {"sgj@example.com": "550 5.1.1 No such user", contact: "553 5.1.3 Bad address"}

    with time_machine.travel(MOMENT, tick=False):
        result = jobs.reminders_deliver_unit.apply(
            args=[overdue.unit_id], kwargs={"as_of": MOMENT.isoformat()}
        )

    assert result.successful()
    assert "retry" not in caplog.text  # 5xx: no Celery retry
    assert server.rcpt_attempts == 2
    overdue.refresh_from_db()
    assert overdue.status() == "refused"
    assert overdue.refusals == {"sgj@example.com": "550 5.1.1 No such user", contact: "553 5.1.3 Bad address"}
    assert "SMTPRecipientsRefused" in overdue.last_error
    # Not the next delivery, not the next sweep…
    assert deliver() is None
    with time_machine.travel(at(2019, 8, 2), tick=False):
        result = sweep.run(now=at(2019, 8, 2))
    assert server.rcpt_attempts == 2
    assert result.failures == []
    assert overdue.message_id == digests.message_id([overdue])
    # …until an admin corrects the unit's address.
    Unit.objects.filter(pk=overdue.unit_id).update(contact_email="sgj-office@units.example.com")
    server.refuse_rcpt = {"sgj@example.com": "550 5.1.1 No such user"}
    assert deliver().sent
    assert server.envelopes == [["sgj-office@units.example.com"]]
    overdue.refresh_from_db()
    assert overdue.status() == "sent"


def test_it_leaves_a_digest_for_a_retry_when_the_server_refuses_for_now(server, overdue):
    server.refuse_rcpt = {
        "sgj@example.com": "451 4.3.0 Try again later",
        contact_of(overdue.unit): "550 5.1.1 No such user",
    }

    with pytest.raises(delivery.DeliveryFailed) as failure:
        deliver()

    assert not failure.value.permanent
    overdue.refresh_from_db()
    assert overdue.status() == "failed"
    assert (overdue.claim_token, overdue.sending_at, overdue.failed_at) == (None, None, None)
    server.refuse_rcpt = {}
    assert deliver().sent
    assert len(server.messages) == 1


@pytest.mark.parametrize(
    ("reply", "status"), [("552 5.3.4 Message too big", "refused"), ("451 4.3.0 Queue full", "failed")]
)
def test_it_tells_a_permanent_from_a_passing_refusal_of_the_message(server, overdue, reply, status):
    server.reply = reply

    with contextlib.suppress(delivery.DeliveryFailed):
        deliver()

    overdue.refresh_from_db()
    assert overdue.status() == status
    assert overdue.sending_at is None  # the server said it did not take it
    assert reply.split()[0] in overdue.last_error


def test_it_keeps_the_same_message_id_when_it_sends_the_same_notices_again(server, overdue):
    server.refuse = 1  # a 451 to the message, then accepted

    with pytest.raises(delivery.DeliveryFailed):
        deliver()
    deliver()

    (message,) = server.messages
    overdue.refresh_from_db()
    assert message["Message-ID"].strip() == overdue.message_id
    assert re.fullmatch(r"<digest-[0-9a-f]{64}@127\.0\.0\.1>", overdue.message_id)  # SITE_URL's host


def test_it_sends_other_mail_through_the_same_backend(server, db):
    """Django's own mail (password resets…) goes through SMTPBackend too."""
    server.delay = 0.5
    assert mail.send_mail("测试", "正文", "noreply@example.com", ["a@example.com"]) == 1
    assert server.envelopes == [["a@example.com"]]
