"""The one clock abstraction: real, scaled (demos run 18 days in minutes) or fixed (exact tests).

A scaled clock is defined by an anchor (a real instant), a virtual start and a factor, so every
process started with the same three values agrees on the virtual time without talking.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time and sleeps in that time."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...

    def real_seconds(self, virtual_seconds: float) -> float: ...


class RealClock:
    """Wall-clock time, UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def real_seconds(self, virtual_seconds: float) -> float:
        return virtual_seconds


@dataclass
class ScaledClock:
    """Virtual time that runs `factor` times faster than real time from `virtual_start`.

    Before the real `anchor` instant the clock stands still at `virtual_start`, so a runner can
    spawn every process with one anchor slightly in the future and have day 1 begin only once
    they are all up.
    """

    virtual_start: datetime
    factor: float
    anchor: float = field(default_factory=time.time)

    def now(self) -> datetime:
        elapsed = max(0.0, time.time() - self.anchor) * self.factor
        return self.virtual_start + timedelta(seconds=elapsed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, self.real_seconds(seconds)))

    def real_seconds(self, virtual_seconds: float) -> float:
        return virtual_seconds / self.factor


@dataclass
class FixedClock:
    """A clock that only moves when told to; `sleep` advances it instead of waiting."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    async def sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)

    def real_seconds(self, virtual_seconds: float) -> float:
        return 0.0


def build_clock(*, mode: str, factor: float, virtual_start: datetime | None, anchor: float | None) -> Clock:
    """Build the clock the settings ask for (`real`, `scaled` or `fixed`)."""
    if mode == "real":
        return RealClock()
    start = virtual_start or datetime.now(UTC)
    if mode == "scaled":
        return ScaledClock(virtual_start=start, factor=factor, anchor=anchor if anchor is not None else time.time())
    if mode == "fixed":
        return FixedClock(current=start)
    raise ValueError(f"clock mode: unknown value {mode!r} (expected real, scaled or fixed)")
