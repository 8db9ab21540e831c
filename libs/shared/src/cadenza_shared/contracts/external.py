"""Events other systems publish onto Cadenza's topics (`reply.received`, `engagement.received`, `meeting.booked`).

Outside publishers use the same envelope; `subject` is any stable id of theirs for ordering.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from cadenza_shared import topics
from cadenza_shared.envelope import Event, register


@register
class ReplyReceived(Event):
    """A raw reply from a mailbox integration: the full RFC 5322 message."""

    TYPE: ClassVar[str] = "cadenza.ReplyReceived"
    TOPIC: ClassVar[str] = topics.REPLY_RECEIVED

    reply_ref: str = Field(min_length=1, max_length=200, description="the publisher's id of this message")
    raw_message: str = Field(min_length=1, description="the RFC 5322 message, as text")
    received_at: datetime
    mailbox: str | None = None

    def aggregate_id(self) -> str:
        return self.reply_ref


@register
class EngagementReceived(Event):
    """An engagement signal (open, click, LinkedIn acceptance...) from a tracker or integration."""

    TYPE: ClassVar[str] = "cadenza.EngagementReceived"
    TOPIC: ClassVar[str] = topics.ENGAGEMENT_RECEIVED

    enrollment_id: UUID | None = None
    prospect_email: str | None = None
    kind: Literal["open", "click", "linkedin_accepted", "linkedin_replied", "call_connected", "visit"]
    step_index: int | None = None
    occurred_at: datetime
    user_agent: str | None = None

    @model_validator(mode="after")
    def _who(self) -> EngagementReceived:
        if self.enrollment_id is None and not self.prospect_email:
            raise ValueError("give enrollment_id or prospect_email")
        return self

    def aggregate_id(self) -> str:
        return str(self.enrollment_id or self.prospect_email)


@register
class MeetingBooked(Event):
    """A meeting with the prospect was booked (calendar or CRM)."""

    TYPE: ClassVar[str] = "cadenza.MeetingBooked"
    TOPIC: ClassVar[str] = topics.MEETING_BOOKED

    enrollment_id: UUID | None = None
    prospect_email: str | None = None
    starts_at: datetime
    booked_at: datetime

    @model_validator(mode="after")
    def _who(self) -> MeetingBooked:
        if self.enrollment_id is None and not self.prospect_email:
            raise ValueError("give enrollment_id or prospect_email")
        return self

    def aggregate_id(self) -> str:
        return str(self.enrollment_id or self.prospect_email)
