"""Events the enrollment service publishes (`enrollment.lifecycle`, `handoff.requested`)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cadenza_shared import topics
from cadenza_shared.envelope import Event, register


class ExitReason(StrEnum):
    """Why an enrollment ended."""

    replied_positive = "replied_positive"
    replied_negative = "replied_negative"
    unsubscribed = "unsubscribed"
    bounced = "bounced"
    meeting_booked = "meeting_booked"
    completed_no_reply = "completed_no_reply"
    manual = "manual"
    account_rule = "account_rule"
    wrong_person = "wrong_person"
    suppressed = "suppressed"


class Prospect(BaseModel):
    """The prospect as dispatch and scheduling need it (a snapshot at enrollment)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    prospect_id: UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    country: str | None = None
    timezone: str
    timezone_source: str = Field(description="prospect, region, country, phone, cadence_default")
    account: str | None = None
    phone: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict, description="every column given, for templates")


@register
class EnrollmentStarted(Event):
    TYPE: ClassVar[str] = "cadenza.EnrollmentStarted"
    TOPIC: ClassVar[str] = topics.ENROLLMENT_LIFECYCLE

    enrollment_id: UUID
    cadence_id: UUID
    cadence_key: str
    cadence_version: int
    prospect: Prospect
    enrolled_at: datetime


@register
class EnrollmentPaused(Event):
    TYPE: ClassVar[str] = "cadenza.EnrollmentPaused"
    TOPIC: ClassVar[str] = topics.ENROLLMENT_LIFECYCLE

    enrollment_id: UUID
    reason: str
    paused_at: datetime
    until: datetime | None = None


@register
class EnrollmentResumed(Event):
    TYPE: ClassVar[str] = "cadenza.EnrollmentResumed"
    TOPIC: ClassVar[str] = topics.ENROLLMENT_LIFECYCLE

    enrollment_id: UUID
    resumed_at: datetime
    reason: str = "manual"


@register
class EnrollmentExited(Event):
    TYPE: ClassVar[str] = "cadenza.EnrollmentExited"
    TOPIC: ClassVar[str] = topics.ENROLLMENT_LIFECYCLE

    enrollment_id: UUID
    cadence_id: UUID
    reason: ExitReason
    detail: str | None = None
    exited_at: datetime
    follow_up_on: date | None = None


@register
class HandoffRequested(Event):
    """A conversation is ready for a human: owner/CRM takes over (also sent as a signed webhook)."""

    TYPE: ClassVar[str] = "cadenza.HandoffRequested"
    TOPIC: ClassVar[str] = topics.HANDOFF_REQUESTED

    enrollment_id: UUID
    cadence_id: UUID
    prospect_email: str
    prospect_name: str | None = None
    company: str | None = None
    reason: str
    reply_id: UUID | None = None
    reply_excerpt: str | None = None
    requested_at: datetime
