"""Composition root of the enrollment service."""

from __future__ import annotations

import asyncio

import structlog

from cadenza_enrollment.consumers.handlers import register
from cadenza_enrollment.repo.tables import metadata
from cadenza_enrollment.service import handlers as svc
from cadenza_enrollment.settings import EnrollmentSettings
from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings

log = structlog.get_logger(__name__)


def bootstrap(*, common: CommonSettings | None = None, settings: EnrollmentSettings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    """Build the enrollment runtime: consumers for the exit/pause rules and the pause-expiry loop."""
    common = common or CommonSettings()
    settings = settings or EnrollmentSettings()
    runtime = build_runtime(name="enrollment", settings=common, metadata=metadata, clock=clock)
    runtime.extras["settings"] = settings
    register(runtime, settings)

    async def resume_expired_pauses() -> None:
        while True:
            try:
                async with runtime.session_factory() as session, session.begin():
                    resumed = await svc.resume_expired_pauses(session, runtime.outbox, now=runtime.clock.now())
                if resumed:
                    runtime.relay.wake.set()
            except Exception as exc:  # keep sweeping through database hiccups
                log.warning("pause expiry sweep failed", error=str(exc))
            await asyncio.sleep(0.5)

    runtime.loops.append(resume_expired_pauses)
    return runtime
