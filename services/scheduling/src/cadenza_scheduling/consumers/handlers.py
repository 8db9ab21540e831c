"""Kafka edge of scheduling: one route per event type."""

from __future__ import annotations

import asyncio

from cadenza_scheduling.service import handlers as svc
from cadenza_shared import topics
from cadenza_shared.contracts.cadence import CadencePublished
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import EnrollmentExited, EnrollmentPaused, EnrollmentResumed, EnrollmentStarted
from cadenza_shared.kafka.consumer import Route
from cadenza_shared.service import ServiceRuntime


def register(runtime: ServiceRuntime, *, timer_wake: asyncio.Event) -> None:
    """Definitions, lifecycle and step results each (re)plan timers; the poller is woken after each batch."""
    clock = runtime.clock

    async def cadence_published(envelope, event, session) -> None:
        await svc.on_cadence_published(session, envelope=envelope, event=event)

    async def started(envelope, event, session) -> None:
        await svc.on_enrollment_started(session, envelope=envelope, event=event, now=clock.now())

    async def paused(envelope, event, session) -> None:
        await svc.on_paused(session, event=event)

    async def resumed(envelope, event, session) -> None:
        await svc.on_resumed(session, event=event, now=clock.now())

    async def exited(envelope, event, session) -> None:
        await svc.on_exited(session, event=event)

    async def step_resolved(envelope, event, session) -> None:
        await svc.on_step_resolved(session, event=event, now=clock.now())

    def wake() -> None:
        timer_wake.set()

    runtime.add_consumer("definitions", [topics.CADENCE_DEFINITIONS], {CadencePublished.TYPE: Route(cadence_published)}).after_commit = wake
    plans = runtime.add_consumer(
        "plans",
        [topics.ENROLLMENT_LIFECYCLE, topics.MESSAGE_SENT, topics.MESSAGE_FAILED],
        {
            EnrollmentStarted.TYPE: Route(started),
            EnrollmentPaused.TYPE: Route(paused),
            EnrollmentResumed.TYPE: Route(resumed),
            EnrollmentExited.TYPE: Route(exited),
            MessageSent.TYPE: Route(step_resolved),
            MessageFailed.TYPE: Route(step_resolved),
        },
    )
    plans.after_commit = wake
    plans.max_attempts = 10  # a definition may trail its first enrollment by a few seconds
