from django import forms
from django.utils.translation import gettext_lazy

from tasks.forms import QueryForm, SearchField

from .channel_models import parse_mobiles, validate_webhook
from .models import Delivery, Reminder
from .selectors import Status


class NoticeLogFilterForm(QueryForm):
    """The notice log's filters (提醒记录)."""

    reason = forms.ChoiceField(label=gettext_lazy("原因"), required=False, choices=Reminder.Reason.choices)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=list(Status.LABELS.items())
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("钉钉 / 短信"), required=False, choices=Delivery.Status.choices
    )
    q = SearchField()


class ChannelSettingsForm(forms.Form):
    """A unit's (or the office's) channels, as the reform office edits them.
    The webhook and the secret are never sent back to the browser: left
    blank, the stored ones stay."""

    dingtalk_enabled = forms.BooleanField(label=gettext_lazy("启用钉钉群机器人"), required=False)
    webhook = forms.CharField(
        label=gettext_lazy("机器人 Webhook 地址"),
        required=False,
        max_length=500,
        strip=True,
        help_text=gettext_lazy("留空则保留现有地址。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    secret = forms.CharField(
        label=gettext_lazy("加签密钥"),
        required=False,
        max_length=200,
        strip=True,
        help_text=gettext_lazy("机器人安全设置“加签”中的密钥（SEC 开头）；留空则保留现有密钥。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    sms_enabled = forms.BooleanField(label=gettext_lazy("启用短信"), required=False)
    mobiles = forms.CharField(
        label=gettext_lazy("联络员手机号"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("钉钉消息 @ 这些号码，短信发往这些号码；多个用逗号分隔。"),
    )

    def __init__(self, *args, config=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        for name in ("webhook", "secret", "mobiles"):
            # Django's Chinese for a NUL byte is wrong.
            self.fields[name].error_messages["null_characters_not_allowed"] = gettext_lazy(
                "含有不可见的控制字符，请重新输入。"
            )

    def clean_webhook(self):
        webhook = self.cleaned_data["webhook"]
        if webhook:
            validate_webhook(webhook)
        return webhook

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if secret and not (secret.startswith("SEC") and len(secret) >= 20 and secret.isascii()):
            raise forms.ValidationError(gettext_lazy("加签密钥应以 SEC 开头，请从机器人安全设置中完整复制。"))
        return secret

    def clean_mobiles(self):
        return ",".join(parse_mobiles(self.cleaned_data["mobiles"]))

    def clean(self):
        data = super().clean()
        has_webhook = bool(data.get("webhook") or (self.config and self.config.dingtalk_webhook_sealed))
        if data.get("dingtalk_enabled") and not has_webhook:
            self.add_error("webhook", gettext_lazy("启用钉钉群机器人需要填写 Webhook 地址。"))
        if data.get("sms_enabled") and "mobiles" in data and not data["mobiles"]:
            self.add_error("mobiles", gettext_lazy("启用短信需要填写联络员手机号。"))
        return data
