"""Public REST API of dispatch: the reps' task queue and what was sent."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cadenza_dispatch.service import handlers as svc
from cadenza_shared.service import Runtime, Tenant

router = APIRouter()

TaskStatus = Literal["open", "completed", "expired", "cancelled"]
TaskChannel = Literal[
    "linkedin_connect",
    "linkedin_message",
    "linkedin_engage",
    "phone",
    "sms",
    "video",
    "direct_mail",
    "manual_task",
]


class TaskCompletion(BaseModel):
    outcome: str = Field(
        min_length=1,
        max_length=50,
        description="phone: connected, voicemail, no_answer, wrong_number; LinkedIn: sent, done, not_connected, "
        "no_recent_post; other channels: sent, done",
    )
    notes: str | None = Field(default=None, max_length=5000)


class TaskSkip(BaseModel):
    notes: str | None = Field(default=None, max_length=5000)


@router.get("/v1/tasks", tags=["tasks"])
async def list_tasks(
    tenant: Tenant,
    runtime: Runtime,
    status: TaskStatus | None = None,
    channel: TaskChannel | None = None,
    enrollment_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """The tenant's tasks, oldest first (`status=open` is a rep's queue)."""
    async with runtime.session_factory() as session:
        return await svc.list_tasks(
            session, tenant=tenant, status=status, channel=channel, enrollment_id=enrollment_id, limit=limit, offset=offset
        )


@router.get("/v1/tasks/{task_id}", tags=["tasks"])
async def get_task(task_id: UUID, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """One task with its rendered instructions and the prospect."""
    async with runtime.session_factory() as session:
        return await svc.get_task(session, tenant=tenant, task_id=task_id)


@router.post("/v1/tasks/{task_id}/complete", tags=["tasks"])
async def complete_task(task_id: UUID, body: TaskCompletion, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """Log that the task was done and how it went; the cadence moves on."""
    async with runtime.session_factory() as session, session.begin():
        result = await svc.complete_task(
            session, runtime.outbox, tenant=tenant, task_id=task_id, outcome=body.outcome, notes=body.notes, now=runtime.clock.now()
        )
    runtime.relay.wake.set()
    return result


@router.post("/v1/tasks/{task_id}/skip", tags=["tasks"])
async def skip_task(task_id: UUID, tenant: Tenant, runtime: Runtime, body: TaskSkip | None = None) -> dict[str, Any]:
    """Decide not to do the task; the step counts as failed (task_skipped) and the cadence moves on."""
    body = body or TaskSkip()
    async with runtime.session_factory() as session, session.begin():
        result = await svc.skip_task(session, runtime.outbox, tenant=tenant, task_id=task_id, notes=body.notes, now=runtime.clock.now())
    runtime.relay.wake.set()
    return result


@router.get("/v1/deliveries", tags=["deliveries"])
async def list_deliveries(
    tenant: Tenant,
    runtime: Runtime,
    enrollment_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """What dispatch did for each step: sent (with Message-ID and subject), task open, skipped or failed."""
    async with runtime.session_factory() as session:
        return await svc.list_deliveries(session, tenant=tenant, enrollment_id=enrollment_id, limit=limit, offset=offset)
