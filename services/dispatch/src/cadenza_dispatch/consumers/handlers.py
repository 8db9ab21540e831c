"""Kafka edge of dispatch: one route per event type, each calling one service function."""

from __future__ import annotations

from cadenza_dispatch.service import handlers as svc
from cadenza_dispatch.service.outbound import PermitClient, SmtpMailer
from cadenza_dispatch.settings import DispatchSettings
from cadenza_shared import topics
from cadenza_shared.contracts.cadence import CadencePublished
from cadenza_shared.contracts.enrollment import EnrollmentExited, EnrollmentPaused, EnrollmentResumed, EnrollmentStarted
from cadenza_shared.contracts.scheduling import StepDue
from cadenza_shared.kafka.consumer import Route
from cadenza_shared.service import ServiceRuntime

#: A step.due is retried longer than the default: enrollment or SMTP may be restarting.


def register(runtime: ServiceRuntime, settings: DispatchSettings) -> None:
    """Subscribe the step performer to step.due and the state copies to lifecycle and definitions."""
    clock, outbox = runtime.clock, runtime.outbox
    permit = PermitClient(runtime.extras["http"], base_url=settings.enrollment_url, token=settings.internal_token.get_secret_value())
    mailer = SmtpMailer(settings)

    async def step_due(envelope, event) -> None:
        await svc.on_step_due(
            runtime.session_factory,
            outbox,
            envelope=envelope,
            event=event,
            clock=clock,
            permit=permit,
            mailer=mailer,
            from_address=settings.from_address,
            mail_domain=settings.mail_domain,
        )

    async def step_given_up(envelope, event, reason) -> None:
        await svc.give_up_step(runtime.session_factory, outbox, envelope=envelope, event=event, reason=reason, now=clock.now())

    async def cadence_published(envelope, event, session) -> None:
        await svc.on_cadence_published(session, envelope=envelope, event=event)

    async def enrollment_started(envelope, event, session) -> None:
        await svc.on_enrollment_started(session, envelope=envelope, event=event)

    async def enrollment_status(envelope, event, session) -> None:
        await svc.on_enrollment_status(session, outbox, envelope=envelope, event=event, now=clock.now())

    steps = runtime.add_consumer("steps", [topics.STEP_DUE], {StepDue.TYPE: Route(step_due, transactional=False, on_give_up=step_given_up)})
    steps.max_attempts = settings.step_max_attempts
    runtime.add_consumer(
        "state",
        [topics.ENROLLMENT_LIFECYCLE, topics.CADENCE_DEFINITIONS],
        {
            CadencePublished.TYPE: Route(cadence_published),
            EnrollmentStarted.TYPE: Route(enrollment_started),
            EnrollmentPaused.TYPE: Route(enrollment_status),
            EnrollmentResumed.TYPE: Route(enrollment_status),
            EnrollmentExited.TYPE: Route(enrollment_status),
        },
    )
