"""The channels beside e-mail (imported by reminders.models): each unit's —
and the reform office's — DingTalk robot and SMS settings, and one delivery
record per notice and channel. E-mail keeps its state on the Reminder row
(see docs/reminders.md: why e-mail did not move into Delivery)."""

import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Unit

from . import vault

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def parse_mobiles(text: str) -> list[str]:
    """Mobile numbers separated by commas, 、, semicolons or new lines; +86,
    spaces and dashes inside a number allowed. Raises ValidationError naming
    the bad ones."""
    found, bad = [], []
    for item in re.split(r"[,，、;；\n]+", text or ""):
        item = item.strip()
        if not item:
            continue
        number = re.sub(r"[-\s]", "", item).removeprefix("+86").removeprefix("0086")
        if MOBILE.match(number):
            if number not in found:
                found.append(number)
        else:
            bad.append(item)
    if bad:
        raise ValidationError(
            _("不是有效的手机号码：%(numbers)s（应为 11 位中国大陆手机号）。"),
            params={"numbers": "、".join(bad)},
            code="mobile",
        )
    return found


def validate_webhook(url: str) -> None:
    """An https URL on a known DingTalk host (DINGTALK_HOSTS) with an access_token."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        raise ValidationError(_("机器人 Webhook 地址应以 https:// 开头。"), code="scheme")
    if parts.hostname not in settings.DINGTALK_HOSTS:
        raise ValidationError(
            _("机器人 Webhook 的域名 %(host)s 不在允许的钉钉域名中（%(hosts)s）。"),
            params={"host": parts.hostname or "—", "hosts": "、".join(settings.DINGTALK_HOSTS)},
            code="host",
        )
    token = (parse_qs(parts.query).get("access_token") or [""])[0]
    if not re.fullmatch(r"[0-9A-Za-z_-]{16,128}", token):
        raise ValidationError(
            _("机器人 Webhook 地址缺少 access_token（请完整复制机器人设置中的 Webhook）。"), code="token"
        )


class ChannelSettings(models.Model):
    """Where a unit's (or, with `office`, the reform office's) notices go
    besides e-mail. The webhook and the signing secret are stored encrypted
    (reminders.vault) and never shown again in full."""

    unit = models.OneToOneField(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channel_settings",
    )
    office = models.BooleanField(_("跑改办"), default=False, editable=False)
    dingtalk_enabled = models.BooleanField(_("启用钉钉群机器人"), default=False)
    dingtalk_webhook_sealed = models.TextField(blank=True, editable=False)
    dingtalk_secret_sealed = models.TextField(blank=True, editable=False)
    sms_enabled = models.BooleanField(_("启用短信"), default=False)
    mobiles = models.CharField(
        _("联络员手机号"),
        max_length=200,
        blank=True,
        help_text=_("钉钉消息 @ 这些号码，短信发往这些号码；多个用逗号分隔。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["dingtalk_webhook_sealed", "dingtalk_secret_sealed"])

    class Meta:
        verbose_name = _("提醒渠道设置")
        verbose_name_plural = _("提醒渠道设置")
        constraints = [
            models.UniqueConstraint(fields=["office"], condition=Q(office=True), name="channel_one_office"),
            models.CheckConstraint(
                condition=Q(office=True, unit=None) | Q(office=False, unit__isnull=False),
                name="channel_unit_or_office",
            ),
        ]

    def __str__(self):
        return str(_("跑改办")) if self.office else self.unit.name

    @property
    def webhook(self) -> str:
        return vault.unseal(self.dingtalk_webhook_sealed)

    @property
    def secret(self) -> str:
        return vault.unseal(self.dingtalk_secret_sealed)

    def set_webhook(self, url: str) -> None:
        self.dingtalk_webhook_sealed = vault.seal(url.strip())

    def set_secret(self, secret: str) -> None:
        self.dingtalk_secret_sealed = vault.seal(secret.strip())

    @property
    def webhook_masked(self) -> str:
        try:
            return vault.mask_webhook(self.webhook)
        except vault.SecretUnreadable:
            return str(_("无法解密，请重新填写"))

    @property
    def secret_masked(self) -> str:
        try:
            return vault.mask(self.secret)
        except vault.SecretUnreadable:
            return str(_("无法解密，请重新填写"))

    @property
    def mobile_list(self) -> list[str]:
        try:
            return parse_mobiles(self.mobiles)
        except ValidationError:
            return []

    def enabled(self, channel: str) -> bool:
        if channel == Delivery.Channel.DINGTALK:
            return self.dingtalk_enabled and bool(self.dingtalk_webhook_sealed)
        if channel == Delivery.Channel.SMS:
            return self.sms_enabled and bool(self.mobile_list) and bool(settings.SMS_ACCESS_KEY_ID)
        return False


class Delivery(models.Model):
    """One notice's delivery through one channel: at most one row per
    (notice, channel), so a notice goes to a channel once. Claimed (a token,
    one conditional UPDATE) before sending, `sending_at` committed before the
    request goes out, sent only once the channel accepted it (DingTalk:
    errcode 0; SMS: Code OK). See reminders.channels."""

    class Channel(models.TextChoices):
        DINGTALK = "dingtalk", _("钉钉")
        SMS = "sms", _("短信")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        CLAIMED = "claimed", _("发送中")
        SENT = "sent", _("已发送")
        UNCONFIRMED = "unconfirmed", _("已发送（未确认）")
        FAILED = "failed", _("发送失败，待重试")
        CONFIG_ERROR = "config_error", _("配置错误")
        SKIPPED = "skipped", _("未发送")

    reminder = models.ForeignKey(
        "reminders.Reminder", verbose_name=_("提醒"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sending_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    retry_after = models.DateTimeField(_("重试时间"), null=True, blank=True)
    response_code = models.CharField(_("返回码"), max_length=64, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    target = models.CharField(_("发往"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("渠道发送记录")
        verbose_name_plural = _("渠道发送记录")
        ordering = ["reminder_id", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "channel"], name="delivery_once_per_channel"),
            models.CheckConstraint(
                condition=Q(channel__in=["dingtalk", "sms"]), name="delivery_channel_known"
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "retry_after"],
                name="delivery_waiting",
                condition=Q(status__in=["pending", "failed", "claimed"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.reminder_id} · {self.get_status_display()}"
