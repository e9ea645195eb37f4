"""The browser side of bench/load.py: one user's cookies and requests, the
report and review forms as a page gives them, and a PDF the evidence rules
accept. Standard library only."""

import http.client
import re
import time
import uuid
from dataclasses import dataclass

from bench.province import HOST


def tiny_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table (~400 bytes)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass
class Sample:
    step: str
    ms: float
    error: str = ""  # empty when the answer was the expected one


class Unexpected(Exception):
    """An answer that is not what a browser would have got on a good day."""


class Browser:
    """One user's cookies and requests: a new connection per request (gunicorn's
    sync workers close it anyway), Set-Cookie kept as a browser would."""

    def __init__(self, port: int, cookies: dict[str, str], timeout: float, samples: list[Sample]):
        self.port, self.cookies, self.timeout, self.samples = port, dict(cookies), timeout, samples

    def request(self, step, method, path, *, expect, marker="", body=None, headers=None):
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                content = response.read()
            finally:
                connection.close()
        except OSError as error:
            self.samples.append(Sample(step, (time.perf_counter() - started) * 1000, type(error).__name__))
            raise Unexpected(f"{step}: {error!r}") from None
        ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if not value or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        location = response.getheader("Location", "")
        if response.status != expect or (marker and marker.encode() not in content):
            error = f"HTTP {response.status}" + ("" if response.status != expect else " without marker")
            self.samples.append(Sample(step, ms, error))
            raise Unexpected(f"{step} {path}: {error} {location} {content[:300]!r}")
        self.samples.append(Sample(step, ms))
        return content, location

    def get(self, step, path, *, expect=200, marker=""):
        return self.request(step, "GET", path, expect=expect, marker=marker)

    def post_form(self, step, path, fields, files=(), *, expect=302):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, filename, content_type, data in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request(step, "POST", path, expect=expect, body=body, headers=headers)


def form_fields(page: bytes, action: str) -> dict[str, str]:
    """The CSRF token and version of the form posting to `action`."""
    text = page.decode()
    start = text.find(f'action="{action}"')
    if start < 0:
        raise Unexpected(f"no form for {action} on the page")
    form = text[start : text.find("</form>", start)]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    version = re.search(r'name="version" value="(\d+)"', form)
    if not (token and version):
        raise Unexpected(f"form for {action} without token or version")
    return {"csrfmiddlewaretoken": token.group(1), "version": version.group(1)}
