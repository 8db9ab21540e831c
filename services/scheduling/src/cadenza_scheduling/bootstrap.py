"""Composition root of the scheduling service."""

from __future__ import annotations

import asyncio
import time

import structlog

from cadenza_scheduling.consumers.handlers import register
from cadenza_scheduling.repo.tables import metadata
from cadenza_scheduling.service import handlers as svc
from cadenza_scheduling.settings import SchedulingSettings
from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings

log = structlog.get_logger(__name__)


def bootstrap(
    *, common: CommonSettings | None = None, settings: SchedulingSettings | None = None, clock: Clock | None = None
) -> ServiceRuntime:
    """Build the scheduling runtime: consumers that plan timers, and the poller that fires them."""
    common = common or CommonSettings()
    settings = settings or SchedulingSettings()
    runtime = build_runtime(name="scheduling", settings=common, metadata=metadata, clock=clock)
    timer_wake = asyncio.Event()
    register(runtime, timer_wake=timer_wake)

    async def fire_timers() -> None:
        """Fire what is due in batches, then sleep until the earliest pending timer (or a new plan).

        A full batch means more may be due: the next batch starts at once. The sleep is at most
        `max_idle_seconds`, so timers planned by another replica are seen within that time.
        The gauges are counted at most every `gauge_interval_seconds`, also during a backlog.
        """
        gauges_at = float("-inf")
        while True:
            try:
                now = runtime.clock.now()
                async with runtime.session_factory() as session, session.begin():
                    fired = await svc.fire_due_timers(session, runtime.outbox, now=now, limit=settings.batch_size)
                if fired:
                    runtime.relay.wake.set()
                async with runtime.session_factory() as session:
                    if time.monotonic() - gauges_at >= settings.gauge_interval_seconds:
                        await svc.refresh_gauges(session, now=runtime.clock.now())
                        gauges_at = time.monotonic()
                    if fired == settings.batch_size:
                        continue
                    upcoming = await svc.next_due_at(session)
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
