"""Test doubles that behave like the real thing, each an HTTP server in a
thread on 127.0.0.1:

- `FakeRobot`, a DingTalk custom group robot: checks the access_token, the
  timestamp window (an hour either way, in milliseconds) and the signature
  exactly as documented (HMAC-SHA256 of "timestamp\\nsecret", Base64, then
  URL-encoded), allows 20 messages a minute and answers with the robot's
  real error codes; `answers` scripts the next answers (e.g. 130101 twice),
  `latency` slows each answer.
- `FakeSms`, Alibaba Cloud's dysmsapi endpoint: checks that the request is
  the SDK's SendSms, signed with an ACS3-HMAC-SHA256 Authorization header
  of the documented shape for the expected AccessKey, and answers as the
  service does (Code OK, or an isv.* code)."""

import base64
import collections
import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit

TOKEN = "4f3a9c2be1d07a6f5e8b3c1d2a4f6e8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f"
SECRET = "SEC1f0c5e2a7b3d9e8f6a4c2b0d1e3f5a7b9c8d6e4f2a0b1c3d5e7f9a8b6c4f3a9"


class _Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = outer.handle(self.path, dict(self.headers), body)
                time.sleep(outer.latency)
                data = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.messages = []
            self.requests = 0
            self.answers = collections.deque()
            self.latency = 0.0

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeRobot(_Server):
    PER_MINUTE = 20
    WINDOW_MS = 3600 * 1000

    def reset(self):
        super().reset()
        self.secret = SECRET
        self.sent_times = collections.deque()

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/robot/send?access_token={TOKEN}"

    def _refusal(self, query: dict) -> dict | None:
        if query.get("access_token") != [TOKEN]:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        try:
            timestamp = int(query["timestamp"][0])
            signature = query["sign"][0]
        except (KeyError, ValueError):
            return {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com]"}
        if abs(time.time() * 1000 - timestamp) > self.WINDOW_MS:
            return {"errcode": 310000, "errmsg": "invalid timestamp, more: [https://ding-doc.dingtalk.com]"}
        expected = base64.b64encode(
            hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        ).decode()
        if signature != expected:  # parse_qs has URL-decoded it once
            return {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com]"}
        return None

    def handle(self, path, headers, body):
        query = parse_qs(urlsplit(path).query)
        with self.lock:
            self.requests += 1
            refusal = self._refusal(query)
            if refusal:
                return 200, refusal
            if self.answers:
                errcode = self.answers.popleft()
                return 200, {"errcode": errcode, "errmsg": "send too fast" if errcode == 130101 else "error"}
            now = time.monotonic()
            while self.sent_times and now - self.sent_times[0] > 60:
                self.sent_times.popleft()
            if len(self.sent_times) >= self.PER_MINUTE:
                return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
            self.sent_times.append(now)
            message = json.loads(body)
            if message.get("msgtype") != "markdown" or not message["markdown"].get("title"):
                return 200, {"errcode": 400105, "errmsg": "不支持的消息类型"}
            self.messages.append(message)
            return 200, {"errcode": 0, "errmsg": "ok"}


AUTHORIZATION = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<key>[^,]+),"
    r"SignedHeaders=(?P<headers>[a-z0-9;-]+),Signature=(?P<signature>[0-9a-f]{64})$"
)


class FakeSms(_Server):
    ACCESS_KEY_ID = "LTAI5tFakeKeyForTests"

    def reset(self):
        super().reset()
        self.refused_shapes = []

    def handle(self, path, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        params = {**query, **form}
        with self.lock:
            self.requests += 1
            match = AUTHORIZATION.match(headers.get("authorization", ""))
            problems = [
                name
                for name, ok in (
                    ("authorization", match is not None),
                    ("access key", match and match["key"] == self.ACCESS_KEY_ID),
                    (
                        "signed headers",
                        match and {"host", "x-acs-action", "x-acs-date"} <= set(match["headers"].split(";")),
                    ),
                    ("action", headers.get("x-acs-action") == "SendSms"),
                    ("version", headers.get("x-acs-version") == "2017-05-25"),
                    ("date", re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers.get("x-acs-date", ""))),
                    ("nonce", bool(headers.get("x-acs-signature-nonce"))),
                    ("content hash", re.fullmatch(r"[0-9a-f]{64}", headers.get("x-acs-content-sha256", ""))),
                )
                if not ok
            ]
            if problems:
                self.refused_shapes.append(problems)
                return 400, {"Code": "SignatureDoesNotMatch", "Message": f"bad request: {problems}"}
            if self.answers:
                code = self.answers.popleft()
                return 200, {"Code": code, "Message": "refused", "RequestId": "fake"}
            self.messages.append(
                {
                    "PhoneNumbers": params.get("PhoneNumbers", ""),
                    "SignName": unquote_plus(params.get("SignName", "")),
                    "TemplateCode": params.get("TemplateCode", ""),
                    "TemplateParam": json.loads(params.get("TemplateParam", "{}")),
                }
            )
            return 200, {"Code": "OK", "Message": "OK", "BizId": "fake-biz", "RequestId": "fake-request"}
