"""Service layer of scheduling: keep one live timer per enrollment, fire due timers through the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from prometheus_client import Gauge, Histogram
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_shared.contracts.cadence import CadencePublished, CadenceSpec
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import EnrollmentExited, EnrollmentPaused, EnrollmentResumed, EnrollmentStarted
from cadenza_shared.contracts.scheduling import CadenceEnded, StepDue
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope
from cadenza_shared.errors import NotFound, RetryableError

from cadenza_scheduling.domain.cadence_rules import rules_for, timing_for
from cadenza_scheduling.domain.timing import DueTime, due_time, next_window_opening, plan_anchor
from cadenza_scheduling.repo.tables import cadences, plans, timers

LATENESS = Histogram(
    "cadenza_timer_lateness_seconds", "Fired instant minus due instant (virtual seconds under a scaled clock)",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600),
)
PENDING = Gauge("cadenza_timers_pending", "Timers waiting to fire")
OVERDUE = Gauge("cadenza_timers_overdue", "Pending timers whose due instant has passed")


async def on_cadence_published(session: AsyncSession, *, envelope: Envelope, event: CadencePublished) -> None:
    """Keep a copy of every cadence version (timing rules)."""
    await session.execute(pg_insert(cadences).values(
        cadence_id=event.cadence_id, tenant=envelope.tenant, key=event.key, version=event.version,
        definition=event.definition.model_dump(mode="json"),
    ).on_conflict_do_nothing())


async def _spec(session: AsyncSession, cadence_id: UUID) -> CadenceSpec:
    definition = await session.scalar(select(cadences.c.definition).where(cadences.c.cadence_id == cadence_id))
    if definition is None:
        raise RetryableError(f"cadence {cadence_id} not known yet (cadence.definitions not consumed so far)")
    return CadenceSpec.model_validate(definition)


async def _schedule(
    session: AsyncSession, *, plan: Any, spec: CadenceSpec, step_index: int, now: datetime, anchor: datetime,
    previous_at: datetime | None,
) -> DueTime:
    """Insert the live timer of `step_index` (or the end-of-cadence timer past the last step)."""
    rules = rules_for(spec, timezone=plan.timezone, country=plan.country)
    if step_index >= len(spec.steps):
        base = previous_at or now
        due = next_window_opening(max(now, base + timedelta(days=spec.on_completion.exit_after_days)), rules)
        kind = "end"
    else:
        due = due_time(
            timing=timing_for(spec.steps[step_index]), rules=rules, enrolled_at=anchor, previous_at=previous_at,
            not_before=now, seed=str(plan.enrollment_id),
        )
        kind = "step"
    await session.execute(pg_insert(timers).values(
        id=uuid.uuid4(), tenant=plan.tenant, enrollment_id=plan.enrollment_id, kind=kind, step_index=step_index,
        due_at=due.at, status="pending", reasons=list(due.reasons), created_at=now,
    ).on_conflict_do_nothing())
    return due


async def on_enrollment_started(session: AsyncSession, *, envelope: Envelope, event: EnrollmentStarted, now: datetime) -> None:
    """Plan the first step of a new enrollment."""
    spec = await _spec(session, event.cadence_id)
    values = dict(
        enrollment_id=event.enrollment_id, tenant=envelope.tenant, cadence_id=event.cadence_id,
        timezone=event.prospect.timezone, country=event.prospect.country, status="active",
        anchor_at=event.enrolled_at, next_step_index=0,
    )
    inserted = (await session.execute(pg_insert(plans).values(**values).on_conflict_do_nothing().returning(plans.c.enrollment_id))).first()
    if inserted is None:
        return
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id))).first()
    due = await _schedule(session, plan=plan, spec=spec, step_index=0, now=max(now, event.enrolled_at), anchor=event.enrolled_at, previous_at=None)
    rules = rules_for(spec, timezone=plan.timezone, country=plan.country)
    anchor = plan_anchor(first=timing_for(spec.steps[0]), first_due=due, rules=rules, enrolled_at=event.enrolled_at)
    if anchor != event.enrolled_at:
        await session.execute(update(plans).where(plans.c.enrollment_id == event.enrollment_id).values(anchor_at=anchor))


async def on_step_resolved(session: AsyncSession, *, event: MessageSent | MessageFailed, now: datetime) -> None:
    """A step was performed (or given up): plan the next one, or the end of the cadence."""
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id).with_for_update())).first()
    if plan is None:
        raise RetryableError(f"no plan for enrollment {event.enrollment_id} yet")
    if event.step_index < plan.next_step_index:
        return  # already advanced past this step (duplicate or late result)
    at = event.sent_at if isinstance(event, MessageSent) else event.failed_at
    next_index = event.step_index + 1
    await session.execute(update(plans).where(plans.c.enrollment_id == plan.enrollment_id).values(
        next_step_index=next_index, last_step_at=at, version=plans.c.version + 1,
    ))
    if plan.status != "active":
        return
    spec = await _spec(session, plan.cadence_id)
    await _schedule(session, plan=plan, spec=spec, step_index=next_index, now=now, anchor=plan.anchor_at, previous_at=at)


async def on_paused(session: AsyncSession, *, event: EnrollmentPaused) -> None:
    """Freeze the plan: no timer fires while paused."""
    await session.execute(update(plans).where(plans.c.enrollment_id == event.enrollment_id, plans.c.status == "active").values(
        status="paused", paused_at=event.paused_at, version=plans.c.version + 1,
    ))
    await _cancel_pending(session, event.enrollment_id)


async def on_resumed(session: AsyncSession, *, event: EnrollmentResumed, now: datetime) -> None:
    """Continue with the next step at its spacing: the plan's day 1 moves by the length of the pause."""
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id).with_for_update())).first()
    if plan is None:
        raise RetryableError(f"no plan for enrollment {event.enrollment_id} yet")
    if plan.status != "paused":
        return
    paused_for = max(timedelta(0), event.resumed_at - (plan.paused_at or event.resumed_at))
    anchor = plan.anchor_at + paused_for
    previous_at = plan.last_step_at + paused_for if plan.last_step_at else None
    await session.execute(update(plans).where(plans.c.enrollment_id == plan.enrollment_id).values(
        status="active", paused_at=None, anchor_at=anchor, version=plans.c.version + 1,
    ))
    spec = await _spec(session, plan.cadence_id)
    await _cancel_pending(session, plan.enrollment_id)
    await _schedule(session, plan=plan, spec=spec, step_index=plan.next_step_index, now=max(now, event.resumed_at), anchor=anchor, previous_at=previous_at)


async def on_exited(session: AsyncSession, *, event: EnrollmentExited) -> None:
    """An exited enrollment has no timers."""
    await session.execute(update(plans).where(plans.c.enrollment_id == event.enrollment_id).values(status="exited", version=plans.c.version + 1))
    await _cancel_pending(session, event.enrollment_id)


async def _cancel_pending(session: AsyncSession, enrollment_id: UUID) -> None:
    await session.execute(update(timers).where(timers.c.enrollment_id == enrollment_id, timers.c.status == "pending").values(status="cancelled"))


async def fire_due_timers(session: AsyncSession, outbox: Outbox, *, now: datetime, limit: int) -> int:
    """Fire every due timer once: SKIP LOCKED lets several replicas share the work without doubles."""
    rows = (await session.execute(
        select(timers, plans.c.cadence_id)
        .join(plans, plans.c.enrollment_id == timers.c.enrollment_id)
        .where(timers.c.status == "pending", timers.c.due_at <= now)
        .order_by(timers.c.due_at).limit(limit)
        .with_for_update(of=timers, skip_locked=True)
    )).all()
    if not rows:
        return 0
    specs: dict[UUID, CadenceSpec] = {}
    for row in rows:
        if row.cadence_id not in specs:
            specs[row.cadence_id] = await _spec(session, row.cadence_id)
        spec = specs[row.cadence_id]
        if row.kind == "end":
            event: StepDue | CadenceEnded = CadenceEnded(
                enrollment_id=row.enrollment_id, cadence_id=row.cadence_id, steps_total=len(spec.steps), due_at=row.due_at, fired_at=now,
            )
        else:
            step = spec.steps[row.step_index]
            event = StepDue(
                enrollment_id=row.enrollment_id, cadence_id=row.cadence_id, step_index=row.step_index, step_id=step.id,
                channel=step.channel, due_at=row.due_at, fired_at=now, timer_id=row.id,
            )
        await outbox.add(session, event, tenant=row.tenant, correlation_id=str(row.enrollment_id), event_id=f"timer-{row.id}")
        LATENESS.observe(max(0.0, (now - row.due_at).total_seconds()))
    await session.execute(update(timers).where(timers.c.id.in_([r.id for r in rows])).values(status="fired", fired_at=now))
    return len(rows)


async def next_due_at(session: AsyncSession) -> datetime | None:
    """The earliest pending timer (the poller sleeps until then)."""
    return await session.scalar(select(func.min(timers.c.due_at)).where(timers.c.status == "pending"))


async def refresh_gauges(session: AsyncSession, *, now: datetime) -> None:
    """Pending and overdue timer counts for /metrics."""
    row = (await session.execute(select(
        func.count().filter(timers.c.status == "pending"),
        func.count().filter(timers.c.status == "pending", timers.c.due_at <= now),
    ))).one()
    PENDING.set(row[0])
    OVERDUE.set(row[1])


async def upcoming(session: AsyncSession, *, tenant: str, enrollment_id: UUID) -> dict:
    """The plan and timers of one enrollment, with each due instant in UTC and local time and its reasons."""
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == enrollment_id, plans.c.tenant == tenant))).first()
    if plan is None:
        raise NotFound("enrollment", str(enrollment_id))
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(plan.timezone)
    rows = (await session.execute(select(timers).where(timers.c.enrollment_id == enrollment_id).order_by(timers.c.created_at))).all()
    return {
        "enrollment_id": enrollment_id, "status": plan.status, "timezone": plan.timezone, "next_step_index": plan.next_step_index,
        "timers": [
            {"kind": r.kind, "step_index": r.step_index, "status": r.status, "due_at": r.due_at,
             "due_local": r.due_at.astimezone(zone).isoformat(), "reasons": r.reasons, "fired_at": r.fired_at}
            for r in rows
        ],
    }
