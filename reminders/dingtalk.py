"""DingTalk (钉钉 / 专有钉钉 / 浙政钉) custom group robots: the signed request,
the markdown digest, and what the robot's answer means.

- Signing (安全设置 → 加签): ``timestamp`` in milliseconds and
  ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``
  appended to the webhook; the robot refuses a timestamp more than an hour off.
- The answer: ``{"errcode": 0, "errmsg": "ok"}`` is delivered; 130101 / 410100
  ("send too fast", about 20 messages a minute per robot) is a rate limit:
  wait and try again, not a failure; 310000 (signature, keyword or IP
  refused), 300001 and 400xxx (token or robot unknown, robot stopped, group
  dissolved) are configuration errors: the office must fix the settings;
  anything else is a failure tried again later.
- The markdown text is cut to MAX_MARKDOWN_BYTES (the robot takes about
  20 000 bytes; we keep a margin for the title and the JSON around it) with
  "还有 N 项，见系统" and the link.

Posted with http.client rather than `requests` (which the SMS SDK brings in):
a refusal to connect (nothing sent, try again) and no answer after the
request went out (the group may have the message: unconfirmed, not resent)
must be told apart, and http.client shows which step failed."""

import base64
import hashlib
import hmac
import http.client
import json
import time
from dataclasses import dataclass
from urllib.parse import quote_plus, urlsplit

MAX_MARKDOWN_BYTES = 18_000
RATE_LIMITED = {130101, 410100}
CONFIG_ERRORS = {310000, 300001, 300005}
# What the office reads on the channel page and in 提醒记录.
EXPLAINED = {
    0: "已送达",
    130101: "发送太快（每分钟约 20 条），稍后自动重试",
    410100: "发送太快被限流，稍后自动重试",
    310000: "机器人安全设置拒绝：签名不匹配、缺少关键词或 IP 不在白名单（检查加签密钥与安全设置）",
    300001: "access_token 无效（检查 Webhook 地址）",
    300005: "access_token 不存在（检查 Webhook 地址）",
    400013: "群已被解散",
    400101: "access_token 不存在（检查 Webhook 地址）",
    400102: "机器人已停用",
    400105: "不支持的消息类型",
    400106: "机器人不存在",
}


class NotSent(Exception):
    """The request did not go out (no connection, refused before sending)."""


class NoAnswer(Exception):
    """The request went out and no answer came: the robot may have posted it."""


@dataclass
class Answer:
    errcode: int
    errmsg: str

    @property
    def delivered(self) -> bool:
        return self.errcode == 0

    @property
    def rate_limited(self) -> bool:
        return self.errcode in RATE_LIMITED

    @property
    def config_error(self) -> bool:
        return self.errcode in CONFIG_ERRORS or (400000 <= self.errcode < 500000 and not self.rate_limited)

    def explain(self) -> str:
        known = EXPLAINED.get(self.errcode, "")
        return f"errcode {self.errcode}: {self.errmsg}" + (f"（{known}）" if known else "")


def sign(secret: str, timestamp_ms: int) -> str:
    """The robot's signature, URL-encoded, as the `sign` query parameter."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(webhook: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return webhook
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return f"{webhook}&timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def markdown_payload(*, title: str, text: str, mobiles: list[str]) -> dict:
    """The markdown message; the robot @-mentions a mobile only when it is in
    `at.atMobiles` and `@mobile` appears in the text."""
    mentions = " ".join(f"@{m}" for m in mobiles)
    return {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": f"{text}\n\n{mentions}" if mentions else text},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }


def cut(header: str, lines: list[str], footer, *, limit: int = MAX_MARKDOWN_BYTES) -> tuple[str, int]:
    """`header`, as many `lines` as fit in `limit` bytes with `footer(left)`
    (the "还有 N 项" line, or the link alone), and how many were left out."""
    used = [len(header.encode())]
    for line in lines:
        used.append(used[-1] + 1 + len(line.encode()))  # each line after a newline
    for keep in range(len(lines), -1, -1):
        left = len(lines) - keep
        if used[keep] + 1 + len(footer(left).encode()) <= limit:
            return "\n".join([header, *lines[:keep], footer(left)]), left
    raise ValueError("the header alone is longer than the limit")


def post(url: str, payload: dict, *, timeout: float) -> Answer:
    """POST the message. Raises NotSent if the request did not go out,
    NoAnswer if it did and no (readable) answer came."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    body = json.dumps(payload, ensure_ascii=False).encode()
    path = f"{parts.path}?{parts.query}"
    try:
        try:
            connection.connect()
            connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        except (OSError, http.client.HTTPException) as error:
            raise NotSent(f"{type(error).__name__}: {error}") from None
        try:
            response = connection.getresponse()
            raw = response.read()
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            raise NoAnswer(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
    if response.status >= 500:
        # The robot's server failed before taking the message: a plain failure.
        raise NotSent(f"HTTP {response.status}")
    try:
        data = json.loads(raw)
        return Answer(int(data.get("errcode", -1)), str(data.get("errmsg", ""))[:300])
    except (ValueError, TypeError, AttributeError):
        raise NotSent(f"HTTP {response.status}: unreadable answer {raw[:100]!r}") from None
