"""Channel secrets at rest: a DingTalk robot's webhook (its access_token is
what lets anyone post to the group) and its signing secret are stored
encrypted with Fernet under CHANNEL_SECRET_KEY, decrypted only to send, and
shown masked (``SEC…f3a9``). In debug without a key, one is derived from
DJANGO_SECRET_KEY, so the demo runs; in production the key is required
(settings stop start-up without it)."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """Stored under another CHANNEL_SECRET_KEY (or damaged): enter it again."""


def _fernet() -> Fernet:
    key = settings.CHANNEL_SECRET_KEY
    if not key:
        digest = hashlib.sha256(f"xsreform-channels:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def seal(value: str) -> str:
    """The value encrypted (empty stays empty)."""
    return _fernet().encrypt(value.encode()).decode() if value else ""


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the stored secret cannot be decrypted with CHANNEL_SECRET_KEY") from None


def mask(value: str) -> str:
    """``SEC…f3a9``: enough to recognise it, not to use it."""
    if not value:
        return ""
    if len(value) <= 8:
        return "…" + value[-2:]
    return f"{value[:3]}…{value[-4:]}"


def mask_webhook(url: str) -> str:
    """The webhook with its access_token masked:
    ``https://oapi.dingtalk.com/robot/send?access_token=3f2…9c1d``."""
    if not url:
        return ""
    parts = urlsplit(url)
    token = (parse_qs(parts.query).get("access_token") or [""])[0]
    return f"{parts.scheme}://{parts.netloc}{parts.path}?access_token={mask(token)}"
