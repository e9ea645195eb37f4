"""SMS behind a small interface (`SmsGateway`), so that another gateway can
be added (SMS_GATEWAY, a dotted path). The default is Alibaba Cloud's SMS
(dysmsapi 2017-05-25) through its official SDK: SendSms with the sign name
and template code from settings and the template's parameters as JSON; the
SDK signs each request (ACS3-HMAC-SHA256 Authorization header).

The answer: ``Code == "OK"`` is accepted; isv.BUSINESS_LIMIT_CONTROL (too
many to one number) is a rate limit: wait, not a failure; a refused
signature, sign name, template, number or AccessKey is a configuration
error; anything else is a failure tried again later."""

import json
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

RATE_LIMITED = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling"}
CONFIG_ERRORS = {
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_SIGN_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL",
    "isv.AMOUNT_NOT_ENOUGH",
    "isv.OUT_OF_SERVICE",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "Forbidden.NoPermission",
    "MissingParameter",
}


class NotSent(Exception):
    """The request did not go out (no connection): try again."""


class NoAnswer(Exception):
    """The request went out and no answer came: the message may be on its way."""


@dataclass
class SmsAnswer:
    code: str
    message: str
    request_id: str = ""

    @property
    def delivered(self) -> bool:
        return self.code == "OK"

    @property
    def rate_limited(self) -> bool:
        return self.code in RATE_LIMITED

    @property
    def config_error(self) -> bool:
        return self.code in CONFIG_ERRORS

    def explain(self) -> str:
        return f"{self.code}: {self.message}"[:500]


class SmsGateway:
    """Send one templated message to some numbers; return the gateway's answer."""

    def send(self, *, mobiles: list[str], params: dict) -> SmsAnswer:
        raise NotImplementedError


class AliyunSmsGateway(SmsGateway):
    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as open_api_models

        config = open_api_models.Config(
            access_key_id=settings.SMS_ACCESS_KEY_ID,
            access_key_secret=settings.SMS_ACCESS_KEY_SECRET,
            endpoint=settings.SMS_ENDPOINT,
            protocol=settings.SMS_PROTOCOL,
            connect_timeout=settings.SMS_TIMEOUT * 1000,
            read_timeout=settings.SMS_TIMEOUT * 1000,
        )
        self.client = Client(config)

    def send(self, *, mobiles: list[str], params: dict) -> SmsAnswer:
        from alibabacloud_dysmsapi20170525 import models as sms_models
        from alibabacloud_tea_util.models import RuntimeOptions

        request = sms_models.SendSmsRequest(
            phone_numbers=",".join(mobiles),
            sign_name=settings.SMS_SIGN_NAME,
            template_code=settings.SMS_TEMPLATE_CODE,
            template_param=json.dumps(params, ensure_ascii=False),
        )
        # No retries inside the SDK: a retry could send the message twice.
        runtime = RuntimeOptions(autoretry=False, max_attempts=0)
        try:
            response = self.client.send_sms_with_options(request, runtime)
        except Exception as error:  # the SDK's errors: TeaException, requests' and aiohttp's
            code = getattr(error, "code", None)
            if code and code not in ("SDK.HttpError", "SDK.ReadTimeout"):
                return SmsAnswer(str(code), str(getattr(error, "message", ""))[:300])
            text = f"{type(error).__name__}: {error}"[:300]
            if "ead timed out" in text or "ReadTimeout" in text:
                raise NoAnswer(text) from None
            raise NotSent(text) from None
        body = response.body
        return SmsAnswer(body.code or "", body.message or "", body.request_id or "")


def gateway() -> SmsGateway:
    return import_string(settings.SMS_GATEWAY)()
