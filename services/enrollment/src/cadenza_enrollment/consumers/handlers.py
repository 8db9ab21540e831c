"""Kafka edge of enrollment: one route per event type, each calling one service function."""

from __future__ import annotations

from cadenza_enrollment.service import handlers as svc
from cadenza_enrollment.service.webhooks import deliver_handoff
from cadenza_enrollment.settings import EnrollmentSettings
from cadenza_shared import topics
from cadenza_shared.contracts.classification import ReplyClassified
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import HandoffRequested
from cadenza_shared.contracts.external import MeetingBooked
from cadenza_shared.contracts.scheduling import CadenceEnded
from cadenza_shared.kafka.consumer import Route
from cadenza_shared.service import ServiceRuntime


def register(runtime: ServiceRuntime, settings: EnrollmentSettings) -> None:
    """Subscribe the exit/pause rules and the step history to their topics."""
    clock, outbox = runtime.clock, runtime.outbox

    async def reply_classified(envelope, event, session) -> None:
        await svc.on_reply_classified(
            session, outbox, envelope=envelope, event=event, now=clock.now(), default_pause_days=settings.default_pause_days
        )

    async def step_result(envelope, event, session) -> None:
        await svc.on_step_result(session, outbox, envelope=envelope, event=event, now=clock.now())

    async def cadence_ended(envelope, event, session) -> None:
        await svc.on_cadence_ended(session, outbox, envelope=envelope, event=event, now=clock.now())

    async def meeting_booked(envelope, event, session) -> None:
        await svc.on_meeting_booked(session, outbox, envelope=envelope, event=event, now=clock.now())

    async def handoff(envelope, event) -> None:
        await deliver_handoff(
            envelope,
            url=settings.handoff_webhook_url,
            secret=runtime.settings.webhook_secret.get_secret_value(),
            timeout=settings.webhook_timeout_seconds,
        )

    if settings.handoff_webhook_url:
        hooks = runtime.add_consumer(
            "handoff-webhooks", [topics.HANDOFF_REQUESTED], {HandoffRequested.TYPE: Route(handoff, transactional=False)}
        )
        hooks.max_attempts = 10  # about a minute of receiver downtime before the dead-letter topic

    runtime.add_consumer(
        "rules",
        [topics.REPLY_CLASSIFIED, topics.MESSAGE_SENT, topics.MESSAGE_FAILED, topics.STEP_DUE, topics.MEETING_BOOKED],
        {
            ReplyClassified.TYPE: Route(reply_classified),
            MessageSent.TYPE: Route(step_result),
            MessageFailed.TYPE: Route(step_result),
            CadenceEnded.TYPE: Route(cadence_ended),
            MeetingBooked.TYPE: Route(meeting_booked),
        },
    )
