"""The DingTalk robot channel against the fake robot (reminders.tests.fakes):
one signed markdown digest per unit, @-mentioning its 联络员; the robot's
answers (rate limit, signature refused, no answer); long digests cut; each
channel on its own — e-mail not held back by the robot, a robot retry
resending nothing else."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from departments.models import Unit
from indicators.models import Indicator
from reminders import channels, delivery, jobs, sweep
from reminders.models import Delivery, Reminder

from .fakes import TOKEN
from .helpers import at, configure_channels, make_task

pytestmark = pytest.mark.django_db
D = dt.date
MOMENT = at(2019, 8, 1, 0, 10)
SECRET_ = "SEC1f0c5e2a7b3d9e8f6a4c2b0d1e3f5a7b9c8d6e4f2a0b1c3d5e7f9a8b6c4f3a9"


def unit(name="区数管局") -> Unit:
    return Unit.objects.get(name=name)


def robot_for(robot, name="区数管局", secret=SECRET_, mobiles=""):
    return configure_channels(unit(name), webhook=robot.webhook, secret=secret, mobiles=mobiles)


def deliver_dingtalk(name="区数管局", moment=MOMENT):
    with time_machine.travel(moment, tick=False):
        return channels.deliver(channel="dingtalk", unit_id=unit(name).pk if name else None)


def test_it_posts_one_signed_digest_per_unit_that_mentions_its_liaison(units, robot, settings):
    settings.SITE_URL = "https://portal.example.test"
    robot_for(robot, mobiles="13800000001, 13900000002")
    first = make_task(due=D(2019, 7, 31), code="1")
    make_task(due=D(2019, 6, 30), code="2")
    sweep.find_overdue(now=MOMENT)

    result = deliver_dingtalk()

    assert (result.count, result.outcome.status) == (2, "sent")
    (message,) = robot.messages
    assert message["at"] == {"atMobiles": ["13800000001", "13900000002"], "isAtAll": False}
    text = message["markdown"]["text"]
    assert message["markdown"]["title"] == "【改革任务提醒】区数管局"
    assert "@13800000001 @13900000002" in text
    assert "已逾期 2 项" in text
    assert f"https://portal.example.test/tasks/{first.pk}/" in text
    assert "2019年6月30日截止，已逾期 32 天" in text
    assert text.index("2019年6月30日") < text.index("2019年7月31日")  # the latest first
    rows = Delivery.objects.filter(channel="dingtalk")
    assert {(r.status, r.attempts, r.response_code) for r in rows} == {("sent", 1, "0")}
    assert all(TOKEN not in r.target and "access_token=4f3…" in r.target for r in rows)
    # Nothing more to send: a second delivery posts nothing.
    assert deliver_dingtalk(moment=MOMENT + dt.timedelta(minutes=5)) is None
    assert len(robot.messages) == 1


def test_it_waits_after_the_rate_limit_answer_without_counting_a_failure(units, robot):
    robot_for(robot)
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    robot.answers.extend([130101, 130101])

    first = deliver_dingtalk()
    row = Delivery.objects.get()
    assert (first.outcome.status, row.status, row.attempts) == ("pending", "pending", 0)
    assert row.retry_after == MOMENT + dt.timedelta(seconds=settings.DINGTALK_RATE_LIMIT_WAIT_SECONDS)
    assert "发送太快" in row.last_error
    # Not before the wait is over.
    assert deliver_dingtalk(moment=MOMENT + dt.timedelta(seconds=30)) is None
    deliver_dingtalk(moment=MOMENT + dt.timedelta(seconds=61))
    last = deliver_dingtalk(moment=MOMENT + dt.timedelta(seconds=122))

    assert last.outcome.status == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, len(robot.messages)) == ("sent", 1, "", 1)


def test_it_holds_to_twenty_messages_a_minute_like_the_robot(units, robot):
    """Many units on one group's robot: the 21st message in a minute waits."""
    for name in Unit.objects.units().values_list("name", flat=True)[:22]:
        robot_for(robot, name=name)
        make_task(due=D(2019, 7, 31), unit=name, code=name)
    sweep.find_overdue(now=MOMENT)
    names = list(Unit.objects.units().values_list("name", flat=True)[:22])

    outcomes = [deliver_dingtalk(name).outcome.status for name in names]

    assert outcomes == ["sent"] * 20 + ["pending"] * 2
    assert Delivery.objects.filter(status="pending").exclude(retry_after=None).count() == 2


def test_it_records_a_signature_refusal_as_a_configuration_error_and_does_not_retry_it(units, robot):
    robot_for(robot, secret="SECnot-the-robot-secret-000000")
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)

    result = deliver_dingtalk()

    row = Delivery.objects.get()
    assert (result.outcome.status, row.status, row.response_code) == (
        "config_error",
        "config_error",
        "310000",
    )
    assert "签名不匹配" in row.last_error
    assert robot.messages == []
    # Neither the next delivery nor the retry run tries it again.
    assert deliver_dingtalk(moment=MOMENT + dt.timedelta(hours=1)) is None
    with time_machine.travel(MOMENT + dt.timedelta(hours=1), tick=False):
        assert channels.due_retries(now=MOMENT) == []
    assert robot.requests == 1


def test_it_refuses_a_timestamp_more_than_an_hour_off(units, robot):
    robot_for(robot)
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    config = channels.channel_settings(unit().pk)
    from reminders import dingtalk

    url = dingtalk.signed_url(config.webhook, config.secret, int(MOMENT.timestamp() * 1000) - 3601 * 1000)
    with time_machine.travel(MOMENT, tick=False):
        answer = dingtalk.post(
            url, {"msgtype": "markdown", "markdown": {"title": "t", "text": "t"}}, timeout=5
        )
    assert (answer.errcode, answer.config_error) == (310000, True)


def test_it_cuts_a_long_digest_to_the_robot_limit_and_counts_the_rest(units, robot, settings):
    settings.SITE_URL = "https://portal.example.test"
    robot_for(robot)
    for n in range(150):
        make_task(due=D(2019, 7, 31) - dt.timedelta(days=n), code=str(n))
    Indicator.objects.update(task_text="一项写得很长的改革任务" * 20)
    sweep.find_overdue(now=MOMENT)

    result = deliver_dingtalk()

    (message,) = robot.messages
    text = message["markdown"]["text"]
    assert len(text.encode()) <= 18_000
    assert result.count == 150 and result.left_out > 0
    assert f"还有 {result.left_out} 项，见系统：[https://portal.example.test/tasks/notices/]" in text
    assert text.count("\n- **") == 150 - result.left_out
    assert Delivery.objects.filter(status="sent").count() == 150  # every notice told of, by count


def test_it_records_unconfirmed_when_the_robot_does_not_answer_and_never_posts_it_again(
    units, robot, settings
):
    settings.DINGTALK_TIMEOUT = 1
    robot_for(robot)
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    robot.latency = 1.5

    result = deliver_dingtalk()
    robot.latency = 0

    row = Delivery.objects.get()
    assert (result.outcome.status, row.status, row.sent_at) == ("unconfirmed", "unconfirmed", row.sending_at)
    assert "timed out" in row.last_error
    assert deliver_dingtalk(moment=MOMENT + dt.timedelta(hours=2)) is None
    assert robot.requests == 1


def test_it_delivers_the_email_when_the_robot_is_down_and_retries_only_the_robot(
    units, contacts, robot, mailoutbox, eager, settings, django_capture_on_commit_callbacks
):
    dead = configure_channels(
        unit(), webhook="http://127.0.0.1:9/robot/send?access_token=" + TOKEN, secret=SECRET_
    )
    task = make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)

    with time_machine.travel(MOMENT, tick=False):
        jobs.reminders_deliver_unit(unit().pk)  # the e-mail, then the robot's own job

    assert len(mailoutbox) == 1
    assert Reminder.objects.get(task=task, period="2019-07-31#0").status() == "sent"
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.retry_after == MOMENT + dt.timedelta(seconds=settings.REMINDER_MAIL_RETRY_SECONDS)
    assert "ConnectionRefusedError" in row.last_error
    # The robot is back; the retry run sends the robot's message and no second e-mail.
    dead.set_webhook(robot.webhook)
    dead.save()
    with (
        time_machine.travel(MOMENT + dt.timedelta(minutes=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        jobs.reminders_retry()
    row.refresh_from_db()
    assert (row.status, row.attempts, len(robot.messages), len(mailoutbox)) == ("sent", 2, 1, 1)


def test_it_sends_the_office_robot_the_escalations_unit_by_unit(units, robot, office):
    configure_channels(None, webhook=robot.webhook, secret=SECRET_, mobiles="13800000000")
    make_task(due=D(2019, 6, 30), unit="区法院", code="9")
    now = at(2019, 7, 20)
    sweep.find_escalations(now=now)

    result = deliver_dingtalk(name=None, moment=now)

    assert (result.label, result.count, result.outcome.status) == ("跑改办", 1, "sent")
    text = robot.messages[0]["markdown"]["text"]
    assert "逾期督办 1 项" in text and "区法院 · " in text and "@13800000000" in text


def test_it_does_not_post_a_notice_that_no_longer_applies(units, robot):
    from tasks.models import Task

    robot_for(robot)
    task = make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    Task.objects.filter(pk=task.pk).update(status=Task.Status.VERIFIED)

    assert deliver_dingtalk() is None
    row = Delivery.objects.get()
    assert (row.status, row.last_error, row.attempts) == ("skipped", "任务已核实办结", 0)
    assert robot.requests == 0


def test_it_lets_one_delivery_send_when_two_claim_at_once(units, robot):
    """A second delivery finds the notices claimed by the first and sends nothing."""
    robot_for(robot)
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    rows = channels._rows("dingtalk", unit().pk)
    with time_machine.travel(MOMENT, tick=False):
        channels._record("dingtalk", unit().pk, now=MOMENT)
        token, claimed = channels._claim(rows)
        assert len(claimed) == 1
        assert channels.deliver(channel="dingtalk", unit_id=unit().pk) is None
        assert channels._mark_sending(token, 1, "x")
    assert robot.requests == 0


def test_it_does_not_post_last_months_notices_to_a_robot_configured_today(units, robot, contacts, mailoutbox):
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    with time_machine.travel(MOMENT, tick=False):
        delivery.deliver_unit(unit_id=unit().pk, now=MOMENT)
    robot_for(robot)

    assert deliver_dingtalk(moment=MOMENT + dt.timedelta(days=4)) is None
    assert not Delivery.objects.exists()


def test_it_records_a_configuration_error_when_the_secret_cannot_be_read(units, robot, settings):
    robot_for(robot)
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    settings.CHANNEL_SECRET_KEY = "bm90LXRoZS1zYW1lLWtleS1hdC1hbGwtMDEyMzQ1Njc="

    result = deliver_dingtalk()

    row = Delivery.objects.get()
    assert (result.outcome.status, row.status, row.attempts) == ("config_error", "config_error", 1)
    assert "无法解密" in row.last_error
    assert robot.requests == 0


def test_it_marks_sent_a_message_whose_answer_came_after_its_claim_was_settled(units, robot):
    """The worker was slow, not dead: its claim went stale and was recorded
    unconfirmed; the robot's errcode 0 then arrives and marks it sent."""
    robot_for(robot)
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    rows = channels._rows("dingtalk", unit().pk)
    with time_machine.travel(MOMENT, tick=False):
        channels._record("dingtalk", unit().pk, now=MOMENT)
        token, _claimed = channels._claim(rows)
        assert channels._mark_sending(token, 1, "x")
    stale = MOMENT + dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS + 1)
    with time_machine.travel(stale, tick=False):
        channels._settle_stale_sending(rows)
        assert Delivery.objects.get().status == "unconfirmed"
        channels._mark(token, channels.Outcome("sent", "0"))
    assert Delivery.objects.get().status == "sent"


def test_it_does_not_post_again_when_the_email_is_retried(units, contacts, robot, flaky_mail, eager):
    robot_for(robot)
    task = make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    flaky_mail.failures = 1  # the mail server refuses the first attempt

    with time_machine.travel(MOMENT, tick=False):
        jobs.reminders_deliver_unit(unit().pk)
    assert (len(mail.outbox), len(robot.messages)) == (0, 1)
    with time_machine.travel(MOMENT + dt.timedelta(minutes=2), tick=False):
        jobs.reminders_deliver_unit(unit().pk)  # the e-mail's retry

    assert (len(mail.outbox), len(robot.messages), robot.requests) == (1, 1, 1)
    assert Reminder.objects.get(task=task, period="2019-07-31#0").status() == "sent"
