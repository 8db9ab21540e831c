"""Composition root of the scheduling service."""

from __future__ import annotations

import asyncio

import structlog

from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings

from cadenza_scheduling.consumers.handlers import register
from cadenza_scheduling.repo.tables import metadata
from cadenza_scheduling.service import handlers as svc
from cadenza_scheduling.settings import SchedulingSettings

log = structlog.get_logger(__name__)


def bootstrap(*, common: CommonSettings | None = None, settings: SchedulingSettings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    """Build the scheduling runtime: consumers that plan timers, and the poller that fires them."""
    common = common or CommonSettings()
    settings = settings or SchedulingSettings()
    runtime = build_runtime(name="scheduling", settings=common, metadata=metadata, clock=clock)
    timer_wake = asyncio.Event()
    register(runtime, timer_wake=timer_wake)

    async def fire_timers() -> None:
        """Sleep until the earliest timer (or a new plan), fire what is due in batches."""
        while True:
            try:
                now = runtime.clock.now()
                async with runtime.session_factory() as session, session.begin():
                    fired = await svc.fire_due_timers(session, runtime.outbox, now=now, limit=settings.batch_size)
                if fired:
                    runtime.relay.wake.set()
                    if fired == settings.batch_size:
                        continue
                async with runtime.session_factory() as session:
                    upcoming = await svc.next_due_at(session)
                    await svc.refresh_gauges(session, now=now)
                wait = settings.max_idle_seconds
                if upcoming is not None:
                    wait = min(wait, max(0.0, runtime.clock.real_seconds((upcoming - runtime.clock.now()).total_seconds())))
                timer_wake.clear()
                try:
                    await asyncio.wait_for(timer_wake.wait(), timeout=max(wait, 0.01))
                except TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep firing through database hiccups
                log.warning("timer poll failed", error=str(exc))
                await asyncio.sleep(1)

    runtime.loops.append(fire_timers)
    return runtime
