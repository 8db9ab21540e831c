"""Scheduling API: explain when each upcoming step of an enrollment is due, and why."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cadenza_scheduling.service import handlers as svc
from cadenza_shared.service import Runtime, Tenant

router = APIRouter()


@router.get("/v1/enrollments/{enrollment_id}/schedule", tags=["schedule"])
async def get_schedule(enrollment_id: UUID, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """The timers so far and every upcoming step of one enrollment.

    Each item has its due instant in UTC and in the prospect's local time and the rules that moved
    it. `upcoming` starts with the live timer (`projected: false`); the steps after it and the end
    of the cadence are computed with the same rules, assuming each step is performed when due
    (`projected: true`). A paused enrollment is projected as if it resumed now.
    """
    async with runtime.session_factory() as session:
        return await svc.upcoming(session, tenant=tenant, enrollment_id=enrollment_id, now=runtime.clock.now())


class BlackoutDate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    reason: str = Field(default="", max_length=200)


class BlackoutDates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dates: list[BlackoutDate] = Field(max_length=2000)


@router.get("/v1/blackout-dates", tags=["schedule"])
async def get_blackout_dates(tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """The tenant's own blackout dates: no step of any cadence goes on them (added to each cadence's `blackout_dates`)."""
    async with runtime.session_factory() as session:
        return {"dates": await svc.list_blackout_dates(session, tenant=tenant)}


@router.put("/v1/blackout-dates", tags=["schedule"])
async def put_blackout_dates(body: BlackoutDates, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """Replace the tenant's blackout dates: no step of any cadence goes on them.

    A step already planned on one of them is planned again (`replanned_timers` counts them).
    """
    async with runtime.session_factory() as session, session.begin():
        return await svc.set_blackout_dates(session, tenant=tenant, dates=[(d.date, d.reason) for d in body.dates], now=runtime.clock.now())
