"""Sending one e-mail and knowing what became of it.

Django's SMTP backend waits for every reply with one socket timeout
(EMAIL_TIMEOUT) and drops smtplib's list of refused recipients. A reminder
digest needs more: whether the server refused it before the body went out
(nothing delivered: 4xx try again, 5xx do not), accepted it (250) and for
whom, or fell silent after the body was sent — then the server may have the
message, and sending it again makes a duplicate. `transmit` tells the three
apart; `SMTPBackend` (EMAIL_BACKEND when EMAIL_HOST is set) waits
EMAIL_DATA_TIMEOUT for the reply to the body, as RFC 5321 §4.5.3.2.6 asks.
Other backends (files in the demo, locmem in tests) deliver at once: a
message they take is accepted."""

import logging
import re
import smtplib
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)


class NotDelivered(Exception):
    """The server did not take the message: nothing was delivered.
    `permanent` for a 5xx reply; `refusals` per recipient when all were refused."""

    def __init__(self, error: Exception, *, permanent: bool, refusals: dict[str, str] | None = None):
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error
        self.permanent = permanent
        self.refusals = refusals or {}


class Unconfirmed(Exception):
    """The body was sent and no reply came (timeout, connection lost): the
    server may have the message."""

    def __init__(self, error: Exception):
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


def _refusal(code: int, reply: bytes) -> str:
    return f"{code} {reply.decode(errors='replace')}".strip()


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


class SMTPBackend(EmailBackend):
    """Django's SMTP backend, but: EMAIL_TIMEOUT for connecting and the
    commands before the body, EMAIL_DATA_TIMEOUT for the reply to the body;
    a hook that runs just before the body goes out; refused recipients
    returned; the outcome as `NotDelivered` / `Unconfirmed`."""

    def __init__(self, *args, data_timeout: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_timeout = settings.EMAIL_DATA_TIMEOUT if data_timeout is None else data_timeout

    def transmit(self, message: EmailMessage, *, before_data: Callable[[], None]) -> dict[str, str]:
        """Send one message on this connection (opened if need be; the caller
        closes it). Returns the refused recipients, address → reply."""
        with self._lock:
            try:
                self.open()
            except (OSError, smtplib.SMTPException) as error:
                # Connecting, EHLO, STARTTLS, AUTH: the server (or our
                # configuration) is at fault, not this message; try again later.
                self._drop()
                raise NotDelivered(error, permanent=False) from error
            return self._transaction(message, before_data)

    def _transaction(self, message: EmailMessage, before_data: Callable[[], None]) -> dict[str, str]:
        smtp = self.connection
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(address, encoding) for address in message.recipients()]
        body = message.message().as_bytes(linesep="\r\n")
        refusals = {}
        try:
            smtp.ehlo_or_helo_if_needed()
            options = [f"size={len(body)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
            code, reply = smtp.mail(sender, options)
            if code != 250:
                raise NotDelivered(
                    smtplib.SMTPSenderRefused(code, reply, sender), permanent=_is_permanent(code)
                )
            for address in recipients:
                code, reply = smtp.rcpt(address)
                if code not in (250, 251):
                    refusals[address] = _refusal(code, reply)
            if len(refusals) == len(recipients):
                codes = [int(r.split()[0]) for r in refusals.values()]
                raise NotDelivered(
                    smtplib.SMTPRecipientsRefused(refusals),
                    permanent=all(_is_permanent(c) for c in codes),
                    refusals=refusals,
                )
            code, reply = smtp.docmd("data")
            if code != 354:
                raise NotDelivered(smtplib.SMTPDataError(code, reply), permanent=_is_permanent(code))
        except NotDelivered:
            self._reset()
            raise
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise NotDelivered(error, permanent=False) from error
        try:
            before_data()
        except BaseException:
            # In the DATA phase a QUIT would be read as the message: hang up,
            # and the server drops the unfinished transaction.
            self._drop()
            raise
        smtp.sock.settimeout(self.data_timeout)
        try:
            # A failure while sending means the final "." never left: not delivered.
            smtp.send(_dot_stuffed(body))
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise NotDelivered(error, permanent=False) from error
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise Unconfirmed(error) from error
        smtp.sock.settimeout(self.timeout)
        if code != 250:
            raise NotDelivered(smtplib.SMTPDataError(code, reply), permanent=_is_permanent(code))
        return refusals

    def _send(self, email_message):
        """Every other e-mail (Django's send_mail…) takes the same path."""
        if not email_message.recipients():
            return False
        if self.connection is None:  # the message before it hung up
            self.open()
        try:
            refused = self._transaction(email_message, before_data=lambda: None)
        except (NotDelivered, Unconfirmed):
            if not self.fail_silently:
                raise
            return False
        if refused:
            logger.warning("mail %r: recipients refused: %s", email_message.subject, refused)
        return True

    def _reset(self):
        """After a refusal the session goes on (QUIT, or the next message)."""
        try:
            self.connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self):
        """Hang up without QUIT."""
        for smtp in (self.connection, self._partial_connection):
            if smtp is not None:
                smtp.close()
        self.connection = self._partial_connection = None

    def close(self):
        """QUIT after the transaction; its reply no longer matters."""
        try:
            super().close()
        except (OSError, smtplib.SMTPException) as error:
            logger.info("SMTP QUIT failed: %s", error)
            self._drop()


def _dot_stuffed(body: bytes) -> bytes:
    """The body as DATA sends it: leading dots doubled, ended by CRLF.CRLF."""
    body = re.sub(rb"(?m)^\.", b"..", body)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def transmit(
    connection: BaseEmailBackend, message: EmailMessage, *, before_data: Callable[[], None]
) -> dict[str, str]:
    """Send `message` through `connection`, calling `before_data` just before
    the body goes out. Returns the refused recipients (address → reply);
    raises NotDelivered (nothing delivered) or Unconfirmed (maybe delivered)."""
    if isinstance(connection, SMTPBackend):
        return connection.transmit(message, before_data=before_data)
    before_data()
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        refusals = {address: _refusal(code, reply) for address, (code, reply) in error.recipients.items()}
        permanent = all(_is_permanent(code) for code, _reply in error.recipients.values())
        raise NotDelivered(error, permanent=permanent, refusals=refusals) from error
    except smtplib.SMTPResponseException as error:
        raise NotDelivered(error, permanent=_is_permanent(error.smtp_code)) from error
    except Exception as error:
        raise NotDelivered(error, permanent=False) from error
    return {}
