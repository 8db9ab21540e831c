"""Service layer of scheduling: keep one live timer per enrollment, fire due timers through the outbox."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_scheduling.domain.cadence_rules import (
    Planned,
    calendar_for,
    end_due,
    first_step_anchor,
    holiday_subdivision,
    project,
    region_of,
    resume_shift,
    step_due,
)
from cadenza_scheduling.domain.timing import CalendarRules, DueTime
from cadenza_scheduling.repo.outbox_batch import add_many
from cadenza_scheduling.repo.tables import blackout_dates, cadences, plans, timers
from cadenza_shared.contracts.cadence import CadencePublished, CadenceSpec
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import EnrollmentExited, EnrollmentPaused, EnrollmentResumed, EnrollmentStarted
from cadenza_shared.contracts.scheduling import CadenceEnded, StepDue
from cadenza_shared.db.cadence_copies import store_cadence_copy
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope
from cadenza_shared.errors import NotFound, RetryableError

LATENESS = Histogram(
    "cadenza_timer_lateness_seconds",
    "Fired instant minus due instant (virtual seconds under a scaled clock)",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600),
)
PENDING = Gauge("cadenza_timers_pending", "Timers waiting to fire (whole database: every replica reports the same value)")
OVERDUE = Gauge("cadenza_timers_overdue", "Pending timers whose due instant has passed (whole database)")
FIRED = Counter("cadenza_timers_fired_total", "Timers this process fired", ["kind"])

#: Cadence versions never change (an edit is a new cadence_id), so parsed specs are kept per process.
_SPEC_CACHE: OrderedDict[UUID, CadenceSpec] = OrderedDict()
_SPEC_CACHE_SIZE = 1024


async def on_cadence_published(session: AsyncSession, *, envelope: Envelope, event: CadencePublished) -> None:
    """Keep a copy of every cadence version (timing rules)."""
    await store_cadence_copy(session, cadences, envelope=envelope, event=event)


async def _specs(session: AsyncSession, cadence_ids: set[UUID]) -> dict[UUID, CadenceSpec]:
    """Parsed definitions of these cadence versions, read in one query for those not cached."""
    found = {cid: _SPEC_CACHE[cid] for cid in cadence_ids if cid in _SPEC_CACHE}
    missing = cadence_ids - found.keys()
    if missing:
        rows = (await session.execute(select(cadences.c.cadence_id, cadences.c.definition).where(cadences.c.cadence_id.in_(missing)))).all()
        for cid, definition in rows:
            spec = CadenceSpec.model_validate(definition)
            found[cid] = spec
            _SPEC_CACHE[cid] = spec
            while len(_SPEC_CACHE) > _SPEC_CACHE_SIZE:
                _SPEC_CACHE.popitem(last=False)
    absent = cadence_ids - found.keys()
    if absent:
        raise RetryableError(f"cadence {sorted(absent)[0]} not known yet (cadence.definitions not consumed so far)")
    return found


async def _spec(session: AsyncSession, cadence_id: UUID) -> CadenceSpec:
    return (await _specs(session, {cadence_id}))[cadence_id]


async def _calendar(session: AsyncSession, spec: CadenceSpec, plan: Any) -> tuple[CalendarRules, tuple[str, ...]]:
    tenant_days = frozenset((await session.execute(select(blackout_dates.c.day).where(blackout_dates.c.tenant == plan.tenant))).scalars())
    return calendar_for(spec, timezone=plan.timezone, country=plan.country, subdivision=plan.subdivision, tenant_blackout=tenant_days)


async def list_blackout_dates(session: AsyncSession, *, tenant: str) -> list[dict[str, Any]]:
    """The tenant's own blackout dates (added to every cadence's), in date order."""
    rows = (
        await session.execute(
            select(blackout_dates.c.day, blackout_dates.c.reason).where(blackout_dates.c.tenant == tenant).order_by(blackout_dates.c.day)
        )
    ).all()
    return [{"date": r.day, "reason": r.reason} for r in rows]


async def set_blackout_dates(session: AsyncSession, *, tenant: str, dates: list[tuple[date, str]], now: datetime) -> dict[str, Any]:
    """Replace the tenant's blackout dates; a live timer that now falls on one is planned again."""
    await session.execute(delete(blackout_dates).where(blackout_dates.c.tenant == tenant))
    unique = {day: reason for day, reason in dates}
    if unique:
        await session.execute(insert(blackout_dates), [{"tenant": tenant, "day": d, "reason": r} for d, r in unique.items()])
    moved = await _replan_blacked_out(session, tenant=tenant, days=frozenset(unique), now=now)
    return {"dates": await list_blackout_dates(session, tenant=tenant), "replanned_timers": moved}


async def _replan_blacked_out(session: AsyncSession, *, tenant: str, days: frozenset[date], now: datetime) -> int:
    """Plan again every pending timer of the tenant whose local due date is one of `days`."""
    if not days:
        return 0
    lo = datetime.combine(min(days), time(0), tzinfo=UTC) - timedelta(days=2)
    hi = datetime.combine(max(days), time(0), tzinfo=UTC) + timedelta(days=2)
    rows = (
        await session.execute(
            select(timers.c.id, timers.c.enrollment_id, timers.c.step_index, timers.c.due_at, plans.c.timezone)
            .join(plans, plans.c.enrollment_id == timers.c.enrollment_id)
            .where(timers.c.tenant == tenant, timers.c.status == "pending", timers.c.due_at.between(lo, hi))
        )
    ).all()
    moved = 0
    for row in rows:
        if row.due_at.astimezone(ZoneInfo(row.timezone)).date() not in days:
            continue
        plan = (await session.execute(select(plans).where(plans.c.enrollment_id == row.enrollment_id).with_for_update())).one()
        cancelled = await session.execute(
            update(timers).where(timers.c.id == row.id, timers.c.status == "pending").values(status="cancelled")
        )
        if cancelled.rowcount != 1 or plan.status != "active":  # type: ignore[attr-defined]
            continue
        spec = await _spec(session, plan.cadence_id)
        await _schedule(
            session, plan=plan, spec=spec, step_index=row.step_index, now=now, anchor=plan.anchor_at, previous_at=plan.last_step_at
        )
        moved += 1
    return moved


async def _schedule(
    session: AsyncSession,
    *,
    plan: Any,
    spec: CadenceSpec,
    step_index: int,
    now: datetime,
    anchor: datetime,
    previous_at: datetime | None,
) -> DueTime:
    """Insert the live timer of `step_index` (or the end-of-cadence timer past the last step).

    Planning step 0 also fixes day 1 of the plan (`anchor_at`): a first step pushed to a later
    day (late enrollment, weekend, holiday, a pause) moves every later `day: N` step with it.
    """
    rules, notes = await _calendar(session, spec, plan)
    if step_index >= len(spec.steps):
        due = end_due(spec, rules, previous_at=previous_at, now=now)
        kind = "end"
    else:
        due = step_due(
            spec, rules, step_index=step_index, enrollment_id=plan.enrollment_id, anchor=anchor, previous_at=previous_at, now=now
        )
        kind = "step"
    await session.execute(
        pg_insert(timers)
        .values(
            id=uuid.uuid4(),
            tenant=plan.tenant,
            enrollment_id=plan.enrollment_id,
            kind=kind,
            step_index=step_index,
            due_at=due.at,
            status="pending",
            reasons=[*notes, *due.reasons],
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    if step_index == 0:
        shifted = first_step_anchor(spec, rules, due=due, anchor=anchor)
        if shifted != plan.anchor_at:
            await session.execute(update(plans).where(plans.c.enrollment_id == plan.enrollment_id).values(anchor_at=shifted))
    return due


async def on_enrollment_started(session: AsyncSession, *, envelope: Envelope, event: EnrollmentStarted, now: datetime) -> None:
    """Plan the first step of a new enrollment."""
    spec = await _spec(session, event.cadence_id)
    prospect = event.prospect
    values = dict(
        enrollment_id=event.enrollment_id,
        tenant=envelope.tenant,
        cadence_id=event.cadence_id,
        timezone=prospect.timezone,
        timezone_source=prospect.timezone_source,
        country=prospect.country,
        subdivision=holiday_subdivision(prospect.country, region_of(prospect.fields)),
        status="active",
        anchor_at=event.enrolled_at,
        next_step_index=0,
    )
    inserted = (await session.execute(pg_insert(plans).values(**values).on_conflict_do_nothing().returning(plans.c.enrollment_id))).first()
    if inserted is None:
        return
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id))).first()
    await _schedule(
        session, plan=plan, spec=spec, step_index=0, now=max(now, event.enrolled_at), anchor=event.enrolled_at, previous_at=None
    )


async def on_step_resolved(session: AsyncSession, *, event: MessageSent | MessageFailed, now: datetime) -> None:
    """A step was performed (or given up): plan the next one, or the end of the cadence."""
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id).with_for_update())).first()
    if plan is None:
        raise RetryableError(f"no plan for enrollment {event.enrollment_id} yet")
    if event.step_index < plan.next_step_index:
        return  # already advanced past this step (duplicate or late result)
    at = event.sent_at if isinstance(event, MessageSent) else event.failed_at
    next_index = event.step_index + 1
    await session.execute(
        update(plans)
        .where(plans.c.enrollment_id == plan.enrollment_id)
        .values(
            next_step_index=next_index,
            last_step_at=at,
            version=plans.c.version + 1,
        )
    )
    if plan.status != "active":
        return
    spec = await _spec(session, plan.cadence_id)
    await _cancel_pending(session, plan.enrollment_id)  # one live timer: anything still pending is for a step now done
    await _schedule(session, plan=plan, spec=spec, step_index=next_index, now=now, anchor=plan.anchor_at, previous_at=at)


async def on_paused(session: AsyncSession, *, event: EnrollmentPaused) -> None:
    """Freeze the plan: no timer fires while paused."""
    await session.execute(
        update(plans)
        .where(plans.c.enrollment_id == event.enrollment_id, plans.c.status == "active")
        .values(
            status="paused",
            paused_at=event.paused_at,
            version=plans.c.version + 1,
        )
    )
    await _cancel_pending(session, event.enrollment_id)


async def on_resumed(session: AsyncSession, *, event: EnrollmentResumed, now: datetime) -> None:
    """Continue with the next step at its spacing: day 1 and the last step move by the pause (`resume_shift`)."""
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id).with_for_update())).first()
    if plan is None:
        raise RetryableError(f"no plan for enrollment {event.enrollment_id} yet")
    if plan.status != "paused":
        return
    anchor, previous_at = resume_shift(
        anchor=plan.anchor_at,
        last_step_at=plan.last_step_at,
        paused_at=plan.paused_at,
        resumed_at=event.resumed_at,
    )
    await session.execute(
        update(plans)
        .where(plans.c.enrollment_id == plan.enrollment_id)
        .values(
            status="active",
            paused_at=None,
            anchor_at=anchor,
            version=plans.c.version + 1,
        )
    )
    spec = await _spec(session, plan.cadence_id)
    await _cancel_pending(session, plan.enrollment_id)
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == event.enrollment_id))).one()
    await _schedule(
        session,
        plan=plan,
        spec=spec,
        step_index=plan.next_step_index,
        now=max(now, event.resumed_at),
        anchor=anchor,
        previous_at=previous_at,
    )


async def on_exited(session: AsyncSession, *, event: EnrollmentExited) -> None:
    """An exited enrollment has no timers."""
    await session.execute(
        update(plans).where(plans.c.enrollment_id == event.enrollment_id).values(status="exited", version=plans.c.version + 1)
    )
    await _cancel_pending(session, event.enrollment_id)


async def _cancel_pending(session: AsyncSession, enrollment_id: UUID) -> None:
    await session.execute(
        update(timers).where(timers.c.enrollment_id == enrollment_id, timers.c.status == "pending").values(status="cancelled")
    )


async def fire_due_timers(session: AsyncSession, outbox: Outbox, *, now: datetime, limit: int) -> int:
    """Fire up to `limit` due timers, each exactly once, in the caller's transaction.

    One statement claims and marks them (`FOR UPDATE OF timers SKIP LOCKED` in a materialized
    CTE, then `UPDATE ... RETURNING`), so several replicas share the due timers without ever
    taking the same row; one more inserts every `StepDue`/`CadenceEnded` (event id
    `timer-<timer id>`) into the outbox. Both commit together or not at all.
    """
    picked = (
        select(timers.c.id, plans.c.cadence_id)
        .join(plans, plans.c.enrollment_id == timers.c.enrollment_id)
        .where(timers.c.status == "pending", timers.c.due_at <= now)
        .order_by(timers.c.due_at)
        .limit(limit)
        .with_for_update(of=timers, skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    rows = list(
        (
            await session.execute(
                update(timers)
                .where(timers.c.id == picked.c.id)
                .values(status="fired", fired_at=now)
                .returning(
                    timers.c.id,
                    timers.c.tenant,
                    timers.c.enrollment_id,
                    timers.c.kind,
                    timers.c.step_index,
                    timers.c.due_at,
                    picked.c.cadence_id,
                )
            )
        ).all()
    )
    if not rows:
        return 0
    rows.sort(key=lambda r: (r.due_at, r.id))
    specs = await _specs(session, {r.cadence_id for r in rows})
    events = []
    kinds: dict[str, int] = {}
    for row in rows:
        spec = specs[row.cadence_id]
        if row.kind == "end":
            event: StepDue | CadenceEnded = CadenceEnded(
                enrollment_id=row.enrollment_id,
                cadence_id=row.cadence_id,
                steps_total=len(spec.steps),
                due_at=row.due_at,
                fired_at=now,
            )
        else:
            step = spec.steps[row.step_index]
            event = StepDue(
                enrollment_id=row.enrollment_id,
                cadence_id=row.cadence_id,
                step_index=row.step_index,
                step_id=step.id,
                channel=step.channel,
                due_at=row.due_at,
                fired_at=now,
                timer_id=row.id,
            )
        events.append((event, row.tenant, str(row.enrollment_id), f"timer-{row.id}"))
        LATENESS.observe(max(0.0, (now - row.due_at).total_seconds()))
        kinds[row.kind] = kinds.get(row.kind, 0) + 1
    await add_many(session, outbox, events)
    for kind, count in kinds.items():
        FIRED.labels(kind).inc(count)
    return len(rows)


async def next_due_at(session: AsyncSession) -> datetime | None:
    """The earliest pending timer (the poller sleeps until then)."""
    return await session.scalar(select(func.min(timers.c.due_at)).where(timers.c.status == "pending"))


async def refresh_gauges(session: AsyncSession, *, now: datetime) -> None:
    """Pending and overdue timer counts for /metrics (an index-only scan of the pending index)."""
    row = (
        await session.execute(select(func.count(), func.count().filter(timers.c.due_at <= now)).where(timers.c.status == "pending"))
    ).one()
    PENDING.set(row[0])
    OVERDUE.set(row[1])


# --------------------------------------------------------------------------------------------- #
# Explaining the schedule
# --------------------------------------------------------------------------------------------- #


def _when(at: datetime, rules: CalendarRules) -> dict[str, Any]:
    local = at.astimezone(rules.zone)
    return {
        "due_at": at,
        "due_local": local.isoformat(),
        "due_local_display": f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}",
    }


def _projected(item: Planned, notes: tuple[str, ...], rules: CalendarRules) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "step_index": item.step_index,
        "step_id": item.step_id,
        "channel": item.channel,
        "status": "projected",
        "projected": True,
        **_when(item.due.at, rules),
        "reasons": [*notes, *item.due.reasons],
    }


async def upcoming(session: AsyncSession, *, tenant: str, enrollment_id: UUID, now: datetime) -> dict:
    """The plan of one enrollment: its timers so far, and every remaining step with its due time.

    `timers` are the rows already created. `upcoming` is the rest of the cadence: the live timer
    (`projected: false`) and then each remaining step and the end, computed with the same pure
    functions the timers will be computed with, assuming each step is performed when due
    (`projected: true`). A paused plan is projected as if resumed now. Every item gives its due
    instant in UTC and in the prospect's local time, and the rules that moved it.
    """
    plan = (await session.execute(select(plans).where(plans.c.enrollment_id == enrollment_id, plans.c.tenant == tenant))).first()
    if plan is None:
        raise NotFound("enrollment", str(enrollment_id))
    spec = await _spec(session, plan.cadence_id)
    rules, notes = await _calendar(session, spec, plan)
    rows = (await session.execute(select(timers).where(timers.c.enrollment_id == enrollment_id).order_by(timers.c.created_at))).all()
    steps = spec.steps

    def step_fields(kind: str, index: int) -> dict[str, Any]:
        if kind == "step" and index < len(steps):
            return {"step_id": steps[index].id, "channel": steps[index].channel.value}
        return {"step_id": None, "channel": None}

    items: list[dict[str, Any]] = []
    note: str | None = None
    if plan.status == "exited":
        note = "the enrollment has exited: nothing more is planned"
    else:
        anchor, previous, from_index = plan.anchor_at, plan.last_step_at, plan.next_step_index
        if plan.status == "paused":
            anchor, previous = resume_shift(anchor=anchor, last_step_at=previous, paused_at=plan.paused_at, resumed_at=now)
            note = "paused: the remaining steps are projected as if the enrollment resumed now"
        live = next((r for r in reversed(rows) if r.status == "pending"), None)
        in_flight = next(
            (r for r in reversed(rows) if r.status == "fired" and r.kind == "step" and r.step_index == plan.next_step_index), None
        )
        if live is not None:
            items.append(
                {
                    "kind": live.kind,
                    "step_index": live.step_index,
                    **step_fields(live.kind, live.step_index),
                    "status": "pending",
                    "projected": False,
                    **_when(live.due_at, rules),
                    "reasons": live.reasons,
                }
            )
            previous, from_index = live.due_at, (live.step_index + 1 if live.kind == "step" else len(steps) + 1)
        elif in_flight is not None and plan.status == "active":
            previous, from_index = in_flight.fired_at or in_flight.due_at, plan.next_step_index + 1
            note = f"step {plan.next_step_index} is being performed; the steps after it are projected from the moment it fired"
        if from_index <= len(steps):
            for item in project(
                spec, rules, enrollment_id=enrollment_id, from_index=from_index, anchor=anchor, previous_at=previous, now=now
            ):
                items.append(_projected(item, notes, rules))

    return {
        "enrollment_id": enrollment_id,
        "status": plan.status,
        "timezone": plan.timezone,
        "timezone_source": plan.timezone_source,
        "country": plan.country,
        "subdivision": plan.subdivision,
        "anchor_at": plan.anchor_at,
        "next_step_index": plan.next_step_index,
        "now": now,
        "note": note,
        "calendar_notes": list(notes),
        "timers": [
            {
                "kind": r.kind,
                "step_index": r.step_index,
                **step_fields(r.kind, r.step_index),
                "status": r.status,
                **_when(r.due_at, rules),
                "reasons": r.reasons,
                "fired_at": r.fired_at,
            }
            for r in rows
        ],
        "upcoming": items,
    }
