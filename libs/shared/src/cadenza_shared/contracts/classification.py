"""Events the classification service publishes (`reply.classified`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from cadenza_shared import topics
from cadenza_shared.envelope import Event, register

LABELS = (
    "positive",
    "negative",
    "unsubscribe",
    "out_of_office",
    "auto_reply",
    "bounce_hard",
    "bounce_soft",
    "referral",
    "wrong_person",
    "question",
    "unknown",
)

#: Labels that are machine mail: never counted as a human reply.
MACHINE_LABELS = frozenset({"out_of_office", "auto_reply", "bounce_hard", "bounce_soft"})


@register
class ReplyClassified(Event):
    """A reply was matched to an enrollment and given one label (with confidence and evidence)."""

    TYPE: ClassVar[str] = "cadenza.ReplyClassified"
    TOPIC: ClassVar[str] = topics.REPLY_CLASSIFIED

    reply_id: UUID
    enrollment_id: UUID
    cadence_id: UUID | None = None
    step_index: int | None = None
    prospect_email: str | None = None
    label: str
    confidence: float
    evidence: list[str] = []
    needs_review: bool = False
    return_date: date | None = None
    follow_up_date: date | None = None
    referral_email: str | None = None
    referral_name: str | None = None
    matched_by: str
    excerpt: str | None = None
    received_at: datetime
    corrected: bool = False
