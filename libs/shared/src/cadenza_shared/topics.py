"""Every Kafka topic name, in one place."""

from __future__ import annotations

CADENCE_DEFINITIONS = "cadence.definitions"
ENROLLMENT_LIFECYCLE = "enrollment.lifecycle"
HANDOFF_REQUESTED = "handoff.requested"
STEP_DUE = "step.due"
MESSAGE_SENT = "message.sent"
MESSAGE_FAILED = "message.failed"
REPLY_RECEIVED = "reply.received"
REPLY_CLASSIFIED = "reply.classified"
ENGAGEMENT_RECEIVED = "engagement.received"
MEETING_BOOKED = "meeting.booked"

ALL = (
    CADENCE_DEFINITIONS,
    ENROLLMENT_LIFECYCLE,
    HANDOFF_REQUESTED,
    STEP_DUE,
    MESSAGE_SENT,
    MESSAGE_FAILED,
    REPLY_RECEIVED,
    REPLY_CLASSIFIED,
    ENGAGEMENT_RECEIVED,
    MEETING_BOOKED,
)

#: Topics whose latest value per key is all that matters (log compaction).
COMPACTED = frozenset({CADENCE_DEFINITIONS})


def dead_letter(topic: str) -> str:
    """Name of the dead-letter topic of `topic`."""
    return f"{topic}.dlq"
