"""Helpers for the reminder tests: moments in Asia/Shanghai, a sweep at a
frozen moment, units with contact addresses, a task made to measure, mail
backends that fail on purpose and an SMTP server that misbehaves on purpose."""

import asyncio
import datetime as dt
import socket
import threading
import time
from email import message_from_bytes
from email import policy as email_policy
from smtplib import SMTPDataError
from zoneinfo import ZoneInfo

import time_machine
from django.core.mail.backends.locmem import EmailBackend
from django.db.models import F, Q

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Plan
from reminders import sweep
from reminders.models import Reminder
from tasks.models import Task

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=8, minute=30) -> dt.datetime:
    """A moment in Asia/Shanghai; by default the daily sweep's 08:30."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def sweep_at(moment: dt.datetime, **kwargs) -> sweep.SweepResult:
    with time_machine.travel(moment, tick=False):
        return sweep.run(**kwargs)


def contact_of(unit: Unit) -> str:
    return f"unit-{unit.pk}@units.example.com"


def unit_of_mail(message) -> Unit:
    """The unit a digest went to, from its contact address."""
    (address,) = [a for a in message.to if a.endswith("@units.example.com")]
    return Unit.objects.get(pk=int(address.removeprefix("unit-").split("@")[0]))


def make_task(
    *, due: dt.date, unit: str = "区数管局", code: str = "1", label: str | None = None, **extra
) -> Task:
    """A task on an indicator of its own, in a plan for the due date's year."""
    plan, _ = Plan.objects.get_or_create(year=due.year, defaults={"title": f"{due.year}年度计划"})
    indicator = Indicator.objects.create(
        plan=plan,
        code=code,
        category="测试指标",
        task_text=f"测试任务 {code}",
        deadline_label=label or f"{due.month}月底",
        due_date=due,
        ongoing=extra.pop("ongoing", False),
    )
    # Named on the indicator as the annex would, so the plan has no unowned work.
    IndicatorUnit.objects.create(
        indicator=indicator, unit=Unit.objects.get(name=unit), role=IndicatorUnit.Role.LEAD
    )
    return Task.objects.create(
        indicator=indicator, unit=Unit.objects.get(name=unit), role=Task.Role.LEAD, due_date=due, **extra
    )


def notices(**filters) -> list[tuple]:
    """(task id, reason, period) of the notices recorded, less the overdue
    repeats still waiting for their day."""
    scheduled = Q(sent_at=None, remind_after__gt=F("created_at"))
    return sorted(
        Reminder.objects.filter(**filters).exclude(scheduled).values_list("task_id", "reason", "period")
    )


class FlakyBackend(EmailBackend):
    """locmem, but the first `failures` sends are refused like a busy server."""

    failures = 0
    code, reply = 451, b"4.3.0 try again later"  # 550…: refused for good
    lock = threading.Lock()

    def send_messages(self, messages):
        with FlakyBackend.lock:
            if FlakyBackend.failures > 0:
                FlakyBackend.failures -= 1
                raise SMTPDataError(FlakyBackend.code, FlakyBackend.reply)
        return super().send_messages(messages)


class Mailbox:
    """An aiosmtpd handler. It keeps what it accepts (`messages`, and each
    one's accepted recipients in `envelopes`) and can misbehave: refuse the
    first `refuse` messages with a 451, refuse recipients (`refuse_rcpt`:
    address → reply), answer the message with `reply` instead of 250, answer
    `delay` seconds late, (`hold`) not answer the first message until
    `release` is set — `received` is set as soon as it has a message — or
    hang up instead of answering the `hangup`th message. `connections`
    counts the SMTP connections opened to it (the conftest's `smtp`)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.refuse = 0
        self.attempts = 0
        self.rcpt_attempts = 0
        self.messages = []
        self.envelopes = []
        self.refuse_rcpt = {}
        self.reply = "250 Message accepted"
        self.delay = 0.0
        self.hangup = 0
        self.connections = 0
        self.hold = False
        self.received = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts += 1
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.attempts == self.hangup:
            server.transport.close()
            return "421 4.3.0 Closing"  # never reaches the client
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        if self.reply.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
            self.envelopes.append(list(envelope.rcpt_tos))
        self.received.set()
        if self.hold:
            self.hold, release = False, self.release
            deadline = time.monotonic() + 60
            while not release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        await asyncio.sleep(self.delay)
        return self.reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def configure_channels(
    unit: Unit | None, *, webhook: str = "", secret: str = "", sms: bool = False, mobiles=""
):
    """A unit's (None: the reform office's) channel settings, as the office would enter them."""
    from reminders.models import ChannelSettings

    config, _ = ChannelSettings.objects.get_or_create(unit=unit, office=unit is None)
    config.dingtalk_enabled = bool(webhook)
    config.set_webhook(webhook)
    config.set_secret(secret)
    config.sms_enabled = sms
    config.mobiles = mobiles or ("13800000000" if unit is None else f"139{unit.pk:08d}")
    config.save()
    return config
