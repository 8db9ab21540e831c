"""Events the dispatch service publishes (`message.sent`, `message.failed`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from cadenza_shared import topics
from cadenza_shared.contracts.cadence import Channel
from cadenza_shared.envelope import Event, register


@register
class MessageSent(Event):
    """A step was performed: an email accepted by the SMTP server, or a human task completed."""

    TYPE: ClassVar[str] = "cadenza.MessageSent"
    TOPIC: ClassVar[str] = topics.MESSAGE_SENT

    enrollment_id: UUID
    cadence_id: UUID
    step_index: int
    step_id: str
    channel: Channel
    to_address: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = []
    subject: str | None = None
    variant: str | None = None
    task_id: UUID | None = None
    outcome: str | None = None
    sent_at: datetime


@register
class MessageFailed(Event):
    """A step could not be performed; `permanent` failures are not retried (the cadence moves on)."""

    TYPE: ClassVar[str] = "cadenza.MessageFailed"
    TOPIC: ClassVar[str] = topics.MESSAGE_FAILED

    enrollment_id: UUID
    cadence_id: UUID
    step_index: int
    step_id: str
    channel: Channel
    reason_code: str
    reason: str
    permanent: bool = True
    failed_at: datetime
