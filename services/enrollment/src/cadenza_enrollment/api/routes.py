"""Public REST API of enrollment (and the internal send-permit endpoint dispatch calls)."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import yaml
from fastapi import APIRouter, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from cadenza_enrollment.domain.prospects import ProspectIn, parse_prospects_csv
from cadenza_enrollment.service import handlers as svc
from cadenza_shared.contracts.cadence import CadenceSpec
from cadenza_shared.errors import InvalidInput, Unauthorized
from cadenza_shared.service import Runtime, Tenant

router = APIRouter()


class EnrollmentCreate(BaseModel):
    cadence_key: str
    prospect: ProspectIn


class StateChange(BaseModel):
    reason: str | None = Field(default=None, max_length=500)
    until: datetime | None = None


class PermitRequest(BaseModel):
    step_index: int = Field(ge=0)


class SuppressionCreate(BaseModel):
    email: str
    reason: str = "added by a user"


def _validation_to_invalid(exc: ValidationError, prefix: str = "") -> InvalidInput:
    details = [
        {"field": prefix + ".".join(str(p) for p in e["loc"]), "reason": e["msg"].removeprefix("Value error, ")} for e in exc.errors()
    ]
    first = details[0]
    return InvalidInput(first["field"] or "body", first["reason"], details=details)


#: A cadence travels in one event (brokers cap a record near 1 MB); real ones are a few KB.
MAX_CADENCE_BYTES = 256_000


async def _cadence_spec(request: Request) -> CadenceSpec:
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_CADENCE_BYTES:
            raise InvalidInput("body", f"larger than {MAX_CADENCE_BYTES} bytes; a cadence is a few KB")
    if not raw.strip():
        raise InvalidInput("body", "empty: send the cadence as YAML or JSON")
    try:
        doc = yaml.safe_load(bytes(raw))  # JSON is YAML too
    except RecursionError:
        raise InvalidInput("body", "nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "body"
        raise InvalidInput(where, f"not valid YAML/JSON: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("body", "a cadence must be a mapping with key, name and steps")
    try:
        return CadenceSpec.model_validate(doc)
    except ValidationError as exc:
        raise _validation_to_invalid(exc) from None


@router.post("/v1/cadences", status_code=201, tags=["cadences"])
async def create_cadence(request: Request, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """Create a cadence (or a new version of an existing key) from YAML or JSON."""
    spec = await _cadence_spec(request)
    async with runtime.session_factory() as session, session.begin():
        created = await svc.publish_cadence(session, runtime.outbox, tenant=tenant, spec=spec, now=runtime.clock.now())
    runtime.relay.wake.set()
    return created


@router.get("/v1/cadences", tags=["cadences"])
async def list_cadences(tenant: Tenant, runtime: Runtime) -> list[dict[str, Any]]:
    """Every cadence version of the tenant."""
    async with runtime.session_factory() as session:
        return await svc.list_cadences(session, tenant=tenant)


@router.get("/v1/cadences/{key}", tags=["cadences"])
async def get_cadence(key: str, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """The latest version of a cadence with its definition."""
    async with runtime.session_factory() as session:
        row = await svc.latest_cadence(session, tenant=tenant, key=key)
    return {"id": row.id, "key": row.key, "version": row.version, "name": row.name, "definition": row.definition}


@router.post("/v1/enrollments", status_code=201, tags=["enrollments"])
async def create_enrollment(body: EnrollmentCreate, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """Enroll one prospect in a cadence."""
    async with runtime.session_factory() as session, session.begin():
        result = await svc.enroll(
            session, runtime.outbox, tenant=tenant, cadence_key=body.cadence_key, people=[body.prospect], now=runtime.clock.now()
        )
    runtime.relay.wake.set()
    return result


@router.post("/v1/enrollments/import", status_code=201, tags=["enrollments"])
async def import_enrollments(
    file: UploadFile, tenant: Tenant, runtime: Runtime, cadence_key: Annotated[str, Query(min_length=1)]
) -> dict[str, Any]:
    """Enroll every prospect of a CSV file; one bad row rejects the whole file (row and field named)."""
    content = await file.read(runtime.extras["settings"].max_upload_bytes + 1)
    if len(content) > runtime.extras["settings"].max_upload_bytes:
        raise InvalidInput("file", f"larger than {runtime.extras['settings'].max_upload_bytes} bytes")
    people = parse_prospects_csv(content)
    async with runtime.session_factory() as session, session.begin():
        result = await svc.enroll(session, runtime.outbox, tenant=tenant, cadence_key=cadence_key, people=people, now=runtime.clock.now())
    runtime.relay.wake.set()
    return result


@router.get("/v1/enrollments", tags=["enrollments"])
async def list_enrollments(
    tenant: Tenant,
    runtime: Runtime,
    cadence_key: str | None = None,
    status: Literal["active", "paused", "exited"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Enrollments of the tenant, filtered by cadence and status."""
    async with runtime.session_factory() as session:
        return await svc.list_enrollments(session, tenant=tenant, cadence_key=cadence_key, status=status, limit=limit, offset=offset)


@router.get("/v1/enrollments/{enrollment_id}", tags=["enrollments"])
async def get_enrollment(enrollment_id: UUID, tenant: Tenant, runtime: Runtime) -> dict[str, Any]:
    """One enrollment with its history."""
    async with runtime.session_factory() as session:
        return await svc.get_enrollment(session, tenant=tenant, enrollment_id=enrollment_id)


@router.post("/v1/enrollments/{enrollment_id}/{action}", tags=["enrollments"])
async def change_enrollment(
    enrollment_id: UUID, action: Literal["pause", "resume", "exit"], tenant: Tenant, runtime: Runtime, body: StateChange | None = None
) -> dict[str, Any]:
    """Pause (optionally until an instant), resume or exit an enrollment."""
    body = body or StateChange()
    async with runtime.session_factory() as session, session.begin():
        result = await svc.change_manually(
            session,
            runtime.outbox,
            tenant=tenant,
            enrollment_id=enrollment_id,
            action=action,
            until=body.until,
            reason=body.reason,
            now=runtime.clock.now(),
        )
    runtime.relay.wake.set()
    return result


@router.get("/v1/suppressions", tags=["suppressions"])
async def list_suppressions(tenant: Tenant, runtime: Runtime) -> list[dict[str, Any]]:
    """Addresses this tenant never contacts again."""
    async with runtime.session_factory() as session:
        return await svc.list_suppressions(session, tenant=tenant)


@router.post("/v1/suppressions", status_code=201, tags=["suppressions"])
async def add_suppression(body: SuppressionCreate, tenant: Tenant, runtime: Runtime) -> dict[str, str]:
    """Suppress an address; its running enrollments exit."""
    email = ProspectIn(email=body.email).email
    async with runtime.session_factory() as session, session.begin():
        await svc.add_suppression(session, runtime.outbox, tenant=tenant, email=email, reason=body.reason, now=runtime.clock.now())
    runtime.relay.wake.set()
    return {"email": email, "reason": body.reason}


@router.post("/internal/enrollments/{enrollment_id}/permits", tags=["internal"])
async def grant_permit(
    enrollment_id: UUID,
    body: PermitRequest,
    runtime: Runtime,
    x_cadenza_internal: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Dispatch asks here right before a touch: granted only while the enrollment is active."""
    expected = runtime.extras["settings"].internal_token.get_secret_value()
    if not x_cadenza_internal or not hmac.compare_digest(x_cadenza_internal.encode(), expected.encode()):
        raise Unauthorized("internal endpoint: bad or missing X-Cadenza-Internal token")
    async with runtime.session_factory() as session, session.begin():
        granted, reason = await svc.grant_permit(session, enrollment_id=enrollment_id, step_index=body.step_index, now=runtime.clock.now())
    return JSONResponse({"granted": granted, "reason": reason}, status_code=200 if granted else 409)
