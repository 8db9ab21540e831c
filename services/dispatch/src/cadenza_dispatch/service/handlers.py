"""Service layer of dispatch: one function per command or event.

Most run inside the caller's transaction. `on_step_due` is the exception: it commits before and
after talking to SMTP, so it takes the session factory. The delivery row (one per enrollment and
step, enforced by a unique constraint) is its claim: a step is never performed twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cadenza_dispatch.domain.tasks import check_outcome, task_expires_at, task_title
from cadenza_dispatch.domain.templates import RenderError, render_email, render_task_text
from cadenza_dispatch.domain.threading import PreviousEmail, compose_email, make_message_id, thread_for
from cadenza_dispatch.repo.tables import cadences, deliveries, enrollments, tasks
from cadenza_dispatch.service.outbound import (
    Mailer,
    PermanentSendError,
    PermitAsk,
    SendOutcomeUnknown,
    TransientSendError,
)
from cadenza_shared.clock import Clock
from cadenza_shared.contracts.cadence import TASK_CHANNELS, CadencePublished, CadenceSpec, Channel, StepSpec
from cadenza_shared.contracts.dispatch import MessageFailed, MessageSent
from cadenza_shared.contracts.enrollment import (
    EnrollmentExited,
    EnrollmentPaused,
    EnrollmentResumed,
    EnrollmentStarted,
    Prospect,
)
from cadenza_shared.contracts.scheduling import StepDue
from cadenza_shared.db.cadence_copies import store_cadence_copy
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope
from cadenza_shared.errors import Conflict, NotFound, PoisonMessage, RetryableError

#: Delivery states after which a repeated step.due does nothing.
SETTLED = frozenset({"sent", "failed", "skipped", "task_open", "unknown"})

log = structlog.get_logger(__name__)


# --- copies of other services' state -------------------------------------------------------------


async def on_cadence_published(session: AsyncSession, *, envelope: Envelope, event: CadencePublished) -> None:
    """Keep every cadence version: the templates and channels of its steps."""
    await store_cadence_copy(session, cadences, envelope=envelope, event=event)


async def on_enrollment_started(session: AsyncSession, *, envelope: Envelope, event: EnrollmentStarted) -> None:
    """Snapshot the prospect as enrolled: templates are rendered from it."""
    await session.execute(
        pg_insert(enrollments)
        .values(
            enrollment_id=event.enrollment_id,
            tenant=envelope.tenant,
            cadence_id=event.cadence_id,
            prospect=event.prospect.model_dump(mode="json"),
            status="active",
        )
        .on_conflict_do_nothing()
    )


async def on_enrollment_status(
    session: AsyncSession,
    outbox: Outbox,
    *,
    envelope: Envelope,
    event: EnrollmentPaused | EnrollmentResumed | EnrollmentExited,
    now: datetime,
) -> None:
    """Follow pause / resume / exit; a pause or an exit cancels the enrollment's open tasks."""
    row = (await session.execute(select(enrollments).where(enrollments.c.enrollment_id == event.enrollment_id).with_for_update())).first()
    if row is None:
        raise NotFound("enrollment", str(event.enrollment_id))
    if row.status == "exited":
        return
    status = "exited" if isinstance(event, EnrollmentExited) else "paused" if isinstance(event, EnrollmentPaused) else "active"
    await session.execute(update(enrollments).where(enrollments.c.enrollment_id == row.enrollment_id).values(status=status))
    if status != "active":
        await _cancel_open_tasks(session, outbox, enrollment_id=row.enrollment_id, why=f"enrollment {status}", now=now, cause=envelope)


async def _cancel_open_tasks(
    session: AsyncSession, outbox: Outbox, *, enrollment_id: UUID, why: str, now: datetime, cause: Envelope
) -> None:
    """Open tasks of a paused or exited enrollment are withdrawn; their steps end as failed (task_cancelled)."""
    rows = (
        await session.execute(select(tasks).where(tasks.c.enrollment_id == enrollment_id, tasks.c.status == "open").with_for_update())
    ).all()
    for row in rows:
        await session.execute(update(tasks).where(tasks.c.id == row.id).values(status="cancelled", completed_at=now))
        await _settle_delivery(session, row, status="skipped", error=f"task cancelled: {why}")
        await outbox.add(
            session, _failed(row, reason_code="task_cancelled", reason=f"task cancelled: {why}", now=now), tenant=row.tenant, cause=cause
        )


# --- performing a step ---------------------------------------------------------------------------


async def on_step_due(
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    envelope: Envelope,
    event: StepDue,
    clock: Clock,
    permit: PermitAsk,
    mailer: Mailer,
    from_address: str,
    mail_domain: str,
) -> str:
    """Perform one due step at most once; return what happened (sent, task_open, skipped, failed, unknown, duplicate).

    1. A delivery row for the step means it was handled: nothing is done again. A row still
       `sending` means a crash between SMTP and recording: it becomes `unknown`, never a resend.
    2. Enrollment grants a permit (its row lock orders this against exits); refused -> nothing is
       stored or sent (a resumed enrollment gets the step again from scheduling).
    3. Email: commit `sending`, talk to SMTP, commit `sent` with MessageSent. Tasks: commit the
       task with its `task_open` delivery; MessageSent follows when a rep completes it.
    """
    async with session_factory() as session, session.begin():
        existing = (
            await session.execute(
                select(deliveries)
                .where(deliveries.c.enrollment_id == event.enrollment_id, deliveries.c.step_index == event.step_index)
                .with_for_update()
            )
        ).first()
        if existing is not None:
            if existing.status in SETTLED:
                return "duplicate"
            reason = "an earlier attempt stopped between SMTP and recording the result; not sent again to avoid a duplicate"
            await session.execute(update(deliveries).where(deliveries.c.id == existing.id).values(status="unknown", error=reason))
            await outbox.add(
                session,
                _failed(existing, reason_code="delivery_outcome_unknown", reason=reason, now=clock.now(), cadence_id=event.cadence_id),
                tenant=existing.tenant,
                cause=envelope,
            )
            return "unknown"
        enrollment = (await session.execute(select(enrollments).where(enrollments.c.enrollment_id == event.enrollment_id))).first()
        if enrollment is None:
            raise RetryableError(f"enrollment {event.enrollment_id} is not known yet (enrollment.lifecycle not consumed)")
        cadence = (await session.execute(select(cadences).where(cadences.c.cadence_id == event.cadence_id))).first()
        if cadence is None:
            raise RetryableError(f"cadence {event.cadence_id} is not known yet (cadence.definitions not consumed)")
        previous = await _previous_email(session, enrollment_id=event.enrollment_id, before=event.step_index)
    if enrollment.tenant != envelope.tenant:
        raise PoisonMessage(f"tenant: {envelope.tenant!r} does not own enrollment {event.enrollment_id}")
    step = _step(cadence, event)
    prospect = Prospect.model_validate(enrollment.prospect)
    base = {
        "tenant": enrollment.tenant,
        "enrollment_id": event.enrollment_id,
        "step_index": event.step_index,
        "step_id": step.id,
        "channel": step.channel.value,
    }

    if enrollment.status == "exited":
        inserted = await _record(
            session_factory, outbox, values={**base, "status": "skipped", "error": "enrollment exited", "created_at": clock.now()}
        )
        return "skipped" if inserted else "duplicate"
    answer = await permit(enrollment_id=event.enrollment_id, step_index=event.step_index)
    if not answer.granted:
        # Nothing is stored: a paused enrollment gets this step again from scheduling when it resumes.
        log.info("send refused by enrollment", enrollment_id=str(event.enrollment_id), step=event.step_index, reason=answer.reason)
        return "skipped"

    if step.channel in TASK_CHANNELS:
        return await _open_task(
            session_factory, outbox, envelope=envelope, event=event, step=step, prospect=prospect, base=base, clock=clock
        )
    return await _send_email(
        session_factory,
        outbox,
        envelope=envelope,
        event=event,
        step=step,
        prospect=prospect,
        base=base,
        previous=previous,
        clock=clock,
        mailer=mailer,
        from_address=from_address,
        mail_domain=mail_domain,
    )


async def give_up_step(
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    envelope: Envelope,
    event: StepDue,
    reason: str,
    now: datetime,
) -> bool:
    """Retries are exhausted: record the step as failed and publish it, so the cadence moves on.

    Only when nothing was recorded for the step yet (a `sending` row is left to the unknown-outcome
    rule of the next attempt); returns whether a failure was recorded.
    """
    values = {
        "tenant": envelope.tenant,
        "enrollment_id": event.enrollment_id,
        "step_index": event.step_index,
        "step_id": event.step_id,
        "channel": event.channel.value,
        "status": "failed",
        "error": reason[:500],
        "created_at": now,
    }
    failure = MessageFailed(
        enrollment_id=event.enrollment_id,
        cadence_id=event.cadence_id,
        step_index=event.step_index,
        step_id=event.step_id,
        channel=event.channel,
        reason_code="gave_up",
        reason=f"not performed after repeated failures: {reason[:300]}",
        permanent=True,
        failed_at=now,
    )
    return await _record(session_factory, outbox, values=values, event=failure, cause=envelope)


def _step(cadence: Any, event: StepDue) -> StepSpec:
    spec = CadenceSpec.model_validate(cadence.definition)
    if not 0 <= event.step_index < len(spec.steps):
        raise PoisonMessage(f"data.step_index: cadence {cadence.key} v{cadence.version} has no step {event.step_index}")
    step = spec.steps[event.step_index]
    if step.id != event.step_id:
        raise PoisonMessage(
            f"data.step_id: step {event.step_index} of cadence {cadence.key} v{cadence.version} is {step.id!r}, not {event.step_id!r}"
        )
    return step


async def _previous_email(session: AsyncSession, *, enrollment_id: UUID, before: int) -> PreviousEmail | None:
    """The last email sent to this enrollment before step `before` (what a reply in thread answers)."""
    row = (
        await session.execute(
            select(deliveries.c.message_id, deliveries.c.subject, deliveries.c.references)
            .where(
                deliveries.c.enrollment_id == enrollment_id,
                deliveries.c.channel == Channel.email.value,
                deliveries.c.status == "sent",
                deliveries.c.step_index < before,
            )
            .order_by(deliveries.c.step_index.desc())
            .limit(1)
        )
    ).first()
    if row is None or not row.message_id:
        return None
    return PreviousEmail(message_id=row.message_id, subject=row.subject or "", references=list(row.references or []))


async def _record(
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    values: dict,
    event: MessageFailed | None = None,
    cause: Envelope | None = None,
) -> bool:
    """Insert a final delivery row (and its event) unless the step already has one; True if inserted."""
    async with session_factory() as session, session.begin():
        inserted = await _insert_delivery(session, values)
        if inserted and event is not None:
            await outbox.add(session, event, tenant=values["tenant"], cause=cause)
    return inserted


async def _insert_delivery(session: AsyncSession, values: dict) -> bool:
    row = (
        await session.execute(
            pg_insert(deliveries)
            .values({"id": uuid.uuid4(), **values})
            .on_conflict_do_nothing(constraint="uq_delivery_step")
            .returning(deliveries.c.id)
        )
    ).first()
    return row is not None


def _failed(row: Any, *, reason_code: str, reason: str, now: datetime, cadence_id: UUID | None = None) -> MessageFailed:
    return MessageFailed(
        enrollment_id=row.enrollment_id,
        cadence_id=cadence_id or row.cadence_id,
        step_index=row.step_index,
        step_id=row.step_id,
        channel=row.channel,
        reason_code=reason_code,
        reason=reason,
        permanent=True,
        failed_at=now,
    )


def _step_failed(event: StepDue, *, reason_code: str, reason: str, now: datetime) -> MessageFailed:
    return MessageFailed(
        enrollment_id=event.enrollment_id,
        cadence_id=event.cadence_id,
        step_index=event.step_index,
        step_id=event.step_id,
        channel=event.channel,
        reason_code=reason_code,
        reason=reason,
        permanent=True,
        failed_at=now,
    )


async def _send_email(
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    envelope: Envelope,
    event: StepDue,
    step: StepSpec,
    prospect: Prospect,
    base: dict,
    previous: PreviousEmail | None,
    clock: Clock,
    mailer: Mailer,
    from_address: str,
    mail_domain: str,
) -> str:
    now = clock.now()
    try:
        rendered = render_email(step, prospect, enrollment_id=event.enrollment_id)
        thread = thread_for(reply_in_thread=step.reply_in_thread, subject=rendered.subject, previous=previous)
    except RenderError as exc:
        values = {**base, "status": "failed", "error": exc.reason, "to_address": prospect.email, "created_at": now}
        inserted = await _record(
            session_factory,
            outbox,
            values=values,
            event=_step_failed(event, reason_code=exc.reason_code, reason=exc.reason, now=now),
            cause=envelope,
        )
        return "failed" if inserted else "duplicate"

    delivery_id = uuid.uuid4()
    message_id = make_message_id(delivery_id, mail_domain=mail_domain)
    name = " ".join(p for p in (prospect.first_name, prospect.last_name) if p) or None
    message = compose_email(
        from_address=from_address,
        to_address=prospect.email,
        to_name=name,
        thread=thread,
        body=rendered.body,
        message_id=message_id,
        date=now,
    )
    async with session_factory() as session, session.begin():
        claimed = await _insert_delivery(
            session,
            {
                **base,
                "id": delivery_id,
                "status": "sending",
                "message_id": message_id,
                "to_address": prospect.email,
                "subject": thread.subject,
                "variant": rendered.variant,
                "in_reply_to": thread.in_reply_to,
                "references": thread.references,
                "created_at": now,
            },
        )
    if not claimed:
        return "duplicate"

    try:
        await mailer.send(message, sender=parseaddr(from_address)[1], recipient=prospect.email)
    except TransientSendError as exc:  # nothing was delivered: free the step and let the runner retry
        async with session_factory() as session, session.begin():
            await session.execute(delete(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.status == "sending"))
        raise RetryableError(f"smtp: {exc.detail}") from exc
    except PermanentSendError as exc:
        reason = f"the mail server refused the message: {exc.detail}"
        failed = _step_failed(event, reason_code="smtp_rejected", reason=reason, now=clock.now())
        return await _finish(session_factory, outbox, delivery_id=delivery_id, status="failed", error=reason, event=failed, cause=envelope)
    except SendOutcomeUnknown as exc:
        reason = f"the connection broke while the message was handed over ({exc.detail}); not sent again to avoid a duplicate"
        failed = _step_failed(event, reason_code="delivery_outcome_unknown", reason=reason, now=clock.now())
        return await _finish(session_factory, outbox, delivery_id=delivery_id, status="unknown", error=reason, event=failed, cause=envelope)
    # any other error leaves the row `sending`: the retry then settles it as unknown, never as a resend

    sent_at = clock.now()
    sent = MessageSent(
        enrollment_id=event.enrollment_id,
        cadence_id=event.cadence_id,
        step_index=event.step_index,
        step_id=step.id,
        channel=step.channel,
        to_address=prospect.email,
        message_id=message_id,
        in_reply_to=thread.in_reply_to,
        references=thread.references,
        subject=thread.subject,
        variant=rendered.variant,
        sent_at=sent_at,
    )
    return await _finish(
        session_factory, outbox, delivery_id=delivery_id, status="sent", error=None, sent_at=sent_at, event=sent, cause=envelope
    )


async def _finish(
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    delivery_id: UUID,
    status: str,
    error: str | None,
    event: MessageSent | MessageFailed,
    cause: Envelope,
    sent_at: datetime | None = None,
) -> str:
    """Record the SMTP outcome of a `sending` delivery and publish it, in one transaction."""
    async with session_factory() as session, session.begin():
        tenant = (
            await session.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status=status, error=error, sent_at=sent_at)
                .returning(deliveries.c.tenant)
            )
        ).scalar_one()
        await outbox.add(session, event, tenant=tenant, cause=cause)
    return status


async def _open_task(
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    envelope: Envelope,
    event: StepDue,
    step: StepSpec,
    prospect: Prospect,
    base: dict,
    clock: Clock,
) -> str:
    now = clock.now()
    to_address = _task_address(step.channel, prospect)
    try:
        instructions, body = render_task_text(step, prospect)
    except RenderError as exc:
        values = {**base, "status": "failed", "error": exc.reason, "to_address": to_address, "created_at": now}
        inserted = await _record(
            session_factory,
            outbox,
            values=values,
            event=_step_failed(event, reason_code=exc.reason_code, reason=exc.reason, now=now),
            cause=envelope,
        )
        return "failed" if inserted else "duplicate"
    async with session_factory() as session, session.begin():
        if not await _insert_delivery(session, {**base, "status": "task_open", "to_address": to_address, "created_at": now}):
            return "duplicate"
        await session.execute(
            pg_insert(tasks).values(
                id=uuid.uuid4(),
                tenant=base["tenant"],
                enrollment_id=event.enrollment_id,
                cadence_id=event.cadence_id,
                step_index=event.step_index,
                step_id=step.id,
                channel=step.channel.value,
                title=task_title(step.channel, prospect),
                instructions=instructions,
                body=body,
                prospect=prospect.model_dump(mode="json"),
                status="open",
                created_at=now,
                expires_at=task_expires_at(now, days=step.task_expires_after_days, timezone=prospect.timezone),
            )
        )
    return "task_open"


def _task_address(channel: Channel, prospect: Prospect) -> str | None:
    """Where the rep reaches the prospect: the phone number or the LinkedIn profile, when known."""
    if channel in (Channel.phone, Channel.sms):
        return prospect.phone
    if channel.value.startswith("linkedin"):
        url = prospect.fields.get("linkedin_url")
        return str(url) if url else None
    return None


# --- tasks ---------------------------------------------------------------------------------------


async def _lock_task(session: AsyncSession, *, tenant: str, task_id: UUID) -> Any:
    row = (await session.execute(select(tasks).where(tasks.c.id == task_id, tasks.c.tenant == tenant).with_for_update())).first()
    if row is None:
        raise NotFound("task", str(task_id))
    if row.status != "open":
        raise Conflict(f"task is {row.status}, only an open task can change", field="status")
    return row


async def _settle_delivery(
    session: AsyncSession, task: Any, *, status: str, error: str | None = None, sent_at: datetime | None = None
) -> Any:
    return (
        await session.execute(
            update(deliveries)
            .where(deliveries.c.enrollment_id == task.enrollment_id, deliveries.c.step_index == task.step_index)
            .values(status=status, error=error, sent_at=sent_at)
            .returning(deliveries.c.to_address)
        )
    ).first()


async def complete_task(
    session: AsyncSession, outbox: Outbox, *, tenant: str, task_id: UUID, outcome: str, notes: str | None, now: datetime
) -> dict:
    """A rep did the task: the step counts as performed (MessageSent with the outcome)."""
    row = await _lock_task(session, tenant=tenant, task_id=task_id)
    outcome = check_outcome(Channel(row.channel), outcome)
    await session.execute(
        update(tasks).where(tasks.c.id == row.id).values(status="completed", completed_at=now, outcome=outcome, notes=notes)
    )
    delivery = await _settle_delivery(session, row, status="sent", sent_at=now)
    await outbox.add(
        session,
        MessageSent(
            enrollment_id=row.enrollment_id,
            cadence_id=row.cadence_id,
            step_index=row.step_index,
            step_id=row.step_id,
            channel=row.channel,
            to_address=delivery.to_address if delivery else None,
            task_id=row.id,
            outcome=outcome,
            sent_at=now,
        ),
        tenant=tenant,
        correlation_id=str(row.enrollment_id),
    )
    return await get_task(session, tenant=tenant, task_id=task_id)


async def skip_task(session: AsyncSession, outbox: Outbox, *, tenant: str, task_id: UUID, notes: str | None, now: datetime) -> dict:
    """A rep decided not to do the task: the step ends as failed (task_skipped) and the cadence moves on."""
    row = await _lock_task(session, tenant=tenant, task_id=task_id)
    await session.execute(
        update(tasks).where(tasks.c.id == row.id).values(status="cancelled", completed_at=now, outcome="skipped", notes=notes)
    )
    reason = "task skipped by a user" + (f": {notes}" if notes else "")
    await _settle_delivery(session, row, status="skipped", error=reason)
    await outbox.add(
        session, _failed(row, reason_code="task_skipped", reason=reason, now=now), tenant=tenant, correlation_id=str(row.enrollment_id)
    )
    return await get_task(session, tenant=tenant, task_id=task_id)


async def expire_tasks(session: AsyncSession, outbox: Outbox, *, now: datetime, limit: int = 500) -> int:
    """Open tasks past their deadline expire: MessageFailed(task_expired) so the cadence moves on."""
    rows = (
        await session.execute(
            select(tasks)
            .where(tasks.c.status == "open", tasks.c.expires_at <= now)
            .order_by(tasks.c.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        reason = f"task not completed before {row.expires_at.isoformat()}"
        await session.execute(update(tasks).where(tasks.c.id == row.id).values(status="expired", completed_at=now))
        await _settle_delivery(session, row, status="failed", error=reason)
        await outbox.add(
            session,
            _failed(row, reason_code="task_expired", reason=reason, now=now),
            tenant=row.tenant,
            correlation_id=str(row.enrollment_id),
        )
    return len(rows)


async def get_task(session: AsyncSession, *, tenant: str, task_id: UUID) -> dict:
    """One task of the tenant (404 for another tenant's id)."""
    row = (await session.execute(select(tasks).where(tasks.c.id == task_id, tasks.c.tenant == tenant))).first()
    if row is None:
        raise NotFound("task", str(task_id))
    return dict(row._mapping)


async def list_tasks(
    session: AsyncSession,
    *,
    tenant: str,
    status: str | None,
    channel: str | None,
    enrollment_id: UUID | None,
    limit: int,
    offset: int,
) -> list[dict]:
    """The tenant's tasks, oldest first, filtered by status, channel and enrollment."""
    query = select(tasks).where(tasks.c.tenant == tenant).order_by(tasks.c.created_at, tasks.c.id).limit(limit).offset(offset)
    if status:
        query = query.where(tasks.c.status == status)
    if channel:
        query = query.where(tasks.c.channel == channel)
    if enrollment_id:
        query = query.where(tasks.c.enrollment_id == enrollment_id)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


# --- what was sent -------------------------------------------------------------------------------


async def list_deliveries(session: AsyncSession, *, tenant: str, enrollment_id: UUID | None, limit: int, offset: int) -> list[dict]:
    """Every step dispatch handled for the tenant (or one enrollment), in step order."""
    query = select(deliveries).where(deliveries.c.tenant == tenant)
    if enrollment_id:
        query = query.where(deliveries.c.enrollment_id == enrollment_id).order_by(deliveries.c.step_index)
    else:
        query = query.order_by(deliveries.c.created_at, deliveries.c.step_index)
    return [dict(r._mapping) for r in (await session.execute(query.limit(limit).offset(offset))).all()]
