"""Dispatch's two outbound calls: enrollment's send permit (HTTP) and the SMTP server.

Both turn transport trouble into the error taxonomy the step handler decides on: transient
(retry the step.due later), permanent (the step failed) or, for SMTP, unknown outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from uuid import UUID

import aiosmtplib
import httpx

from cadenza_dispatch.domain.threading import to_wire
from cadenza_dispatch.settings import DispatchSettings
from cadenza_shared.errors import CadenzaError, RetryableError


@dataclass(frozen=True)
class Permit:
    """Enrollment's answer: may this step touch the prospect now?"""

    granted: bool
    reason: str


class PermitAsk(Protocol):
    async def __call__(self, *, enrollment_id: UUID, step_index: int) -> Permit: ...


class Mailer(Protocol):
    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> str: ...


class PermitClient:
    """Asks `POST {enrollment_url}/internal/enrollments/{id}/permits` right before each touch."""

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, token: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.token = token

    async def __call__(self, *, enrollment_id: UUID, step_index: int) -> Permit:
        """200 -> granted, 409 -> refused with enrollment's reason; anything else is RetryableError."""
        url = f"{self.base_url}/internal/enrollments/{enrollment_id}/permits"
        try:
            response = await self.client.post(url, json={"step_index": step_index}, headers={"X-Cadenza-Internal": self.token})
        except httpx.HTTPError as exc:
            raise RetryableError(f"send permit: enrollment unreachable ({exc.__class__.__name__}: {exc})") from exc
        if response.status_code in (200, 409):
            try:
                reason = str(response.json().get("reason", ""))
            except ValueError:
                reason = response.text[:200]
            return Permit(granted=response.status_code == 200, reason=reason)
        if response.status_code == 401:
            raise RetryableError("send permit: enrollment rejected the internal token (check CADENZA_DISPATCH_INTERNAL_TOKEN)")
        raise RetryableError(f"send permit: enrollment answered {response.status_code}: {response.text[:200]}")


class SendError(CadenzaError):
    """The SMTP server did not take the message; `detail` says what it answered."""

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class TransientSendError(SendError):
    """Not delivered, try again later: no connection, a timeout before the message went out, or a 4xx reply."""


class PermanentSendError(SendError):
    """Not delivered and never will be: a 5xx reply to MAIL, RCPT or DATA."""


class SendOutcomeUnknown(SendError):
    """The connection broke after the message was handed over: it may or may not have been delivered."""


def _by_code(exc: aiosmtplib.SMTPResponseException, *, stage: str) -> SendError:
    detail = f"{stage}: {exc.code} {exc.message}"
    return PermanentSendError(detail, code=exc.code) if exc.code >= 500 else TransientSendError(detail, code=exc.code)


class SmtpMailer:
    """Sends one message per connection, stage by stage, so a retry can never send a message twice.

    `aiosmtplib.send` would hide *where* a timeout happened; here a failure before DATA is
    always safe to retry, and a dropped connection during DATA is reported as unknown.
    """

    def __init__(self, settings: DispatchSettings) -> None:
        self.settings = settings

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            timeout=s.smtp_timeout,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
        )

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> str:
        """Deliver `message`; return the server's reply to DATA, or raise a SendError subclass."""
        smtp = self._client()
        try:
            await smtp.connect()
        except aiosmtplib.SMTPResponseException as exc:  # greeting, STARTTLS or login refused: our setup, retry
            raise TransientSendError(f"connect: {exc.code} {exc.message}", code=exc.code) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"connect: {exc.__class__.__name__}: {exc}") from exc
        try:
            try:
                await smtp.mail(sender)
                await smtp.rcpt(recipient)
            except aiosmtplib.SMTPResponseException as exc:
                raise _by_code(exc, stage="envelope") from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise TransientSendError(f"envelope: {exc.__class__.__name__}: {exc}") from exc
            try:
                response = await smtp.data(to_wire(message))
            except aiosmtplib.SMTPResponseException as exc:  # the server answered: it did not take the message
                raise _by_code(exc, stage="data") from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise SendOutcomeUnknown(f"data: {exc.__class__.__name__}: {exc}") from exc
            return f"{response.code} {response.message}"
        finally:
            await _close(smtp)


async def _close(smtp: aiosmtplib.SMTP) -> None:
    try:
        if smtp.is_connected:
            await smtp.quit()
    except Exception:  # the message is settled either way; a failed QUIT changes nothing
        smtp.close()
