"""Channel settings: the robot's signature, secrets encrypted at rest and
shown masked, the webhook and mobile numbers validated, the key required in
production."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from departments.models import Unit
from reminders import channels, dingtalk, sweep, vault
from reminders.channel_models import parse_mobiles, validate_webhook
from reminders.models import ChannelSettings, Delivery
from tests.test_settings import run_manage

from .fakes import SECRET, TOKEN
from .helpers import at, configure_channels, make_task


def test_it_signs_like_the_robot_documentation_says():
    # Worked by hand (openssl):
    #   printf '1564588800000\nSECxsreform-test-secret' \
    #     | openssl dgst -sha256 -hmac 'SECxsreform-test-secret' -binary | base64
    #   → UmP71G1T5YgALxcvPrf6WxWfNp15Gl9Q5tLRqkKLMmo=   ("=" URL-encoded: %3D)
    secret, timestamp = "SECxsreform-test-secret", 1564588800000  # 2019-08-01 00:00 +08:00

    assert dingtalk.sign(secret, timestamp) == "UmP71G1T5YgALxcvPrf6WxWfNp15Gl9Q5tLRqkKLMmo%3D"
    assert dingtalk.signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", secret, timestamp
    ) == (
        "https://oapi.dingtalk.com/robot/send?access_token=abc"
        "&timestamp=1564588800000&sign=UmP71G1T5YgALxcvPrf6WxWfNp15Gl9Q5tLRqkKLMmo%3D"
    )


def test_it_masks_secrets():
    assert vault.mask("SEC1f0c5e2a7b3d9e8f6a4c2b0d1e3f5a7b9c8d6e4f2a0b1c3d5e7f9a8b6c4f3a9") == "SEC…f3a9"
    assert vault.mask("") == ""
    assert vault.mask("short") == "…rt"
    assert vault.mask_webhook("https://oapi.dingtalk.com/robot/send?access_token=4f3a9c2be1d0aaaa9c1d") == (
        "https://oapi.dingtalk.com/robot/send?access_token=4f3…9c1d"
    )


def test_it_stores_the_webhook_and_secret_encrypted(units):
    secret, token = "SECthe-signing-secret-0123456789", "tokentokentokentoken0123"
    config = configure_channels(
        Unit.objects.get(name="区数管局"),
        webhook=f"https://oapi.dingtalk.com/robot/send?access_token={token}",
        secret=secret,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM reminders_channelsettings WHERE id = %s", [config.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
        cursor.execute("SELECT * FROM reminders_historicalchannelsettings")
        history = " ".join(str(value) for r in cursor.fetchall() for value in r)
    assert secret not in row and token not in row and token not in history and secret not in history
    config.refresh_from_db()
    assert (config.secret, config.secret_masked) == (secret, "SEC…6789")
    assert config.webhook.endswith(token)


def test_it_asks_for_the_secret_again_when_the_key_changed(units, settings):
    config = configure_channels(Unit.objects.get(name="区数管局"), secret="SECold-secret-0123456789")
    settings.CHANNEL_SECRET_KEY = "bm90LXRoZS1zYW1lLWtleS1hdC1hbGwtMDEyMzQ1Njc="
    with pytest.raises(vault.SecretUnreadable):
        config.secret  # noqa: B018
    assert config.secret_masked == "无法解密，请重新填写"


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://oapi.dingtalk.com/robot/send?access_token=abcdefabcdefabcdef", "https://"),
        ("https://evil.example.com/robot/send?access_token=abcdefabcdefabcdef", "evil.example.com"),
        ("https://oapi.dingtalk.com/robot/send", "access_token"),
        ("https://oapi.dingtalk.com/robot/send?access_token=x", "access_token"),
    ],
)
def test_it_refuses_a_webhook_that_is_not_a_dingtalk_robot(url, message, settings):
    with pytest.raises(ValidationError) as refused:
        validate_webhook(url)
    assert message in refused.value.messages[0]


def test_it_accepts_the_hosts_of_a_government_deployment(settings):
    settings.DINGTALK_HOSTS = ["oapi.dingtalk.com", "openplatform.dg-work.cn"]
    validate_webhook("https://openplatform.dg-work.cn/robot/send?access_token=abcdefabcdefabcdef01")


def test_it_reads_mobile_numbers_the_way_people_type_them():
    assert parse_mobiles("13800000000, +86 139-0000-0000、13800000000\n15000000000") == [
        "13800000000",
        "13900000000",
        "15000000000",
    ]
    with pytest.raises(ValidationError) as refused:
        parse_mobiles("13800000000, 12345, 2380000000x")
    assert "12345、2380000000x" in refused.value.messages[0]


def test_it_keeps_one_record_per_notice_and_channel(units):
    reminder = make_task(due=dt.date(2019, 7, 31)).reminders.create(
        unit=Unit.objects.get(name="区数管局"),
        reason="overdue",
        period="2019-07-31#0",
        due_date="2019-07-31",
        remind_after="2019-08-01T00:00:00+08:00",
    )
    Delivery.objects.create(reminder=reminder, channel="dingtalk")
    Delivery.objects.create(reminder=reminder, channel="sms")
    with pytest.raises(IntegrityError):
        Delivery.objects.create(reminder=reminder, channel="dingtalk")


def test_it_keeps_one_office_row(db):
    ChannelSettings.objects.create(office=True)
    with pytest.raises(IntegrityError):
        ChannelSettings.objects.create(office=True)


def test_it_does_not_start_in_production_without_the_channel_key(tmp_path):
    production = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "reform.example.com",
        "XSREFORM_VAR_DIR": str(tmp_path),
    }
    missing = run_manage("check", CHANNEL_SECRET_KEY="", **production)
    assert missing.returncode != 0
    assert "CHANNEL_SECRET_KEY is required" in missing.stderr
    bad = run_manage("check", CHANNEL_SECRET_KEY="not-a-fernet-key", **production)
    assert "CHANNEL_SECRET_KEY must be a Fernet key" in bad.stderr
    key_file = tmp_path / "channel.key"
    key_file.write_text("dGVzdC1vbmx5LWNoYW5uZWwta2V5LTAxMjM0NTY3ODk=\n")
    from_file = run_manage("check", CHANNEL_SECRET_KEY_FILE=str(key_file), **production)
    assert from_file.returncode == 0, from_file.stderr
    sms = run_manage("check", SMS_ACCESS_KEY_ID="LTAI5t", CHANNEL_SECRET_KEY_FILE=str(key_file), **production)
    assert "SMS_ACCESS_KEY_SECRET, SMS_SIGN_NAME, SMS_TEMPLATE_CODE required too" in sms.stderr
    reasons = run_manage(
        "check",
        REMINDER_SMS_REASONS="escalation,everything",
        CHANNEL_SECRET_KEY_FILE=str(key_file),
        **production,
    )
    assert "REMINDER_SMS_REASONS: unknown reason(s) everything" in reasons.stderr


def test_it_never_writes_a_secret_to_the_log(units, robot, caplog):
    """Signed with the secret, refused: neither the secret nor the token is logged."""
    caplog.set_level(logging.DEBUG)
    unit = Unit.objects.get(name="区数管局")
    configure_channels(unit, webhook=robot.webhook, secret="SECthe-wrong-secret-for-this-robot")
    make_task(due=dt.date(2019, 7, 31))
    sweep.find_overdue(now=at(2019, 8, 1, 0, 10))
    with time_machine.travel(at(2019, 8, 1, 0, 11), tick=False):
        result = channels.deliver(channel="dingtalk", unit_id=unit.pk)
    assert result.outcome.status == "config_error"
    assert SECRET not in caplog.text and TOKEN not in caplog.text and "the-wrong-secret" not in caplog.text
    assert "310000" in caplog.text


def test_it_cuts_to_the_byte_and_says_how_many_were_left_out():
    lines = ["a" * 10] * 5

    text, left = dingtalk.cut("H", lines, lambda n: f"more {n}", limit=30)

    assert (text, left) == ("H\naaaaaaaaaa\naaaaaaaaaa\nmore 3", 3)
    assert len(text.encode()) == 30
    assert dingtalk.cut("H", lines, lambda n: f"more {n}", limit=1000) == (
        "\n".join(["H", *lines, "more 0"]),
        0,
    )
