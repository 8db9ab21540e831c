"""Scheduling API: explain when each upcoming step of an enrollment is due, and why."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from cadenza_shared.service import Runtime, Tenant

from cadenza_scheduling.service import handlers as svc

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
