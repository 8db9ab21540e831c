"""Classification API: the inbound email endpoint, replies, and human relabelling."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from cadenza_classification.domain.errors import MalformedMessage
from cadenza_classification.service import handlers as svc
from cadenza_shared.errors import InvalidInput
from cadenza_shared.service import Runtime, Tenant

router = APIRouter()


class Relabel(BaseModel):
    label: str


@router.post("/v1/inbound/email", status_code=202, tags=["inbound"])
async def inbound_email(request: Request, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """Accept one raw RFC 5322 message (body = the message); classify it and match it to its enrollment."""
    settings = runtime.extras["settings"]
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > settings.max_message_bytes:
            raise InvalidInput("message", f"larger than {settings.max_message_bytes} bytes")
    try:
        async with runtime.session_factory() as session, session.begin():
            result = await svc.ingest(
                session,
                runtime.outbox,
                tenant=tenant,
                raw=bytes(chunks),
                source="inbound_http",
                received_at=runtime.clock.now(),
                classifier=runtime.extras["classifier"],
            )
    except MalformedMessage as exc:
        raise InvalidInput(f"message.{exc.field}", exc.reason) from None
    runtime.relay.wake.set()
    return result


@router.get("/v1/replies", tags=["replies"])
async def list_replies(
    tenant: Tenant,
    runtime: Runtime,
    label: str | None = None,
    needs_review: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Replies of the tenant, newest first."""
    async with runtime.session_factory() as session:
        return await svc.list_replies(session, tenant=tenant, label=label, needs_review=needs_review, limit=limit)


@router.get("/v1/replies/{reply_id}", tags=["replies"])
async def get_reply(reply_id: UUID, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """One reply with its label, confidence and evidence."""
    async with runtime.session_factory() as session:
        return await svc.get_reply(session, tenant=tenant, reply_id=reply_id)


@router.post("/v1/replies/{reply_id}/label", tags=["replies"])
async def relabel(reply_id: UUID, body: Relabel, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """Correct a reply's label: the label's fields (return date, follow-up date, referral) are found again,
    the corrected decision is published, and the reply becomes training data (`labelled_by` = human)."""
    async with runtime.session_factory() as session, session.begin():
        result = await svc.relabel(
            session,
            runtime.outbox,
            tenant=tenant,
            reply_id=reply_id,
            label=body.label,
            classifier=runtime.extras["classifier"],
        )
    runtime.relay.wake.set()
    return result
