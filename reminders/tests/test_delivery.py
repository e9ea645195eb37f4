"""Delivery without a mail server: the states a notice goes through when a
worker dies, a claim is taken over or the server refuses for good; the
Message-ID; the cap on a digest's size."""

import datetime as dt
import smtplib
import uuid

import pytest
import time_machine
from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command

from departments.models import Unit
from indicators.models import Indicator, Plan
from reminders import delivery, digests, jobs, services, sweep
from reminders.models import Reminder
from tasks.models import Task

from .helpers import at, make_task, sweep_at

D = dt.date
MOMENT = at(2019, 8, 1, 0, 10)
CLAIM_TIMEOUT = dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)


def deliver(unit_name="区数管局", moment=MOMENT):
    with time_machine.travel(moment, tick=False):
        return delivery.deliver_unit(unit_id=Unit.objects.get(name=unit_name).pk, now=MOMENT)


# A worker that dies


def test_it_never_sends_again_a_digest_whose_worker_died_after_the_message_went_out(
    units, contacts, mailoutbox
):
    task = make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    # A worker claimed the notice, marked it "sending", sent the message and
    # was killed before the server's reply.
    Reminder.objects.update(claim_token=uuid.uuid4(), claimed_at=MOMENT, sending_at=MOMENT, attempts=1)
    reminder = Reminder.objects.get(task=task)
    assert reminder.status(MOMENT) == "unconfirmed"

    assert deliver(moment=MOMENT + dt.timedelta(minutes=1)) is None  # its claim still holds
    assert (
        deliver(moment=MOMENT + CLAIM_TIMEOUT + dt.timedelta(seconds=1)) is None
    )  # stale: settled, not sent

    assert mailoutbox == []
    reminder.refresh_from_db()
    assert (reminder.status(), reminder.unconfirmed, reminder.sent_at) == ("unconfirmed", True, MOMENT)
    assert "worker stopped" in reminder.last_error
    # The overdue chase goes on, from the notice that may have arrived.
    assert Reminder.objects.filter(task=task, period="2019-07-31#1").exists()
    # And no later sweep sends it.
    sweep_at(at(2019, 8, 2))
    assert mailoutbox == []


def test_it_sends_nothing_when_another_delivery_took_the_claim_over_before_the_message_went_out(
    units, contacts, mailoutbox, monkeypatch
):
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    mark_sending = delivery._mark_sending

    def too_slow(digest, *, token, message_id):
        # The claim went stale while this worker was still on the envelope,
        # and another delivery took the notices over.
        Reminder.objects.filter(claim_token=token).update(claim_token=uuid.uuid4())
        mark_sending(digest, token=token, message_id=message_id)

    monkeypatch.setattr(delivery, "_mark_sending", too_slow)

    assert deliver() is None
    assert mailoutbox == []
    assert Reminder.objects.get().sending_at is None


# Refused for good, by a backend other than SMTPBackend


class RefusingBackend(EmailBackend):
    """locmem, but every recipient refused with a 550."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(dict.fromkeys(messages[0].to, (550, b"5.1.1 No such user")))


def test_it_reports_a_digest_refused_for_good_without_retrying_it(
    units, contacts, office, settings, capsys, caplog
):
    settings.EMAIL_BACKEND = "reminders.tests.test_delivery.RefusingBackend"
    first = make_task(due=D(2019, 7, 31), code="1")
    make_task(due=D(2019, 7, 31), code="2")
    sweep.find_overdue(now=MOMENT)

    with time_machine.travel(MOMENT, tick=False):
        assert jobs.reminders_deliver_unit.apply(args=[first.unit_id]).successful()
    assert "retry" not in caplog.text
    assert [(r.status(), r.attempts) for r in Reminder.objects.all()] == [("refused", 1)] * 2

    # 重新发送 takes the whole e-mail back to pending; the command reports the new refusal.
    assert services.notices_resend(reminder=Reminder.objects.get(task=first), user=office, now=MOMENT) == 2
    with pytest.raises(CommandError, match="1 digest"):
        call_command("send_reminders", "--as-of", "2019-08-01")
    err = capsys.readouterr().err
    assert (
        "not sent (not sent again to these addresses): 区数管局: refused permanently: SMTPRecipientsRefused"
        in err
    )


# The Message-ID


def test_it_gives_a_digest_a_message_id_derived_from_its_notices(units, contacts, mailoutbox):
    make_task(due=D(2019, 7, 31), code="1")
    make_task(due=D(2019, 7, 31), code="2")
    sweep.find_overdue(now=MOMENT)
    first, second = Reminder.objects.order_by("pk")

    assert digests.message_id([first, second]) == digests.message_id([second, first])
    assert digests.message_id([first]) != digests.message_id([first, second])
    deliver()
    (message,) = mailoutbox
    assert message.message()["Message-ID"] == digests.message_id([first, second])
    sent = Reminder.objects.filter(sent_at__isnull=False)
    assert set(sent.values_list("message_id", flat=True)) == {digests.message_id([first, second])}


# The size of a digest


def test_it_lists_the_most_overdue_items_and_counts_the_rest(units, contacts, mailoutbox):
    for n in range(120):
        make_task(due=D(2019, 1, 1) + dt.timedelta(days=n), code=f"X{n:03d}")
    make_task(due=D(2019, 7, 31), code="S1")  # due soon on 26 July

    sweep_at(at(2019, 7, 26))

    (message,) = [m for m in mailoutbox if m.to[0] != "office@example.com"]
    assert message.subject == "【改革任务提醒】区数管局：已逾期 120 项，即将到期 1 项，本月未报送进展 121 项"
    for text in (message.body, message.alternatives[0][0]):
        listed = [f"X{n:03d}" for n in range(120) if f"X{n:03d}" in text]
        assert listed == [f"X{n:03d}" for n in range(50)]  # the 50 most overdue
        assert "还有 192 项，请登录系统查看" in text
        assert f"{settings.SITE_URL}/tasks/notices/" in text
        assert "已逾期 120 项，即将到期 1 项，本月未报送进展 121 项" in text
        assert "以下列出最紧迫的 50 项。" in text
    assert len(message.message().as_bytes()) < 100_000
    # Every notice was told of (by count and link): none is left pending.
    unit_notices = Reminder.objects.filter(remind_after__lte=at(2019, 7, 26)).exclude(reason="escalation")
    assert unit_notices.count() == 242
    assert not unit_notices.filter(sent_at=None).exists()


def test_it_keeps_the_reform_offices_digest_of_32000_escalations_small_and_counts_them_by_unit():
    """Province scale, in memory: 32,279 escalations over 5,000 units."""
    plan = Plan(year=2019, report_day=25)
    units = [Unit(pk=n + 1, name=f"某某市某某区第{n:04d}号单位（街道办事处）") for n in range(5000)]
    escalations = []
    for n in range(32279):
        unit = units[(n * 7) % 5000]
        indicator = Indicator(
            pk=n + 1,
            plan=plan,
            code=str(n + 1),
            category="夯实事项基础",
            task_text="推进政务服务事项“一网通办”，实现网上可办率达到 90% 以上，并完成相关系统对接" * 2,
            deadline_label="6月底",
            position=n,
        )
        task = Task(
            pk=n + 1, indicator=indicator, unit=unit, due_date=D(2019, 6, 30) - dt.timedelta(days=n % 300)
        )
        escalations.append(
            Reminder(pk=n + 1, task=task, unit=unit, reason="escalation", due_date=task.due_date)
        )
    digest = delivery.Digest(unit=None, recipients=["office@example.com"], reminders=escalations)

    message = digests.digest_message(digest, now=at(2019, 8, 16))

    size = len(message.message().as_bytes())
    print(f"32,279 escalations: {size / 1000:.1f} kB")
    assert size < 100_000
    assert message.subject == "【逾期督办】32279 项任务逾期超过 15 天"
    context = digests.digest_context(digest, now=at(2019, 8, 16))
    assert len(context["units"]) == 50
    assert context["units"][0]["count"] == max(r["count"] for r in context["units"])
    assert context["units_more"] == 4950
    assert sum(r["count"] for r in context["units"]) + context["units_more_items"] == 32279
    assert "还有 32229 项，请登录系统查看" in message.body
    assert "其余 4950 个单位共" in message.body
    # The items listed are the most overdue ones.
    assert sum(len(s["items"]) for s in context["sections"]) == 50
    assert {i["due_date"] for s in context["sections"] for i in s["items"]} == {
        D(2019, 6, 30) - dt.timedelta(299)
    }


def test_it_refuses_to_start_with_a_claim_that_goes_stale_before_the_server_must_answer(tmp_path):
    from tests.test_settings import run_manage

    result = run_manage(
        "check",
        DJANGO_DEBUG="1",
        XSREFORM_VAR_DIR=str(tmp_path),
        EMAIL_HOST="mail.example.com",
        REMINDER_CLAIM_TIMEOUT_SECONDS="600",
    )
    assert result.returncode != 0
    assert (
        "REMINDER_CLAIM_TIMEOUT_SECONDS (600) must be longer than EMAIL_DATA_TIMEOUT + EMAIL_TIMEOUT (630)"
        in (result.stderr)
    )
