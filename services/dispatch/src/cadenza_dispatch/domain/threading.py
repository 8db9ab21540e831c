"""Message-IDs, email threading (In-Reply-To, References, "Re:" subjects) and the outgoing message, as pure functions."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from uuid import UUID

from cadenza_dispatch.domain.templates import RenderError

_RE_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)
#: CRLF, and headers folded only past SMTP's hard 998-character limit: a long Message-ID in
#: In-Reply-To stays on its own header line instead of being folded onto a continuation line.
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


class NoThread(RenderError):
    """A reply-in-thread step with no earlier sent email to reply to and no subject of its own."""

    reason_code = "no_thread"

    def __init__(self) -> None:
        super().__init__("reply_in_thread: no earlier email was sent to this prospect and the step has no subject", part="subject")


@dataclass(frozen=True)
class PreviousEmail:
    """The last email sent to the enrollment before this step."""

    message_id: str
    subject: str
    references: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Thread:
    """The subject and threading headers of an outgoing email."""

    subject: str
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)


def make_message_id(delivery_id: UUID, *, mail_domain: str, nonce: str | None = None) -> str:
    """`<{delivery_id}.{8 hex}@{mail_domain}>`: globally unique, and traceable to its delivery."""
    nonce = nonce or uuid.uuid4().hex[:8]
    return f"<{delivery_id}.{nonce}@{mail_domain}>"


def reply_subject(subject: str) -> str:
    """`Re: <subject>`, without stacking a second `Re:`."""
    subject = subject.strip()
    return subject if _RE_PREFIX.match(subject) else f"Re: {subject}"


def thread_for(*, reply_in_thread: bool, subject: str | None, previous: PreviousEmail | None) -> Thread:
    """Headers of a new email: a reply in the previous email's thread, or a thread of its own.

    A reply-in-thread step with nothing sent before it starts a new thread under its own subject,
    if it has one (NoThread otherwise).
    """
    if reply_in_thread and previous is not None:
        references = [r for r in previous.references if r != previous.message_id]
        references.append(previous.message_id)
        return Thread(subject=reply_subject(previous.subject), in_reply_to=previous.message_id, references=references)
    if not subject:
        raise NoThread()
    return Thread(subject=subject)


def compose_email(
    *,
    from_address: str,
    to_address: str,
    to_name: str | None,
    thread: Thread,
    body: str,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """The message as it goes to SMTP: plain text, threading headers, and a one-click unsubscribe address."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = Address(display_name=to_name or "", addr_spec=to_address)
    message["Subject"] = thread.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if thread.in_reply_to:
        message["In-Reply-To"] = thread.in_reply_to
    if thread.references:
        message["References"] = " ".join(thread.references)
    message["List-Unsubscribe"] = f"<mailto:{parseaddr(from_address)[1]}?subject=unsubscribe>"
    message.set_content(body, cte="quoted-printable")
    return message


def to_wire(message: EmailMessage) -> bytes:
    """The bytes handed to SMTP's DATA."""
    return message.as_bytes(policy=WIRE_POLICY)
