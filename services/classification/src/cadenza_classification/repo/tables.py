"""Tables of the classification schema: the thread index of sent mail, and every reply with its label."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cadenza_shared.service import service_metadata

SCHEMA = "classification"
metadata = service_metadata(SCHEMA)

sent_messages = Table(
    "sent_messages",
    metadata,
    Column("message_id", Text, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("enrollment_id", UUID(as_uuid=True), nullable=False),
    Column("cadence_id", UUID(as_uuid=True), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("to_address", Text),
    Column("subject", Text),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)
Index("ix_sent_to_address", sent_messages.c.tenant, sent_messages.c.to_address, sent_messages.c.sent_at)

replies = Table(
    "replies",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("external_ref", Text),
    Column("message_id", Text),
    Column("from_address", Text),
    Column("subject", Text),
    Column("excerpt", Text),
    Column("raw", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("needs_review", Boolean, nullable=False),
    Column("labelled_by", Text, nullable=False),
    Column("return_date", Date),
    Column("follow_up_date", Date),
    Column("referral_email", Text),
    Column("referral_name", Text),
    Column("enrollment_id", UUID(as_uuid=True)),
    Column("cadence_id", UUID(as_uuid=True)),
    Column("step_index", Integer),
    Column("matched_by", Text),
    Column("thread_ids", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("match_address", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("uq_reply_message_id", replies.c.tenant, replies.c.message_id, unique=True, postgresql_where=replies.c.message_id.is_not(None))
Index("ix_replies_enrollment", replies.c.enrollment_id)
Index(
    "ix_replies_unmatched",
    replies.c.tenant,
    replies.c.match_address,
    postgresql_where=replies.c.enrollment_id.is_(None),
)
