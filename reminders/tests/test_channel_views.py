"""The office's channel pages (提醒渠道): who may see them, saving a unit's
robot and numbers, secrets never shown again, configuration errors shown
here and in 提醒记录, 发送测试消息."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from departments.models import Unit
from reminders import channels, sweep
from reminders.models import ChannelSettings, Delivery

from .fakes import SECRET, TOKEN
from .helpers import at, configure_channels, make_task

pytestmark = pytest.mark.django_db
MOMENT = at(2019, 8, 1, 0, 10)


def unit() -> Unit:
    return Unit.objects.get(name="区数管局")


def pages():
    return [
        reverse("reminders:channels"),
        reverse("reminders:channel_office"),
        reverse("reminders:channel_edit", args=[unit().pk]),
    ]


@pytest.mark.parametrize(
    "who, status", [("staff", 403), ("leader", 403), ("office", 200), ("admin_user", 200)]
)
def test_it_shows_the_channel_pages_to_the_office_and_admins_only(client, request, units, who, status):
    client.force_login(request.getfixturevalue(who))
    for url in pages():
        assert client.get(url).status_code == status, url
    response = client.post(pages()[2], {"dingtalk_enabled": "on", "mobiles": "13800000000"})
    assert response.status_code == status if status == 403 else True
    if status == 403:
        assert not ChannelSettings.objects.exists()


def test_it_sends_anonymous_visitors_to_log_in(client, units):
    for url in pages():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_saves_a_units_robot_and_never_shows_the_secret_again(client, office, units, settings, caplog):
    settings.DINGTALK_HOSTS = ["oapi.dingtalk.com"]
    client.force_login(office)
    url = reverse("reminders:channel_edit", args=[unit().pk])
    webhook = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"

    response = client.post(
        url,
        {
            "dingtalk_enabled": "on",
            "webhook": webhook,
            "secret": SECRET,
            "mobiles": "138-0000-0001，13900000002",
        },
        follow=True,
    )

    assertContains(response, "已保存区数管局的提醒渠道。")
    config = ChannelSettings.objects.get(unit=unit())
    assert (config.webhook, config.secret, config.mobiles) == (webhook, SECRET, "13800000001,13900000002")
    assert config.updated_by == office
    for page in (response, client.get(url), client.get(reverse("reminders:channels"))):
        html = page.content.decode()
        assert SECRET not in html and TOKEN not in html
    assertContains(client.get(url), "SEC…f3a9")
    assertContains(client.get(reverse("reminders:channels")), "access_token=4f3…7e9f")
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    # Left blank, the stored webhook and secret stay.
    client.post(url, {"dingtalk_enabled": "on", "webhook": "", "secret": "", "mobiles": "13800000001"})
    config.refresh_from_db()
    assert (config.webhook, config.secret, config.mobiles) == (webhook, SECRET, "13800000001")
    assert config.history.count() == 3  # created, saved, saved again


@pytest.mark.parametrize(
    "data, message",
    [
        ({"dingtalk_enabled": "on"}, "启用钉钉群机器人需要填写 Webhook 地址。"),
        ({"webhook": "https://example.com/robot/send?access_token=" + TOKEN}, "不在允许的钉钉域名中"),
        ({"webhook": "http://oapi.dingtalk.com/robot/send?access_token=" + TOKEN}, "应以 https:// 开头"),
        ({"secret": "not-a-secret"}, "加签密钥应以 SEC 开头"),
        ({"mobiles": "1380000000"}, "不是有效的手机号码：1380000000"),
        ({"sms_enabled": "on", "mobiles": ""}, "启用短信需要填写联络员手机号。"),
        ({"mobiles": "\x00"}, "含有不可见的控制字符，请重新输入。"),
    ],
)
def test_it_says_what_is_wrong_and_saves_nothing(client, office, units, data, message):
    client.force_login(office)

    response = client.post(reverse("reminders:channel_edit", args=[unit().pk]), data)

    assert response.status_code == 200
    assertContains(response, message)
    assert not ChannelSettings.objects.exists()


def test_it_shows_a_configuration_error_on_the_channel_pages_and_in_the_notice_log(
    client, office, units, robot, django_assert_max_num_queries
):
    configure_channels(unit(), webhook=robot.webhook, secret="SECnot-the-robots-secret-0000")
    make_task(due=dt.date(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    with time_machine.travel(MOMENT, tick=False):
        channels.deliver(channel="dingtalk", unit_id=unit().pk)
    client.force_login(office)

    with django_assert_max_num_queries(12):
        listing = client.get(reverse("reminders:channels"))
    assertContains(listing, "配置错误：errcode 310000")
    assertContains(client.get(reverse("reminders:channel_edit", args=[unit().pk])), "签名不匹配")
    log = client.get(reverse("reminders:notice_log"))
    assertContains(log, "钉钉：")
    assertContains(log, "配置错误")
    assertContains(log, "errcode 310000")


def test_it_sends_again_what_a_bad_configuration_held_back_once_it_is_corrected(
    client, office, units, robot, eager, django_capture_on_commit_callbacks, settings
):
    settings.DINGTALK_HOSTS = ["127.0.0.1"]
    configure_channels(unit(), webhook=robot.webhook, secret="SECnot-the-robots-secret-0000")
    make_task(due=dt.date(2019, 7, 31))
    sweep.find_overdue(now=MOMENT)
    with time_machine.travel(MOMENT, tick=False):
        channels.deliver(channel="dingtalk", unit_id=unit().pk)
    assert Delivery.objects.get().status == "config_error"
    client.force_login(office)

    with (
        time_machine.travel(MOMENT + dt.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            reverse("reminders:channel_edit", args=[unit().pk]),
            {"dingtalk_enabled": "on", "secret": SECRET, "mobiles": "13800000001"},
        )

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len(robot.messages) == 1


def test_it_sends_a_test_message_and_says_what_the_robot_answered(client, office, units, robot):
    config = configure_channels(unit(), webhook=robot.webhook, secret=SECRET)
    client.force_login(office)
    url = reverse("reminders:channel_edit", args=[unit().pk])

    ok = client.post(url, {"test": "1"}, follow=True)
    config.set_secret("SECnot-the-robots-secret-0000")
    config.save()
    refused = client.post(url, {"test": "1"}, follow=True)

    assertContains(ok, "测试消息已发到钉钉群。")
    assert "测试消息" in robot.messages[0]["markdown"]["title"]
    assertContains(refused, "机器人拒绝了测试消息：errcode 310000")
    assertNotContains(refused, SECRET)
    assert not Delivery.objects.exists()


def test_it_does_not_send_a_test_message_without_a_webhook(client, office, units):
    client.force_login(office)

    response = client.post(reverse("reminders:channel_office"), {"test": "1"}, follow=True)

    assertContains(response, "请先填写并保存机器人 Webhook 地址。")


def test_it_finds_the_notices_a_robot_refused_in_the_notice_log(client, office, units, robot):
    configure_channels(unit(), webhook=robot.webhook, secret="SECnot-the-robots-secret-0000")
    refused = make_task(due=dt.date(2019, 7, 31), code="1")
    sweep.find_overdue(now=MOMENT)
    with time_machine.travel(MOMENT, tick=False):
        channels.deliver(channel="dingtalk", unit_id=unit().pk)
    quiet = make_task(due=dt.date(2019, 7, 31), unit="区法院", code="2")
    sweep.find_overdue(now=MOMENT)
    client.force_login(office)

    page = client.get(reverse("reminders:notice_log"), {"channel": "config_error"})

    assert [n.task_id for n in page.context["page"]] == [refused.pk]
    assert quiet.pk not in [
        n.task_id
        for n in client.get(reverse("reminders:notice_log"), {"channel": "config_error"}).context["page"]
    ]
    assertContains(client.get(reverse("reminders:notice_log"), {"channel": "nonsense"}), "没有这个选项")
