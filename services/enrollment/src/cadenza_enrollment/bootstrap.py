"""Composition root of the enrollment service."""

from __future__ import annotations

from cadenza_enrollment.consumers.handlers import register
from cadenza_enrollment.repo.tables import metadata
from cadenza_enrollment.service import handlers as svc
from cadenza_enrollment.settings import EnrollmentSettings
from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings


def bootstrap(
    *, common: CommonSettings | None = None, settings: EnrollmentSettings | None = None, clock: Clock | None = None
) -> ServiceRuntime:
    """Build the enrollment runtime: consumers for the exit/pause rules and the pause-expiry loop."""
    common = common or CommonSettings()
    settings = settings or EnrollmentSettings()
    runtime = build_runtime(name="enrollment", settings=common, metadata=metadata, clock=clock)
    runtime.extras["settings"] = settings
    register(runtime, settings)

    runtime.add_sweep("resume_expired_pauses", lambda session, now: svc.resume_expired_pauses(session, runtime.outbox, now=now))
    return runtime
