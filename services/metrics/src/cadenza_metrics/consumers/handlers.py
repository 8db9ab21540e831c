"""Kafka edge of metrics: one consumer, "counts", over every topic; one route per event type.

Every route is transactional: the runner claims the event id in the inbox and the handler moves
the counters in the same transaction, so each event counts once. Types without a route
(`CadenceEnded` on step.due: its outcome arrives as EnrollmentExited) are acknowledged as ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cadenza_metrics.service import handlers as svc
from cadenza_shared import topics
from cadenza_shared.contracts.cadence import CadencePublished
from cadenza_shared.contracts.classification import ReplyClassified
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import (
    EnrollmentExited,
    EnrollmentPaused,
    EnrollmentResumed,
    EnrollmentStarted,
    HandoffRequested,
)
from cadenza_shared.contracts.external import EngagementReceived, MeetingBooked
from cadenza_shared.contracts.scheduling import StepDue
from cadenza_shared.kafka.consumer import Route, TxHandler
from cadenza_shared.service import ServiceRuntime

#: Every topic metrics counts from (not reply.received: replies count once classified).
TOPICS = [
    topics.CADENCE_DEFINITIONS,
    topics.ENROLLMENT_LIFECYCLE,
    topics.HANDOFF_REQUESTED,
    topics.STEP_DUE,
    topics.MESSAGE_SENT,
    topics.MESSAGE_FAILED,
    topics.REPLY_CLASSIFIED,
    topics.ENGAGEMENT_RECEIVED,
    topics.MEETING_BOOKED,
]

#: Event type -> service function applying it.
HANDLERS: dict[str, Callable[..., Awaitable[None]]] = {
    CadencePublished.TYPE: svc.on_cadence_published,
    EnrollmentStarted.TYPE: svc.on_enrollment_started,
    EnrollmentPaused.TYPE: svc.on_enrollment_pause_changed,
    EnrollmentResumed.TYPE: svc.on_enrollment_pause_changed,
    EnrollmentExited.TYPE: svc.on_enrollment_exited,
    HandoffRequested.TYPE: svc.on_handoff_requested,
    StepDue.TYPE: svc.on_step_due,
    MessageSent.TYPE: svc.on_message_sent,
    MessageFailed.TYPE: svc.on_message_failed,
    ReplyClassified.TYPE: svc.on_reply_classified,
    EngagementReceived.TYPE: svc.on_engagement_received,
    MeetingBooked.TYPE: svc.on_meeting_booked,
}


def _tx(apply: Callable[..., Awaitable[None]]) -> TxHandler:
    """A runner handler (envelope, event, session) calling one service function."""

    async def handler(envelope, event, session) -> None:  # noqa: ANN001
        await apply(session, envelope=envelope, event=event)

    handler.__name__ = apply.__name__
    return handler


def routes() -> dict[str, Route]:
    """One transactional route per event type."""
    return {event_type: Route(_tx(apply)) for event_type, apply in HANDLERS.items()}


def register(runtime: ServiceRuntime) -> None:
    """Subscribe the "counts" consumer to every topic."""
    runtime.add_consumer("counts", TOPICS, routes())
