"""Real processes, every channel: the sweep queued through Redis and run by
a `celery worker` subprocess on the test database, delivering e-mail to
aiosmtpd, DingTalk messages to the fake robot and SMS through Alibaba
Cloud's SDK to the fake dysmsapi endpoint (reminders.tests.fakes), all on
127.0.0.1. The worker takes its own queue (see test_integration)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from departments.models import Unit
from indicators.models import Plan
from reminders import jobs
from reminders.models import Delivery, Reminder, WorkdayOverride
from reminders.workdays import local_date

from .fakes import SECRET, FakeSms
from .helpers import configure_channels, contact_of, make_task
from .test_integration import DEADLINE, new_queue, run_job, start_worker, stop, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UNITS = ["区数管局", "区法院", "区卫生健康局"]


@pytest.fixture(scope="module")
def channel_worker(django_db_setup, django_db_blocker, smtp, robot_server, sms_server, tmp_path_factory):
    """A worker whose SMS goes to the fake endpoint; the robots' webhooks
    are in the database."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is not set: the integration tests need Redis (run `make test`)")
    _, port = smtp
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process, queue = start_worker(
        log,
        queue=new_queue(),
        EMAIL_PORT=str(port),
        SMS_ACCESS_KEY_ID=FakeSms.ACCESS_KEY_ID,
        SMS_ACCESS_KEY_SECRET="fake-access-key-secret-for-tests",
        SMS_ENDPOINT=f"127.0.0.1:{sms_server.port}",
        SMS_PROTOCOL="http",
        SMS_SIGN_NAME="萧山跑改办",
        SMS_TEMPLATE_CODE="SMS_000000001",
        DINGTALK_RATE_LIMIT_WAIT_SECONDS="1",
    )
    try:
        yield queue, log
    finally:
        stop(process)


@pytest.fixture
def sms_fake(sms_server):
    sms_server.reset()
    yield sms_server
    sms_server.reset()


def retry_run(queue):
    """Beat's retry run: every minute in production, twice a second here."""
    jobs.reminders_retry.apply_async(queue=queue, ignore_result=True)


def report_day_today() -> dt.datetime:
    """Now — the worker's clock is the real one, and a delivery sends what is
    due when it runs (a report-missing notice of another month no longer
    applies) — made a working day and the report day of this year's plan."""
    now = timezone.now()
    today = local_date(now)
    WorkdayOverride.objects.create(date=today, is_workday=True)
    Plan.objects.create(year=today.year, title=f"{today.year}年度计划", report_day=today.day)
    return now


def sweep_now(queue, log, now):
    run_job(queue, log, jobs.reminders_sweep, kwargs={"month_end": False, "as_of": now.isoformat()})


def year_end(now) -> dt.date:
    return dt.date(now.year, 12, 31)


def test_it_sends_one_message_per_unit_and_channel_for_a_sweep(
    channel_worker, mailbox, robot, sms_fake, units, contacts, staff, office
):
    """The daily sweep on the report day: three units with both channels,
    each with a task not reported on this month (by e-mail, DingTalk and
    SMS); a fourth unit, without channels, with a task overdue for more than
    15 days, escalated to the office (by all three)."""
    queue, log = channel_worker
    now = report_day_today()
    for code, name in enumerate(UNITS):
        configure_channels(Unit.objects.get(name=name), webhook=robot.webhook, secret=SECRET, sms=True)
        make_task(due=year_end(now), unit=name, code=str(code))
    make_task(due=local_date(now) - dt.timedelta(days=20), unit="区办事服务中心", code="9")
    configure_channels(None, webhook=robot.webhook, secret=SECRET, sms=True)
    unit_mail = {contact_of(Unit.objects.get(name=name)) for name in UNITS}

    sweep_now(queue, log, now)
    wait_for(
        lambda: len(robot.messages) >= 4 and len(sms_fake.messages) >= 4 and len(mailbox.messages) >= 5,
        "every message at the fakes",
    )
    # Everything the sweep queued has run; the sweep again, the retry run: nothing more goes out.
    sweep_now(queue, log, now)
    run_job(queue, log, jobs.reminders_retry)
    run_job(queue, log, jobs.reminders_deliver_office)

    titles = sorted(m["markdown"]["title"] for m in robot.messages)
    assert titles == sorted(f"【改革任务提醒】{name}" for name in [*UNITS, "跑改办"])
    texts = {m["markdown"]["title"]: m["markdown"]["text"] for m in robot.messages}
    assert "本月未报送进展 1 项" in texts["【改革任务提醒】区法院"]
    assert (
        "逾期督办 1 项" in texts["【改革任务提醒】跑改办"]
        and "区办事服务中心 · " in texts["【改革任务提醒】跑改办"]
    )
    sms_params = sorted((m["TemplateParam"]["unit"], m["TemplateParam"]["kind"]) for m in sms_fake.messages)
    assert sms_params == sorted([*((name, "本月尚未报送进展") for name in UNITS), ("跑改办", "逾期超过15天")])
    assert sms_fake.refused_shapes == []
    to = [address for envelope in mailbox.envelopes for address in envelope]
    assert all(to.count(address) == 1 for address in [*unit_mail, "office@example.com"]), to
    assert Delivery.objects.count() == Delivery.objects.filter(status="sent").count() == 8
    assert sorted(Delivery.objects.values_list("channel", "reminder__reason")) == sorted(
        [("dingtalk", "report_missing")] * 3
        + [("sms", "report_missing")] * 3
        + [("dingtalk", "escalation"), ("sms", "escalation")]
    )


def test_it_delivers_once_after_the_robot_answers_send_too_fast_twice(
    channel_worker, mailbox, robot, units, contacts
):
    queue, log = channel_worker
    configure_channels(Unit.objects.get(name="区数管局"), webhook=robot.webhook, secret=SECRET)
    now = report_day_today()
    task = make_task(due=year_end(now))
    robot.answers.extend([130101, 130101])

    sweep_now(queue, log, now)
    delivery = wait_for(
        lambda: Delivery.objects.filter(reminder__task=task, channel="dingtalk", status="sent").first(),
        "the robot's message delivered after two rate-limit answers",
        every=0.5,
        meanwhile=lambda: retry_run(queue),
    )
    # The retry runs queued while waiting run before the test's tables are
    # emptied: one still reading them during the TRUNCATE deadlocks with it.
    run_job(queue, log, jobs.reminders_retry)

    assert (robot.requests, len(robot.messages), len(mailbox.messages)) == (3, 1, 1)
    assert (delivery.attempts, delivery.last_error) == (1, "")
    assert log.read_text(errors="replace").count("send too fast") == 2


def test_it_records_a_signature_error_as_configuration_and_still_delivers_the_email(
    channel_worker, mailbox, robot, units, contacts, office, client
):
    queue, log = channel_worker
    configure_channels(
        Unit.objects.get(name="区数管局"), webhook=robot.webhook, secret="SECnot-the-robots-secret-0000"
    )
    now = report_day_today()
    task = make_task(due=year_end(now))

    sweep_now(queue, log, now)
    delivery = wait_for(
        lambda: Delivery.objects.filter(
            reminder__task=task, channel="dingtalk", status="config_error"
        ).first(),
        "the robot's refusal recorded",
    )
    for _ in range(3):
        run_job(queue, log, jobs.reminders_retry)

    wait_for(lambda: len(mailbox.messages) == 1, "the e-mail", timeout=DEADLINE)
    assert Reminder.objects.get(task=task, reason="report_missing").status() == "sent"
    assert (robot.requests, robot.messages, delivery.response_code) == (1, [], "310000")
    client.force_login(office)
    page = client.get(reverse("reminders:channels")).content.decode()
    assert "配置错误：errcode 310000" in page
    assert SECRET not in page
