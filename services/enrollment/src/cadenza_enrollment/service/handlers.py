"""Service layer of enrollment: one function per command or event, each inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_enrollment.domain.prospects import ProspectIn
from cadenza_enrollment.domain.state import (
    Decision,
    Status,
    check_transition,
    decide_on_account_reply,
    decide_on_reply,
    decide_on_step_failure,
)
from cadenza_enrollment.domain.templates import check_templates
from cadenza_enrollment.repo.tables import cadences, enrollments, history, prospects, send_permits, suppressions
from cadenza_shared.contracts.cadence import CadencePublished, CadenceSpec
from cadenza_shared.contracts.classification import ReplyClassified
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import (
    EnrollmentExited,
    EnrollmentPaused,
    EnrollmentResumed,
    EnrollmentStarted,
    ExitReason,
    HandoffRequested,
    Prospect,
)
from cadenza_shared.contracts.external import MeetingBooked
from cadenza_shared.contracts.scheduling import CadenceEnded
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope
from cadenza_shared.errors import InvalidInput, NotFound
from cadenza_shared.timezones import infer_timezone, region_from_fields

# --- cadences -----------------------------------------------------------------------------------


async def publish_cadence(session: AsyncSession, outbox: Outbox, *, tenant: str, spec: CadenceSpec, now: datetime) -> dict:
    """Store a new version of a cadence (same key = next version) and publish it."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{tenant}/{spec.key}"))))
    latest = await session.scalar(select(func.max(cadences.c.version)).where(cadences.c.tenant == tenant, cadences.c.key == spec.key))
    if spec.on_completion.then == "enroll" and spec.on_completion.cadence == spec.key:
        raise InvalidInput("on_completion.cadence", "a cadence cannot enroll into itself")
    check_templates(spec)
    warnings = []
    if spec.on_completion.then == "enroll" and spec.on_completion.cadence:
        exists = await session.scalar(
            select(cadences.c.id).where(cadences.c.tenant == tenant, cadences.c.key == spec.on_completion.cadence).limit(1)
        )
        if exists is None:
            warnings.append(
                f"on_completion.cadence: {spec.on_completion.cadence!r} does not exist yet; create it before enrollments complete"
            )
    version = (latest or 0) + 1
    cadence_id = uuid.uuid4()
    definition = spec.model_dump(mode="json")
    await session.execute(
        insert(cadences).values(
            id=cadence_id,
            tenant=tenant,
            key=spec.key,
            version=version,
            name=spec.name,
            definition=definition,
            created_at=now,
        )
    )
    await outbox.add(session, CadencePublished(cadence_id=cadence_id, key=spec.key, version=version, definition=spec), tenant=tenant)
    return {"id": cadence_id, "key": spec.key, "version": version, "name": spec.name, "steps": len(spec.steps), "warnings": warnings}


async def latest_cadence(session: AsyncSession, *, tenant: str, key: str) -> Any:
    """The newest version of a cadence, or NotFound."""
    row = (
        await session.execute(
            select(cadences).where(cadences.c.tenant == tenant, cadences.c.key == key).order_by(cadences.c.version.desc()).limit(1)
        )
    ).first()
    if row is None:
        raise NotFound("cadence", key)
    return row


async def list_cadences(session: AsyncSession, *, tenant: str) -> list[dict]:
    rows = (
        await session.execute(
            select(cadences.c.id, cadences.c.key, cadences.c.version, cadences.c.name, cadences.c.created_at)
            .where(cadences.c.tenant == tenant)
            .order_by(cadences.c.key, cadences.c.version)
        )
    ).all()
    return [dict(r._mapping) for r in rows]


# --- enrolling ----------------------------------------------------------------------------------


async def enroll(
    session: AsyncSession,
    outbox: Outbox,
    *,
    tenant: str,
    cadence_key: str,
    people: list[ProspectIn],
    now: datetime,
) -> dict:
    """Enroll prospects in the latest version of a cadence; suppressed or already-enrolled ones are skipped."""
    cadence = await latest_cadence(session, tenant=tenant, key=cadence_key)
    spec = CadenceSpec.model_validate(cadence.definition)
    suppressed = set(
        (
            await session.execute(
                select(suppressions.c.email).where(suppressions.c.tenant == tenant, suppressions.c.email.in_([p.email for p in people]))
            )
        ).scalars()
    )
    created: list[dict] = []
    skipped: list[dict] = []
    candidates = [p for p in people if p.email not in suppressed]
    skipped += [{"email": p.email, "reason": "suppressed"} for p in people if p.email in suppressed]
    prospect_ids = await _upsert_prospects(session, tenant=tenant, people=candidates, now=now)
    already = dict(
        (
            await session.execute(
                select(enrollments.c.prospect_id, enrollments.c.id).where(
                    enrollments.c.prospect_id.in_(list(prospect_ids.values())),
                    enrollments.c.cadence_key == cadence_key,
                    enrollments.c.status.in_([Status.active, Status.paused]),
                )
            )
        ).all()
    )
    rows: list[dict] = []
    events: list[tuple[EnrollmentStarted, str]] = []
    for person in candidates:
        prospect_id = prospect_ids[person.email]
        if prospect_id in already:
            skipped.append({"email": person.email, "reason": "already enrolled", "enrollment_id": str(already[prospect_id])})
            continue
        already[prospect_id] = None  # the same address twice in one request enrolls once
        timezone, source = infer_timezone(
            timezone=person.timezone,
            country=person.country,
            region=region_from_fields(person.fields),
            phone=person.phone,
            default=spec.default_timezone,
        )
        enrollment_id = uuid.uuid4()
        rows.append(
            dict(
                id=enrollment_id,
                tenant=tenant,
                cadence_id=cadence.id,
                cadence_key=cadence_key,
                prospect_id=prospect_id,
                account=person.account or _domain(person.email),
                timezone=timezone,
                timezone_source=source,
                status=Status.active,
                enrolled_at=now,
                updated_at=now,
            )
        )
        events.append(
            (
                EnrollmentStarted(
                    enrollment_id=enrollment_id,
                    cadence_id=cadence.id,
                    cadence_key=cadence_key,
                    cadence_version=cadence.version,
                    prospect=Prospect(
                        prospect_id=prospect_id,
                        email=person.email,
                        first_name=person.first_name,
                        last_name=person.last_name,
                        company=person.company,
                        title=person.title,
                        country=person.country,
                        timezone=timezone,
                        timezone_source=source,
                        account=person.account,
                        phone=person.phone,
                        fields=person.template_fields(),
                    ),
                    enrolled_at=now,
                ),
                str(enrollment_id),
            )
        )
        created.append({"enrollment_id": str(enrollment_id), "email": person.email})
    if rows:
        # one statement per table, whatever the file's size (a 10,000-row CSV is 3 round trips, not 50,000)
        await session.execute(insert(enrollments), rows)
        await session.execute(
            insert(history),
            [
                {
                    "enrollment_id": r["id"],
                    "at": now,
                    "kind": "enrolled",
                    "detail": {
                        "cadence": cadence_key,
                        "version": cadence.version,
                        "timezone": r["timezone"],
                        "timezone_source": r["timezone_source"],
                    },
                }
                for r in rows
            ],
        )
        await outbox.add_many(session, events, tenant=tenant)
    return {"cadence_key": cadence_key, "cadence_version": cadence.version, "enrolled": created, "skipped": skipped}


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1]


async def _upsert_prospects(session: AsyncSession, *, tenant: str, people: list[ProspectIn], now: datetime) -> dict[str, UUID]:
    """Insert or refresh every prospect (by tenant + email); return email -> prospect id."""
    ids: dict[str, UUID] = {}
    unique = list({p.email: p for p in people}.values())
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        stmt = pg_insert(prospects).values(
            [
                {"id": uuid.uuid4(), "tenant": tenant, "fields": p.fields, "created_at": now, **p.model_dump(exclude={"fields"})}
                for p in chunk
            ]
        )
        columns = [*ProspectIn.model_fields.keys()]
        stmt = stmt.on_conflict_do_update(
            constraint="uq_prospect_email",
            set_={k: stmt.excluded[k] for k in columns if k != "email"},
        ).returning(prospects.c.email, prospects.c.id)
        ids.update(dict((await session.execute(stmt)).all()))
    return ids


async def _record(session: AsyncSession, enrollment_id: UUID, at: datetime, kind: str, detail: dict) -> None:
    await session.execute(insert(history).values(enrollment_id=enrollment_id, at=at, kind=kind, detail=detail))


# --- reading ------------------------------------------------------------------------------------


async def get_enrollment(session: AsyncSession, *, tenant: str, enrollment_id: UUID) -> dict:
    """One enrollment with its prospect and full history (404 for another tenant's id)."""
    row = (
        await session.execute(
            select(enrollments, prospects.c.email, prospects.c.first_name, prospects.c.last_name, prospects.c.company)
            .join(prospects, prospects.c.id == enrollments.c.prospect_id)
            .where(enrollments.c.id == enrollment_id, enrollments.c.tenant == tenant)
        )
    ).first()
    if row is None:
        raise NotFound("enrollment", str(enrollment_id))
    events = (
        await session.execute(
            select(history.c.at, history.c.kind, history.c.detail).where(history.c.enrollment_id == enrollment_id).order_by(history.c.id)
        )
    ).all()
    result = dict(row._mapping)
    result["history"] = [dict(e._mapping) for e in events]
    return result


async def list_enrollments(
    session: AsyncSession, *, tenant: str, cadence_key: str | None, status: str | None, limit: int, offset: int
) -> list[dict]:
    query = (
        select(
            enrollments.c.id,
            enrollments.c.cadence_key,
            enrollments.c.status,
            enrollments.c.exit_reason,
            enrollments.c.steps_done,
            enrollments.c.timezone,
            enrollments.c.enrolled_at,
            enrollments.c.ended_at,
            enrollments.c.paused_until,
            prospects.c.email,
            prospects.c.company,
        )
        .join(prospects, prospects.c.id == enrollments.c.prospect_id)
        .where(enrollments.c.tenant == tenant)
        .order_by(enrollments.c.enrolled_at, prospects.c.email)
        .limit(limit)
        .offset(offset)
    )
    if cadence_key:
        query = query.where(enrollments.c.cadence_key == cadence_key)
    if status:
        query = query.where(enrollments.c.status == status)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


# --- state changes ------------------------------------------------------------------------------


async def _lock(session: AsyncSession, enrollment_id: UUID, *, tenant: str | None = None) -> Any:
    query = select(enrollments).where(enrollments.c.id == enrollment_id).with_for_update()
    if tenant is not None:
        query = query.where(enrollments.c.tenant == tenant)
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("enrollment", str(enrollment_id))
    return row


async def apply_decision(
    session: AsyncSession,
    outbox: Outbox,
    *,
    row: Any,
    decision: Decision,
    now: datetime,
    cause: Envelope | None = None,
    reply: ReplyClassified | None = None,
) -> None:
    """Apply one rule's decision to a locked enrollment row and publish what it caused."""
    tenant = row.tenant
    status = Status(row.status)
    if decision.action == "exit":
        check_transition(status, "exit")
        await session.execute(
            update(enrollments)
            .where(enrollments.c.id == row.id)
            .values(
                status=Status.exited,
                exit_reason=decision.exit_reason,
                exit_detail=decision.reason,
                paused_until=None,
                follow_up_on=decision.follow_up_on,
                ended_at=now,
                updated_at=now,
                version=enrollments.c.version + 1,
            )
        )
        await _record(session, row.id, now, "exited", {"reason": decision.exit_reason, "detail": decision.reason})
        await outbox.add(
            session,
            EnrollmentExited(
                enrollment_id=row.id,
                cadence_id=row.cadence_id,
                reason=decision.exit_reason,
                detail=decision.reason,
                exited_at=now,
                follow_up_on=decision.follow_up_on,
            ),
            tenant=tenant,
            cause=cause,
        )
    elif decision.action == "pause":
        check_transition(status, "pause")
        await session.execute(
            update(enrollments)
            .where(enrollments.c.id == row.id)
            .values(
                status=Status.paused,
                paused_until=decision.pause_until,
                updated_at=now,
                version=enrollments.c.version + 1,
            )
        )
        await _record(
            session,
            row.id,
            now,
            "paused",
            {"reason": decision.reason, "until": decision.pause_until.isoformat() if decision.pause_until else None},
        )
        await outbox.add(
            session,
            EnrollmentPaused(
                enrollment_id=row.id,
                reason=decision.reason,
                paused_at=now,
                until=decision.pause_until,
            ),
            tenant=tenant,
            cause=cause,
        )
    elif decision.action == "resume":
        check_transition(status, "resume")
        await session.execute(
            update(enrollments)
            .where(enrollments.c.id == row.id)
            .values(
                status=Status.active,
                paused_until=None,
                updated_at=now,
                version=enrollments.c.version + 1,
            )
        )
        await _record(session, row.id, now, "resumed", {"reason": decision.reason})
        await outbox.add(
            session, EnrollmentResumed(enrollment_id=row.id, resumed_at=now, reason=decision.reason), tenant=tenant, cause=cause
        )
    if decision.suppress:
        email = await session.scalar(select(prospects.c.email).where(prospects.c.id == row.prospect_id))
        await session.execute(pg_insert(suppressions).values(tenant=tenant, email=email, reason=decision.reason).on_conflict_do_nothing())
        await _exit_other_cadences(session, outbox, tenant=tenant, prospect_id=row.prospect_id, except_id=row.id, now=now, cause=cause)
    if decision.handoff:
        prospect = (await session.execute(select(prospects).where(prospects.c.id == row.prospect_id))).first()
        await outbox.add(
            session,
            HandoffRequested(
                enrollment_id=row.id,
                cadence_id=row.cadence_id,
                prospect_email=prospect.email,
                prospect_name=" ".join(p for p in (prospect.first_name, prospect.last_name) if p) or None,
                company=prospect.company,
                reason=decision.reason,
                reply_id=reply.reply_id if reply else None,
                reply_excerpt=reply.excerpt if reply else None,
                requested_at=now,
            ),
            tenant=tenant,
            cause=cause,
        )
    if decision.account_rule_applies and row.account:
        await _apply_account_rule(session, outbox, row=row, now=now, cause=cause)


async def _exit_other_cadences(
    session: AsyncSession, outbox: Outbox, *, tenant: str, prospect_id: UUID, except_id: UUID, now: datetime, cause: Envelope | None
) -> None:
    """A suppressed address is never contacted again, by any cadence of the tenant."""
    others = (
        await session.execute(
            select(enrollments)
            .where(
                enrollments.c.tenant == tenant,
                enrollments.c.prospect_id == prospect_id,
                enrollments.c.id != except_id,
                enrollments.c.status.in_([Status.active, Status.paused]),
            )
            .with_for_update()
        )
    ).all()
    for other in others:
        await apply_decision(
            session, outbox, row=other, decision=Decision("exit", "address suppressed", ExitReason.suppressed), now=now, cause=cause
        )


async def _apply_account_rule(session: AsyncSession, outbox: Outbox, *, row: Any, now: datetime, cause: Envelope | None) -> None:
    definition = await session.scalar(select(cadences.c.definition).where(cadences.c.id == row.cadence_id))
    decision = decide_on_account_reply(rule=definition.get("account_rule", "none"))
    if decision.action == "none":
        return
    others = (
        await session.execute(
            select(enrollments)
            .where(
                enrollments.c.tenant == row.tenant,
                enrollments.c.account == row.account,
                enrollments.c.id != row.id,
                enrollments.c.status == Status.active,
            )
            .with_for_update()
        )
    ).all()
    for other in others:
        await apply_decision(session, outbox, row=other, decision=decision, now=now, cause=cause)


async def change_manually(
    session: AsyncSession,
    outbox: Outbox,
    *,
    tenant: str,
    enrollment_id: UUID,
    action: str,
    until: datetime | None,
    reason: str | None,
    now: datetime,
) -> dict:
    """Manual pause / resume / exit through the API."""
    row = await _lock(session, enrollment_id, tenant=tenant)
    check_transition(Status(row.status), action)
    if action == "pause":
        if until is not None and until <= now:
            raise InvalidInput("until", "must be in the future")
        decision = Decision("pause", reason or "paused by a user", pause_until=until)
    elif action == "resume":
        decision = Decision("resume", reason or "resumed by a user")
    else:
        decision = Decision("exit", reason or "exited by a user", ExitReason.manual)
    await apply_decision(session, outbox, row=row, decision=decision, now=now)
    return await get_enrollment(session, tenant=tenant, enrollment_id=enrollment_id)


async def on_reply_classified(
    session: AsyncSession, outbox: Outbox, *, envelope: Envelope, event: ReplyClassified, now: datetime, default_pause_days: int = 7
) -> None:
    """Exit/pause rules for a classified reply."""
    row = (
        await session.execute(
            select(enrollments).where(enrollments.c.id == event.enrollment_id, enrollments.c.tenant == envelope.tenant).with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound("enrollment", str(event.enrollment_id))
    await _record(
        session,
        row.id,
        now,
        "reply",
        {"label": event.label, "confidence": event.confidence, "reply_id": str(event.reply_id), "corrected": event.corrected},
    )
    decision = decide_on_reply(
        label=event.label,
        status=Status(row.status),
        timezone=row.timezone,
        now=now,
        return_date=event.return_date,
        follow_up_date=event.follow_up_date,
        soft_bounces=row.soft_bounces,
        default_pause_days=default_pause_days,
    )
    if "soft_bounce" in decision.notes or (decision.exit_reason == ExitReason.bounced and event.label == "bounce_soft"):
        await session.execute(update(enrollments).where(enrollments.c.id == row.id).values(soft_bounces=enrollments.c.soft_bounces + 1))
    if decision.action == "pause" and Status(row.status) == Status.paused:
        decision = Decision("none", decision.reason, handoff=decision.handoff)
    await apply_decision(session, outbox, row=row, decision=decision, now=now, cause=envelope, reply=event)


async def on_step_result(
    session: AsyncSession, outbox: Outbox, *, envelope: Envelope, event: MessageSent | MessageFailed, now: datetime
) -> None:
    """Record a performed (or failed) step in the enrollment's history; a rejected address ends it."""
    row = (await session.execute(select(enrollments).where(enrollments.c.id == event.enrollment_id).with_for_update())).first()
    if row is None:
        raise NotFound("enrollment", str(event.enrollment_id))
    if isinstance(event, MessageSent):
        detail = {
            "step": event.step_index,
            "step_id": event.step_id,
            "channel": event.channel,
            "message_id": event.message_id,
            "outcome": event.outcome,
            "variant": event.variant,
        }
        await _record(session, row.id, event.sent_at, "step_sent", detail)
    else:
        detail = {
            "step": event.step_index,
            "step_id": event.step_id,
            "channel": event.channel,
            "reason_code": event.reason_code,
            "reason": event.reason,
        }
        await _record(session, row.id, event.failed_at, "step_failed", detail)
    await session.execute(
        update(enrollments)
        .where(enrollments.c.id == row.id)
        .values(
            steps_done=func.greatest(enrollments.c.steps_done, event.step_index + 1),
            updated_at=now,
        )
    )
    if isinstance(event, MessageFailed):
        decision = decide_on_step_failure(reason_code=event.reason_code, status=Status(row.status))
        if decision.action != "none":
            await apply_decision(session, outbox, row=row, decision=decision, now=now, cause=envelope)


async def on_cadence_ended(session: AsyncSession, outbox: Outbox, *, envelope: Envelope, event: CadenceEnded, now: datetime) -> None:
    """No reply after the last step: exit completed_no_reply, then nurture or remove as the cadence says."""
    row = (await session.execute(select(enrollments).where(enrollments.c.id == event.enrollment_id).with_for_update())).first()
    if row is None:
        raise NotFound("enrollment", str(event.enrollment_id))
    if row.status != Status.active:
        return
    await apply_decision(
        session,
        outbox,
        row=row,
        decision=Decision("exit", "no reply after the last step", ExitReason.completed_no_reply),
        now=now,
        cause=envelope,
    )
    definition = await session.scalar(select(cadences.c.definition).where(cadences.c.id == row.cadence_id))
    completion = CadenceSpec.model_validate(definition).on_completion
    if completion.then != "enroll" or not completion.cadence:
        await _record(session, row.id, now, "removed", {"then": completion.then})
        return
    p = (await session.execute(select(prospects).where(prospects.c.id == row.prospect_id))).first()
    person = ProspectIn(
        email=p.email,
        first_name=p.first_name,
        last_name=p.last_name,
        company=p.company,
        title=p.title,
        country=p.country,
        timezone=p.timezone,
        phone=p.phone,
        account=p.account,
        fields=p.fields,
    )
    try:
        result = await enroll(session, outbox, tenant=row.tenant, cadence_key=completion.cadence, people=[person], now=now)
    except NotFound:
        await _record(session, row.id, now, "nurture_missing", {"cadence": completion.cadence})
        return
    await _record(session, row.id, now, "moved_to_nurture", {"cadence": completion.cadence, "result": result["enrolled"]})


async def on_meeting_booked(session: AsyncSession, outbox: Outbox, *, envelope: Envelope, event: MeetingBooked, now: datetime) -> None:
    """A booked meeting ends every active enrollment of that prospect."""
    query = select(enrollments).where(enrollments.c.tenant == envelope.tenant, enrollments.c.status.in_([Status.active, Status.paused]))
    if event.enrollment_id is not None:
        query = query.where(enrollments.c.id == event.enrollment_id)
    else:
        ids = select(prospects.c.id).where(prospects.c.tenant == envelope.tenant, prospects.c.email == (event.prospect_email or "").lower())
        query = query.where(enrollments.c.prospect_id.in_(ids))
    for row in (await session.execute(query.with_for_update())).all():
        await apply_decision(
            session,
            outbox,
            row=row,
            decision=Decision("exit", "meeting booked", ExitReason.meeting_booked, handoff=True),
            now=now,
            cause=envelope,
        )


async def grant_permit(session: AsyncSession, *, enrollment_id: UUID, step_index: int, now: datetime) -> tuple[bool, str]:
    """Dispatch asks before every touch; the row lock orders it against exits and pauses."""
    row = (
        await session.execute(
            select(enrollments.c.status, enrollments.c.tenant, enrollments.c.prospect_id)
            .where(enrollments.c.id == enrollment_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        return False, "unknown enrollment"
    if row.status != Status.active:
        return False, f"enrollment is {row.status}"
    email = await session.scalar(select(prospects.c.email).where(prospects.c.id == row.prospect_id))
    if await session.scalar(select(suppressions.c.email).where(suppressions.c.tenant == row.tenant, suppressions.c.email == email)):
        return False, "address is suppressed"
    await session.execute(
        pg_insert(send_permits).values(enrollment_id=enrollment_id, step_index=step_index, granted_at=now).on_conflict_do_nothing()
    )
    return True, "active"


async def resume_expired_pauses(session: AsyncSession, outbox: Outbox, *, now: datetime, limit: int = 500) -> int:
    """Out-of-office pauses end on their own when the return date comes."""
    rows = (
        await session.execute(
            select(enrollments)
            .where(
                enrollments.c.status == Status.paused,
                enrollments.c.paused_until.is_not(None),
                enrollments.c.paused_until <= now,
            )
            .order_by(enrollments.c.paused_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        await apply_decision(session, outbox, row=row, decision=Decision("resume", "pause ended"), now=now)
    return len(rows)


async def list_suppressions(session: AsyncSession, *, tenant: str) -> list[dict]:
    rows = (await session.execute(select(suppressions).where(suppressions.c.tenant == tenant).order_by(suppressions.c.created_at))).all()
    return [dict(r._mapping) for r in rows]


async def add_suppression(session: AsyncSession, outbox: Outbox, *, tenant: str, email: str, reason: str, now: datetime) -> None:
    """Suppress an address by hand: every running enrollment of it exits."""
    await session.execute(pg_insert(suppressions).values(tenant=tenant, email=email, reason=reason).on_conflict_do_nothing())
    ids = select(prospects.c.id).where(prospects.c.tenant == tenant, prospects.c.email == email)
    rows = (
        await session.execute(
            select(enrollments)
            .where(enrollments.c.prospect_id.in_(ids), enrollments.c.status.in_([Status.active, Status.paused]))
            .with_for_update()
        )
    ).all()
    for row in rows:
        await apply_decision(session, outbox, row=row, decision=Decision("exit", "address suppressed", ExitReason.suppressed), now=now)
