"""Service layer of classification: index what we sent, parse + classify + match each reply, relabel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_classification.domain.errors import MalformedMessage
from cadenza_classification.domain.parsing import ParsedMessage, thread_message_ids
from cadenza_classification.repo.tables import replies, sent_messages
from cadenza_classification.service.classifier import ReplyClassifier
from cadenza_shared.contracts.classification import LABELS, ReplyClassified
from cadenza_shared.contracts.dispatch import MessageSent
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope
from cadenza_shared.errors import InvalidInput, NotFound


async def index_sent(session: AsyncSession, outbox: Outbox, *, envelope: Envelope, event: MessageSent) -> int:
    """Remember the Message-ID of every email we sent; match replies that arrived before it was known.

    Returns how many waiting replies this email matched.
    """
    if not event.message_id:
        return 0
    message_id = _norm(event.message_id)
    to_address = (event.to_address or "").lower() or None
    await session.execute(
        pg_insert(sent_messages)
        .values(
            message_id=message_id,
            tenant=envelope.tenant,
            enrollment_id=event.enrollment_id,
            cadence_id=event.cadence_id,
            step_index=event.step_index,
            to_address=to_address,
            subject=event.subject,
            sent_at=event.sent_at,
        )
        .on_conflict_do_nothing()
    )
    waiting = (
        await session.execute(
            select(replies)
            .where(
                replies.c.tenant == envelope.tenant,
                replies.c.enrollment_id.is_(None),
                or_(
                    replies.c.thread_ids.contains([message_id]),
                    and_(replies.c.match_address == to_address, replies.c.received_at >= event.sent_at),
                ),
            )
            .with_for_update()
        )
    ).all()
    for reply in waiting:
        matched_by = "late_thread" if message_id in reply.thread_ids else "late_address"
        await session.execute(
            update(replies)
            .where(replies.c.id == reply.id)
            .values(
                enrollment_id=event.enrollment_id,
                cadence_id=event.cadence_id,
                step_index=event.step_index,
                matched_by=matched_by,
            )
        )
        row = (await session.execute(select(replies).where(replies.c.id == reply.id))).first()
        await outbox.add(
            session, _event(dict(row._mapping), corrected=False), tenant=envelope.tenant, correlation_id=str(event.enrollment_id)
        )
    return len(waiting)


def _pg_text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL: mail may (hostile or broken); store it as U+FFFD."""
    return value.replace("\x00", "\ufffd") if value else value


def _norm(message_id: str) -> str:
    value = message_id.strip()
    return value if value.startswith("<") else f"<{value}>"


async def _match(session: AsyncSession, *, tenant: str, msg: ParsedMessage) -> tuple[Any, str] | None:
    """Find our message this reply answers: thread headers first, then the sender's address."""
    for how, mid in _thread_candidates(msg):
        row = (
            await session.execute(select(sent_messages).where(sent_messages.c.message_id == mid, sent_messages.c.tenant == tenant))
        ).first()
        if row is not None:
            return row, how
    address = msg.dsn.failed_recipient if msg.dsn and msg.dsn.failed_recipient else msg.from_address
    if address:
        row = (
            await session.execute(
                select(sent_messages)
                .where(sent_messages.c.tenant == tenant, sent_messages.c.to_address == address.lower())
                .order_by(sent_messages.c.sent_at.desc())
                .limit(1)
            )
        ).first()
        if row is not None:
            return row, "bounced_recipient" if msg.dsn else "sender_address"
    return None


def _thread_candidates(msg: ParsedMessage) -> list[tuple[str, str]]:
    ids = thread_message_ids(msg)
    labelled = []
    for mid in ids:
        if mid in msg.in_reply_to:
            how = "in_reply_to"
        elif mid in msg.references:
            how = "references"
        else:
            how = "dsn_original"
        labelled.append((how, mid))
    return labelled


async def ingest(
    session: AsyncSession,
    outbox: Outbox,
    *,
    tenant: str,
    raw: bytes,
    source: str,
    received_at: datetime,
    external_ref: str | None = None,
    classifier: ReplyClassifier,
) -> dict:
    """Parse, classify and match one raw reply; publish reply.classified when it belongs to an enrollment.

    Parsing and classification run in a worker thread (``classifier.classify``); a
    MalformedMessage propagates for the edge to map (HTTP 422 / dead-letter topic).
    """
    msg, result = await classifier.classify(raw, now=received_at)
    if msg.message_id:
        existing = (
            await session.execute(select(replies).where(replies.c.tenant == tenant, replies.c.message_id == msg.message_id))
        ).first()
        if existing is not None:
            return {**_summary(existing), "duplicate": True}
    match = await _match(session, tenant=tenant, msg=msg)
    reply_id = uuid.uuid4()
    sent, matched_by = match if match else (None, None)
    values = dict(
        id=reply_id,
        tenant=tenant,
        source=source,
        external_ref=external_ref,
        message_id=msg.message_id,
        from_address=_pg_text(msg.from_address),
        subject=_pg_text(msg.subject[:500]),
        excerpt=_pg_text((msg.new_text or msg.text)[:1000]),
        raw=_pg_text(raw.decode("utf-8", errors="replace")),
        label=result.label.value,
        confidence=result.confidence,
        evidence=list(result.evidence),
        needs_review=result.needs_review,
        labelled_by=result.decided_by,
        return_date=result.return_date,
        follow_up_date=result.follow_up_date,
        referral_email=result.referral_email,
        referral_name=result.referral_name,
        enrollment_id=sent.enrollment_id if sent else None,
        cadence_id=sent.cadence_id if sent else None,
        step_index=sent.step_index if sent else None,
        matched_by=matched_by,
        received_at=received_at,
        thread_ids=list(thread_message_ids(msg)),
        match_address=((msg.dsn.failed_recipient if msg.dsn and msg.dsn.failed_recipient else msg.from_address) or "").lower() or None,
    )
    inserted = (await session.execute(pg_insert(replies).values(**values).on_conflict_do_nothing().returning(replies.c.id))).first()
    if inserted is None:  # the same message arrived concurrently
        existing = (
            await session.execute(select(replies).where(replies.c.tenant == tenant, replies.c.message_id == msg.message_id))
        ).first()
        return {**_summary(existing), "duplicate": True}
    if sent is not None:
        await outbox.add(session, _event(values, corrected=False), tenant=tenant, correlation_id=str(sent.enrollment_id))
    row = (await session.execute(select(replies).where(replies.c.id == reply_id))).first()
    return {**_summary(row), "duplicate": False}


def _event(values: dict, *, corrected: bool) -> ReplyClassified:
    return ReplyClassified(
        reply_id=values["id"],
        enrollment_id=values["enrollment_id"],
        cadence_id=values["cadence_id"],
        step_index=values["step_index"],
        prospect_email=values["from_address"],
        label=values["label"],
        confidence=values["confidence"],
        evidence=values["evidence"],
        needs_review=values["needs_review"],
        return_date=values["return_date"],
        follow_up_date=values["follow_up_date"],
        referral_email=values["referral_email"],
        referral_name=values["referral_name"],
        matched_by=values["matched_by"],
        excerpt=(values["excerpt"] or "")[:300],
        received_at=values["received_at"],
        corrected=corrected,
    )


def _summary(row: Any) -> dict:
    return {
        "reply_id": row.id,
        "label": row.label,
        "confidence": row.confidence,
        "needs_review": row.needs_review,
        "evidence": row.evidence,
        "return_date": row.return_date,
        "follow_up_date": row.follow_up_date,
        "referral_email": row.referral_email,
        "enrollment_id": row.enrollment_id,
        "step_index": row.step_index,
        "matched": row.enrollment_id is not None,
        "matched_by": row.matched_by,
        "from_address": row.from_address,
        "subject": row.subject,
        "labelled_by": row.labelled_by,
    }


async def list_replies(session: AsyncSession, *, tenant: str, label: str | None, needs_review: bool | None, limit: int) -> list[dict]:
    query = select(replies).where(replies.c.tenant == tenant).order_by(replies.c.received_at.desc()).limit(limit)
    if label:
        query = query.where(replies.c.label == label)
    if needs_review is not None:
        query = query.where(replies.c.needs_review == needs_review)
    return [_summary(r) for r in (await session.execute(query)).all()]


async def get_reply(session: AsyncSession, *, tenant: str, reply_id: UUID) -> dict:
    row = (await session.execute(select(replies).where(replies.c.id == reply_id, replies.c.tenant == tenant))).first()
    if row is None:
        raise NotFound("reply", str(reply_id))
    return {**_summary(row), "excerpt": row.excerpt, "received_at": row.received_at, "source": row.source}


async def relabel(
    session: AsyncSession,
    outbox: Outbox,
    *,
    tenant: str,
    reply_id: UUID,
    label: str,
    classifier: ReplyClassifier | None = None,
) -> dict:
    """A human corrects a label: stored as training data, and the corrected decision is published.

    The label's fields are found again for the new label, the way the rules find them
    (``out_of_office``: return date or the default pause; ``negative``: follow-up date;
    ``referral`` / ``wrong_person`` / ``auto_reply``: the contact named); the others are cleared.
    Relabelled replies (``labelled_by = 'human'``) are exported as training data by
    ``python -m cadenza_classification.model.export_relabels``.
    """
    if label not in LABELS:
        raise InvalidInput("label", f"unknown label {label!r}; one of {', '.join(LABELS)}")
    row = (await session.execute(select(replies).where(replies.c.id == reply_id, replies.c.tenant == tenant).with_for_update())).first()
    if row is None:
        raise NotFound("reply", str(reply_id))
    fields: dict[str, Any] = {"return_date": None, "follow_up_date": None, "referral_email": None, "referral_name": None}
    if classifier is not None:
        try:
            fields.update(classifier.details(row.raw.encode("utf-8", errors="surrogateescape"), label, now=row.received_at))
        except (MalformedMessage, ValueError):
            fields = {}  # cannot be parsed again: keep the stored fields
    await session.execute(
        update(replies)
        .where(replies.c.id == reply_id)
        .values(
            label=label,
            confidence=1.0,
            needs_review=False,
            labelled_by="human",
            evidence=[*row.evidence, f"relabelled by a human from {row.label}"],
            **fields,
        )
    )
    row = (await session.execute(select(replies).where(replies.c.id == reply_id))).first()
    if row.enrollment_id is not None:
        await outbox.add(session, _event(dict(row._mapping), corrected=True), tenant=tenant, correlation_id=str(row.enrollment_id))
    return _summary(row)
