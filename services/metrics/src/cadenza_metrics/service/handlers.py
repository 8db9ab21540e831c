"""Service layer of metrics: one function per event type, each inside the caller's transaction, and the reads.

The consumer runner's inbox makes each event id count once; on top of that, the counts that must
not move twice for one fact are guarded by state (an enrollment starts once and exits once, a
reply keeps one label). Topics are not ordered among themselves, so any event that names an
enrollment and its cadence may create the enrollment's row; an event that cannot be attributed
to a cadence is counted on Prometheus only, and logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_metrics.domain.counting import (
    STEP_METRICS,
    engagement_metric,
    exit_metric,
    failure_metric,
    failure_reason_label,
    prospect_key,
    reply_label,
    reply_metrics,
)
from cadenza_metrics.domain.formulas import REPLY_RATE_BENCHMARK, cadence_rates, step_rates
from cadenza_metrics.domain.opens import classify_open
from cadenza_metrics.repo.tables import cadence_counters, cadences, enrollments, replies, step_counters
from cadenza_metrics.service import prom
from cadenza_metrics.service.prom import after_commit
from cadenza_shared.contracts.cadence import CadencePublished, Channel
from cadenza_shared.contracts.classification import MACHINE_LABELS, ReplyClassified
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import (
    EnrollmentExited,
    EnrollmentPaused,
    EnrollmentResumed,
    EnrollmentStarted,
    ExitReason,
    HandoffRequested,
)
from cadenza_shared.contracts.external import EngagementReceived, MeetingBooked
from cadenza_shared.contracts.scheduling import StepDue
from cadenza_shared.envelope import Envelope
from cadenza_shared.errors import NotFound

log = structlog.get_logger(__name__)


# --- counters -----------------------------------------------------------------------------------


async def bump_step(
    session: AsyncSession,
    *,
    tenant: str,
    cadence_id: UUID,
    step_index: int,
    metrics: Iterable[str],
    by: int = 1,
) -> None:
    """Add `by` to each of a step's counters (INSERT ... ON CONFLICT DO UPDATE SET value = value + by)."""
    names = list(dict.fromkeys(metrics))
    if not names:
        return
    stmt = pg_insert(step_counters).values(
        [{"tenant": tenant, "cadence_id": cadence_id, "step_index": step_index, "metric": name, "value": by} for name in names]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[step_counters.c.tenant, step_counters.c.cadence_id, step_counters.c.step_index, step_counters.c.metric],
        set_={"value": step_counters.c.value + stmt.excluded.value},
    )
    await session.execute(stmt)


async def bump_cadence(session: AsyncSession, *, tenant: str, cadence_id: UUID, metric: str, by: int = 1) -> None:
    """Add `by` to one of a cadence's counters."""
    stmt = pg_insert(cadence_counters).values(tenant=tenant, cadence_id=cadence_id, metric=metric, value=by)
    stmt = stmt.on_conflict_do_update(
        index_elements=[cadence_counters.c.tenant, cadence_counters.c.cadence_id, cadence_counters.c.metric],
        set_={"value": cadence_counters.c.value + stmt.excluded.value},
    )
    await session.execute(stmt)


# --- attribution --------------------------------------------------------------------------------


async def _ensure_enrollment(session: AsyncSession, *, tenant: str, enrollment_id: UUID, cadence_id: UUID) -> None:
    """Make sure the enrollment has a row (an event about it may come before EnrollmentStarted)."""
    await session.execute(
        pg_insert(enrollments).values(enrollment_id=enrollment_id, tenant=tenant, cadence_id=cadence_id).on_conflict_do_nothing()
    )


async def _enrollment(session: AsyncSession, *, tenant: str, enrollment_id: UUID) -> Any:
    """The enrollment's row (of this tenant), or None if metrics has not heard of it."""
    return (
        await session.execute(select(enrollments).where(enrollments.c.enrollment_id == enrollment_id, enrollments.c.tenant == tenant))
    ).first()


async def _enrollment_of(session: AsyncSession, *, tenant: str, enrollment_id: UUID | None, email: str | None) -> Any:
    """The enrollment an outside event is about: by id, else the prospect's current (or latest) one."""
    if enrollment_id is not None:
        return await _enrollment(session, tenant=tenant, enrollment_id=enrollment_id)
    if not email:
        return None
    running = or_(enrollments.c.exit_reason.is_(None), enrollments.c.exit_reason == ExitReason.meeting_booked.value)
    return (
        await session.execute(
            select(enrollments)
            .where(enrollments.c.tenant == tenant, enrollments.c.prospect_key == prospect_key(email))
            .order_by(case((running, 0), else_=1), enrollments.c.started_at.desc().nulls_last())
            .limit(1)
        )
    ).first()


# --- events -------------------------------------------------------------------------------------


async def on_cadence_published(session: AsyncSession, *, envelope: Envelope, event: CadencePublished) -> None:
    """Remember a cadence version's steps (the compacted topic may replay it: same values again)."""
    steps = [{"index": i, "id": s.id, "channel": s.channel.value} for i, s in enumerate(event.definition.steps)]
    values = {"tenant": envelope.tenant, "key": event.key, "version": event.version, "name": event.definition.name, "steps": steps}
    stmt = pg_insert(cadences).values(cadence_id=event.cadence_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[cadences.c.cadence_id], set_=values))


async def on_enrollment_started(session: AsyncSession, *, envelope: Envelope, event: EnrollmentStarted) -> None:
    """Count the enrollment once, and keep what attribution needs (cadence, hashed address)."""
    stmt = pg_insert(enrollments).values(
        enrollment_id=event.enrollment_id,
        tenant=envelope.tenant,
        cadence_id=event.cadence_id,
        prospect_key=prospect_key(event.prospect.email),
        started_at=event.enrolled_at,
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[enrollments.c.enrollment_id],
        set_={"started_at": stmt.excluded.started_at, "prospect_key": stmt.excluded.prospect_key, "cadence_id": stmt.excluded.cadence_id},
        where=enrollments.c.started_at.is_(None),
    ).returning(enrollments.c.enrollment_id)
    if (await session.execute(upsert)).first() is None:
        return  # already started: a second EnrollmentStarted for it does not count
    await bump_cadence(session, tenant=envelope.tenant, cadence_id=event.cadence_id, metric="enrolled")
    after_commit(session, prom.STARTED.inc)


async def on_enrollment_exited(session: AsyncSession, *, envelope: Envelope, event: EnrollmentExited) -> None:
    """Count the first exit of an enrollment under its reason (`exit:<reason>`)."""
    await _ensure_enrollment(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id, cadence_id=event.cadence_id)
    updated = (
        await session.execute(
            update(enrollments)
            .where(
                enrollments.c.enrollment_id == event.enrollment_id,
                enrollments.c.tenant == envelope.tenant,
                enrollments.c.exit_reason.is_(None),
            )
            .values(exit_reason=event.reason.value, exited_at=event.exited_at)
            .returning(enrollments.c.cadence_id)
        )
    ).first()
    if updated is None:
        return  # exits are terminal: only the first one counts
    await bump_cadence(session, tenant=envelope.tenant, cadence_id=updated.cadence_id, metric=exit_metric(event.reason))
    after_commit(session, prom.EXITS.labels(event.reason.value).inc)


async def on_enrollment_pause_changed(session: AsyncSession, *, envelope: Envelope, event: EnrollmentPaused | EnrollmentResumed) -> None:
    """Count pauses and resumes per cadence (the events do not name the cadence: the enrollment does)."""
    row = await _enrollment(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id)
    metric = "paused" if isinstance(event, EnrollmentPaused) else "resumed"
    if row is None:
        log.warning("unattributed event", type=envelope.type, event_id=envelope.id, why="unknown enrollment")
        return
    await bump_cadence(session, tenant=envelope.tenant, cadence_id=row.cadence_id, metric=metric)


async def on_handoff_requested(session: AsyncSession, *, envelope: Envelope, event: HandoffRequested) -> None:
    await bump_cadence(session, tenant=envelope.tenant, cadence_id=event.cadence_id, metric="handoffs")
    after_commit(session, prom.HANDOFFS.inc)


async def on_step_due(session: AsyncSession, *, envelope: Envelope, event: StepDue) -> None:
    await _ensure_enrollment(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id, cadence_id=event.cadence_id)
    await bump_step(session, tenant=envelope.tenant, cadence_id=event.cadence_id, step_index=event.step_index, metrics=["due"])


async def on_message_sent(session: AsyncSession, *, envelope: Envelope, event: MessageSent) -> None:
    """Count a performed step; an email also becomes the step a reply without `step_index` answers."""
    await _ensure_enrollment(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id, cadence_id=event.cadence_id)
    await bump_step(session, tenant=envelope.tenant, cadence_id=event.cadence_id, step_index=event.step_index, metrics=["sent"])
    if event.channel == Channel.email:
        await session.execute(
            update(enrollments)
            .where(enrollments.c.enrollment_id == event.enrollment_id, enrollments.c.tenant == envelope.tenant)
            .values(last_step_index=func.greatest(func.coalesce(enrollments.c.last_step_index, -1), event.step_index))
        )
    after_commit(session, prom.STEPS_SENT.labels(event.channel.value).inc)


async def on_message_failed(session: AsyncSession, *, envelope: Envelope, event: MessageFailed) -> None:
    await _ensure_enrollment(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id, cadence_id=event.cadence_id)
    await bump_step(
        session,
        tenant=envelope.tenant,
        cadence_id=event.cadence_id,
        step_index=event.step_index,
        metrics=["failed", failure_metric(event.reason_code)],
    )
    after_commit(session, prom.STEPS_FAILED.labels(event.channel.value, failure_reason_label(event.reason_code)).inc)


async def on_reply_classified(session: AsyncSession, *, envelope: Envelope, event: ReplyClassified) -> None:
    """Count a reply on the step it answers; a new label for the same reply (a correction) moves the counts.

    The step is the event's `step_index`, else the enrollment's last sent email. Human replies are
    every label but MACHINE_LABELS: bounces, auto-replies and out-of-office never count as replies.
    """
    tenant = envelope.tenant
    enrollment = await _enrollment(session, tenant=tenant, enrollment_id=event.enrollment_id)
    if enrollment is None and event.cadence_id is not None:
        await _ensure_enrollment(session, tenant=tenant, enrollment_id=event.enrollment_id, cadence_id=event.cadence_id)
    previous = (
        await session.execute(select(replies).where(replies.c.reply_id == event.reply_id, replies.c.tenant == tenant).with_for_update())
    ).first()

    cadence_id = event.cadence_id or (previous.cadence_id if previous else None) or (enrollment.cadence_id if enrollment else None)
    step_index = event.step_index
    if step_index is None and previous is not None:
        step_index = previous.step_index
    if step_index is None and enrollment is not None:
        step_index = enrollment.last_step_index

    if previous is not None:
        if previous.label == event.label and previous.cadence_id == cadence_id and previous.step_index == step_index:
            return  # the same classification again
        if previous.cadence_id is not None and previous.step_index is not None:
            await bump_step(
                session,
                tenant=tenant,
                cadence_id=previous.cadence_id,
                step_index=previous.step_index,
                metrics=reply_metrics(previous.label),
                by=-1,
            )
    if cadence_id is not None and step_index is not None:
        await bump_step(session, tenant=tenant, cadence_id=cadence_id, step_index=step_index, metrics=reply_metrics(event.label))
    else:
        log.warning(
            "reply not attributed to a step", event_id=envelope.id, reply_id=str(event.reply_id), cadence_known=cadence_id is not None
        )

    values = {
        "enrollment_id": event.enrollment_id,
        "cadence_id": cadence_id,
        "step_index": step_index,
        "label": event.label,
        "received_at": event.received_at,
    }
    stmt = pg_insert(replies).values(reply_id=event.reply_id, tenant=tenant, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[replies.c.reply_id], set_=values, where=replies.c.tenant == tenant))
    if previous is None:
        after_commit(session, prom.REPLIES.labels(reply_label(event.label)).inc)


async def on_engagement_received(session: AsyncSession, *, envelope: Envelope, event: EngagementReceived) -> None:
    """Count an open (human or machine), click or other signal on its step.

    The step is the event's `step_index`; opens and clicks without one go to the last sent email.
    A signal with no step is counted on the cadence instead.
    """
    if event.kind == "open":
        after_commit(session, prom.OPENS.labels(classify_open(event.user_agent)).inc)
    row = await _enrollment_of(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id, email=event.prospect_email)
    if row is None:
        log.warning("unattributed event", type=envelope.type, event_id=envelope.id, kind=event.kind, why="unknown enrollment")
        return
    metric = engagement_metric(event.kind, event.user_agent)
    step_index = event.step_index
    if step_index is None and event.kind in ("open", "click"):
        step_index = row.last_step_index
    if step_index is None:
        await bump_cadence(session, tenant=envelope.tenant, cadence_id=row.cadence_id, metric=metric)
    else:
        await bump_step(session, tenant=envelope.tenant, cadence_id=row.cadence_id, step_index=step_index, metrics=[metric])


async def on_meeting_booked(session: AsyncSession, *, envelope: Envelope, event: MeetingBooked) -> None:
    """Count a booked meeting on the cadence of the enrollment it names (or the prospect's current one)."""
    row = await _enrollment_of(session, tenant=envelope.tenant, enrollment_id=event.enrollment_id, email=event.prospect_email)
    if row is None:
        log.warning("unattributed event", type=envelope.type, event_id=envelope.id, why="unknown enrollment")
        return
    await bump_cadence(session, tenant=envelope.tenant, cadence_id=row.cadence_id, metric="meetings_booked")


# --- reading ------------------------------------------------------------------------------------


async def _counts(session: AsyncSession, *, tenant: str, cadence_ids: Sequence[UUID]) -> tuple[dict, dict, dict]:
    """Step counters {(cadence_id, index): {metric: n}}, cadence counters {cadence_id: {metric: n}} and
    distinct replying enrollments {cadence_id: (human, positive)} of some cadence versions."""
    steps: dict[tuple[UUID, int], dict[str, int]] = defaultdict(dict)
    for r in (
        await session.execute(
            select(step_counters.c.cadence_id, step_counters.c.step_index, step_counters.c.metric, step_counters.c.value).where(
                step_counters.c.tenant == tenant, step_counters.c.cadence_id.in_(cadence_ids)
            )
        )
    ).all():
        steps[(r.cadence_id, r.step_index)][r.metric] = r.value
    per_cadence: dict[UUID, dict[str, int]] = defaultdict(dict)
    for r in (
        await session.execute(
            select(cadence_counters.c.cadence_id, cadence_counters.c.metric, cadence_counters.c.value).where(
                cadence_counters.c.tenant == tenant, cadence_counters.c.cadence_id.in_(cadence_ids)
            )
        )
    ).all():
        per_cadence[r.cadence_id][r.metric] = r.value
    human = replies.c.label.not_in(sorted(MACHINE_LABELS))
    replied: dict[UUID, tuple[int, int]] = {}
    for r in (
        await session.execute(
            select(
                replies.c.cadence_id,
                func.count(func.distinct(replies.c.enrollment_id)).filter(human).label("human"),
                func.count(func.distinct(replies.c.enrollment_id)).filter(replies.c.label == "positive").label("positive"),
            )
            .where(replies.c.tenant == tenant, replies.c.cadence_id.in_(cadence_ids))
            .group_by(replies.c.cadence_id)
        )
    ).all():
        replied[r.cadence_id] = (r.human, r.positive)
    return steps, per_cadence, replied


def _cadence_line(*, key: str, rows: Sequence[Any], per_cadence: dict, replied: dict, totals: dict[str, int], benchmark: float) -> dict:
    """The cadence part of a report: counts summed over `rows` (versions), exits by reason, rates."""
    summed: dict[str, int] = defaultdict(int)
    for row in rows:
        for metric, value in per_cadence.get(row.cadence_id, {}).items():
            summed[metric] += value
    human = sum(replied.get(row.cadence_id, (0, 0))[0] for row in rows)
    positive = sum(replied.get(row.cadence_id, (0, 0))[1] for row in rows)
    exits = {reason.value: summed.get(exit_metric(reason), 0) for reason in ExitReason}
    enrolled = summed.get("enrolled", 0)
    extra = {m: v for m, v in summed.items() if not m.startswith("exit:") and m not in ("enrolled", "meetings_booked", "handoffs")}
    return {
        "key": key,
        "name": rows[-1].name,
        "versions": [row.version for row in rows],
        "enrolled": enrolled,
        "active": max(0, enrolled - sum(exits.values())),
        "replied": human,
        "replied_positive": positive,
        "meetings_booked": summed.get("meetings_booked", 0),
        "handoffs": summed.get("handoffs", 0),
        "exits_by_reason": exits,
        "totals": totals,
        "other": dict(sorted(extra.items())),
        **cadence_rates(enrolled=enrolled, replied=human, replied_positive=positive, benchmark=benchmark),
    }


def _step_lines(rows: Sequence[Any], steps: dict) -> list[dict]:
    """One line per step id, summed over the versions in `rows` (newest version's order and channel first)."""
    where: dict[tuple[UUID, int], dict] = {}
    order: list[str] = []
    shape: dict[str, dict] = {}
    for row in reversed(rows):  # newest first: its index and channel win
        for step in row.steps:
            where[(row.cadence_id, step["index"])] = step
            if step["id"] not in shape:
                shape[step["id"]] = {"index": step["index"], "id": step["id"], "channel": step["channel"]}
                order.append(step["id"])
    lines: dict[str, dict[str, int]] = {step_id: defaultdict(int) for step_id in order}
    for (cadence_id, index), counts in steps.items():
        step = where.get((cadence_id, index))
        if step is None:  # counted before its definition arrived, or an index the definition lacks
            step_id = f"#{index}"
            if step_id not in shape:
                shape[step_id] = {"index": index, "id": step_id, "channel": None}
                order.append(step_id)
                lines[step_id] = defaultdict(int)
        else:
            step_id = step["id"]
        for metric, value in counts.items():
            lines[step_id][metric] += value
    result = []
    for step_id in order:
        counts = lines[step_id]
        line = dict(shape[step_id])
        line.update({metric: counts.get(metric, 0) for metric in STEP_METRICS})
        line["failed_by_reason"] = {m.removeprefix("failed:"): v for m, v in sorted(counts.items()) if m.startswith("failed:")}
        line.update(step_rates(counts))
        result.append(line)
    return result


def _totals(step_lines: Sequence[dict]) -> dict[str, int]:
    return {metric: sum(line[metric] for line in step_lines) for metric in STEP_METRICS}


async def cadence_metrics(
    session: AsyncSession,
    *,
    tenant: str,
    key: str,
    version: int | None = None,
    benchmark: float = REPLY_RATE_BENCHMARK,
) -> dict:
    """A cadence's report: every version of `key` summed (or one `version`), then each step."""
    query = select(cadences).where(cadences.c.tenant == tenant, cadences.c.key == key).order_by(cadences.c.version)
    if version is not None:
        query = query.where(cadences.c.version == version)
    rows = (await session.execute(query)).all()
    if not rows:
        raise NotFound("cadence", key if version is None else f"{key} version {version}")
    steps, per_cadence, replied = await _counts(session, tenant=tenant, cadence_ids=[r.cadence_id for r in rows])
    step_lines = _step_lines(rows, steps)
    cadence = _cadence_line(key=key, rows=rows, per_cadence=per_cadence, replied=replied, totals=_totals(step_lines), benchmark=benchmark)
    return {"cadence": cadence, "steps": step_lines}


async def summary(session: AsyncSession, *, tenant: str, benchmark: float = REPLY_RATE_BENCHMARK) -> list[dict]:
    """One line per cadence key of the tenant, all versions summed."""
    rows = (await session.execute(select(cadences).where(cadences.c.tenant == tenant).order_by(cadences.c.key, cadences.c.version))).all()
    if not rows:
        return []
    steps, per_cadence, replied = await _counts(session, tenant=tenant, cadence_ids=[r.cadence_id for r in rows])
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    result = []
    for key, versions in by_key.items():
        ids = {r.cadence_id for r in versions}
        totals = _totals(_step_lines(versions, {k: v for k, v in steps.items() if k[0] in ids}))
        line = _cadence_line(key=key, rows=versions, per_cadence=per_cadence, replied=replied, totals=totals, benchmark=benchmark)
        result.append(
            {
                "key": key,
                "name": line["name"],
                "latest_version": line["versions"][-1],
                "versions": line["versions"],
                "enrolled": line["enrolled"],
                "active": line["active"],
                "sent": totals["sent"],
                "failed": totals["failed"],
                "replies": totals["replies"],
                "replied": line["replied"],
                "replied_positive": line["replied_positive"],
                "bounces_hard": totals["bounces_hard"],
                "meetings_booked": line["meetings_booked"],
                "handoffs": line["handoffs"],
                "reply_rate": line["reply_rate"],
                "positive_reply_rate": line["positive_reply_rate"],
                "below_benchmark": line["below_benchmark"],
            }
        )
    return result
