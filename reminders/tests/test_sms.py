"""SMS through Alibaba Cloud's official SDK, pointed at a fake dysmsapi
endpoint (reminders.tests.fakes.FakeSms) that checks the request is signed
the SDK's way; which notices go by SMS; one short message per destination."""

import datetime as dt

import pytest
import time_machine

from departments.models import Unit
from reminders import channels, sms, sweep
from reminders.models import Delivery

from .helpers import at, configure_channels, make_task

pytestmark = pytest.mark.django_db
D = dt.date


def deliver_sms(unit_id, moment):
    with time_machine.travel(moment, tick=False):
        return channels.deliver(channel="sms", unit_id=unit_id)


def test_it_sends_the_sdk_request_signed_to_the_endpoint(sms_gateway):
    answer = sms.gateway().send(
        mobiles=["13800000000"], params={"unit": "区数管局", "count": "2", "kind": "x"}
    )

    assert (answer.code, answer.delivered) == ("OK", True)
    assert sms_gateway.refused_shapes == []
    (message,) = sms_gateway.messages
    assert message == {
        "PhoneNumbers": "13800000000",
        "SignName": "萧山跑改办",
        "TemplateCode": "SMS_000000001",
        "TemplateParam": {"unit": "区数管局", "count": "2", "kind": "x"},
    }


def test_it_is_refused_by_the_endpoint_with_another_access_key(sms_gateway, settings):
    settings.SMS_ACCESS_KEY_ID = "LTAI5tSomebodyElse"

    answer = sms.gateway().send(mobiles=["13800000000"], params={})

    assert (answer.code, answer.config_error) == ("SignatureDoesNotMatch", True)
    assert sms_gateway.refused_shapes == [["access key"]]


def test_it_texts_the_office_once_about_the_escalations_in_one_short_message(units, sms_gateway):
    configure_channels(None, sms=True, mobiles="13800000000,13900000000")
    for n, name in enumerate(["区法院", "区数管局", "区法院"]):
        make_task(due=D(2019, 6, 30), unit=name, code=str(n))
    now = at(2019, 7, 20)
    sweep.find_escalations(now=now)

    result = deliver_sms(None, now)

    assert (result.count, result.outcome.status) == (3, "sent")
    (message,) = sms_gateway.messages
    assert message["PhoneNumbers"] == "13800000000,13900000000"
    assert message["TemplateParam"] == {"unit": "跑改办", "count": "3", "kind": "逾期超过15天"}
    assert deliver_sms(None, now + dt.timedelta(minutes=5)) is None
    assert len(sms_gateway.messages) == 1


def test_it_texts_a_unit_about_missing_reports_only_on_the_report_day(units, sms_gateway, plan_2019):
    """2019-08-25 is a Sunday: the daily sweep records the notices on Monday
    the 26th, the first working day from the report day on, and SMS carries
    them that day. Overdue and due-soon notices never go by SMS."""
    unit = Unit.objects.get(name="区数管局")
    configure_channels(unit, sms=True, mobiles="13800000001")
    make_task(due=D(2019, 7, 31), code="901")
    with time_machine.travel(at(2019, 8, 26), tick=False):
        sweep.run(now=at(2019, 8, 26), deliver=False)

    result = deliver_sms(unit.pk, at(2019, 8, 26))

    rows = Delivery.objects.filter(channel="sms", reminder__unit=unit)
    sent = rows.filter(status="sent")
    assert sent.count() == result.count > 0
    assert set(sent.values_list("reminder__reason", flat=True)) == {"report_missing"}
    assert set(rows.exclude(status="sent").values_list("status", "reminder__reason")) <= {
        ("skipped", "overdue"),
        ("skipped", "due_soon"),
    }
    assert rows.filter(status="skipped", reminder__reason="overdue").exists()
    (message,) = sms_gateway.messages
    assert message["TemplateParam"] == {
        "unit": "区数管局",
        "count": str(result.count),
        "kind": "本月尚未报送进展",
    }


def test_it_does_not_text_a_report_missing_notice_recorded_after_its_day(units, sms_gateway):
    unit = Unit.objects.get(name="区数管局")
    configure_channels(unit, sms=True)
    make_task(due=D(2019, 12, 31), code="1")
    sweep.find_report_missing(now=at(2019, 8, 27))  # a task added after the 26th

    assert deliver_sms(unit.pk, at(2019, 8, 27)) is None
    assert Delivery.objects.get().status == "skipped"
    assert sms_gateway.requests == 0


@pytest.mark.parametrize(
    "code, status",
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "pending"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "config_error"),
        ("isv.MOBILE_NUMBER_ILLEGAL", "config_error"),
        ("isp.SYSTEM_ERROR", "failed"),
    ],
)
def test_it_reads_the_gateways_answer(units, sms_gateway, code, status):
    configure_channels(None, sms=True)
    make_task(due=D(2019, 6, 30), unit="区法院")
    sweep.find_escalations(now=at(2019, 7, 20))
    sms_gateway.answers.append(code)

    result = deliver_sms(None, at(2019, 7, 20))

    row = Delivery.objects.get()
    assert (result.outcome.status, row.status, row.response_code) == (status, status, code)
    assert row.attempts == (0 if status == "pending" else 1)


def test_it_leaves_sms_alone_when_no_gateway_is_configured(units, settings):
    settings.SMS_ACCESS_KEY_ID = ""
    configure_channels(None, sms=True)

    assert channels.enabled_channels(None) == []


def test_it_keeps_sms_and_dingtalk_apart(units, sms_gateway, robot):
    """The robot refuses (configuration error); the SMS goes out all the same,
    and a second round sends neither again."""
    configure_channels(None, webhook=robot.webhook, secret="SECwrong-secret-000000000", sms=True)
    make_task(due=D(2019, 6, 30), unit="区法院")
    now = at(2019, 7, 20)
    sweep.find_escalations(now=now)

    robot_result, sms_result = (deliver_sms_or_robot(c, now) for c in ("dingtalk", "sms"))
    again = [deliver_sms_or_robot(c, now + dt.timedelta(hours=1)) for c in ("dingtalk", "sms")]

    assert (robot_result.outcome.status, sms_result.outcome.status) == ("config_error", "sent")
    assert again == [None, None]
    assert (robot.requests, len(sms_gateway.messages)) == (1, 1)


def deliver_sms_or_robot(channel, moment):
    with time_machine.travel(moment, tick=False):
        return channels.deliver(channel=channel, unit_id=None)


def test_it_records_unconfirmed_when_the_gateway_does_not_answer_in_time(units, sms_gateway, settings):
    settings.SMS_TIMEOUT = 1
    configure_channels(None, sms=True)
    make_task(due=D(2019, 6, 30), unit="区法院")
    sweep.find_escalations(now=at(2019, 7, 20))
    sms_gateway.latency = 1.5

    result = deliver_sms(None, at(2019, 7, 20))
    sms_gateway.latency = 0

    row = Delivery.objects.get()
    assert (result.outcome.status, row.status) == ("unconfirmed", "unconfirmed")
    assert deliver_sms(None, at(2019, 7, 20, 10)) is None


def test_it_retries_later_when_the_gateway_cannot_be_reached(units, sms_gateway, settings):
    settings.SMS_ENDPOINT = "127.0.0.1:9"
    configure_channels(None, sms=True)
    make_task(due=D(2019, 6, 30), unit="区法院")
    sweep.find_escalations(now=at(2019, 7, 20))

    result = deliver_sms(None, at(2019, 7, 20))

    row = Delivery.objects.get()
    assert (result.outcome.status, row.status, row.attempts) == ("failed", "failed", 1)
    assert row.retry_after is not None


def test_it_texts_overdue_notices_too_when_told_to(units, sms_gateway, settings):
    settings.REMINDER_SMS_REASONS = ["escalation", "report_missing", "overdue"]
    unit = Unit.objects.get(name="区数管局")
    configure_channels(unit, sms=True, mobiles="13800000001")
    make_task(due=D(2019, 7, 31))
    sweep.find_overdue(now=at(2019, 8, 1, 0, 10))

    result = deliver_sms(unit.pk, at(2019, 8, 1, 0, 10))

    assert (result.count, result.outcome.status) == (1, "sent")
    assert sms_gateway.messages[0]["TemplateParam"]["kind"] == "已逾期"
