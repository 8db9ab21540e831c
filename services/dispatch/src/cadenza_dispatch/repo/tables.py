"""Tables of the dispatch schema: cadence and prospect copies, one delivery per step, human tasks."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cadenza_shared.db.tables import cadence_copy_table
from cadenza_shared.service import service_metadata

SCHEMA = "dispatch"
metadata = service_metadata(SCHEMA)

cadences = cadence_copy_table(metadata)

enrollments = Table(
    "enrollments",
    metadata,
    Column("enrollment_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("cadence_id", UUID(as_uuid=True), nullable=False),
    Column("prospect", JSONB, nullable=False),  # the Prospect snapshot of EnrollmentStarted
    Column("status", Text, nullable=False),  # active | paused | exited
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("enrollment_id", UUID(as_uuid=True), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("step_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False),  # sending | sent | failed | skipped | task_open | unknown
    Column("message_id", Text),
    Column("to_address", Text),
    Column("subject", Text),
    Column("variant", Text),
    Column("in_reply_to", Text),
    Column("references", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # one delivery per step, ever: this is what makes "never the same step twice" hold
    UniqueConstraint("enrollment_id", "step_index", name="uq_delivery_step"),
)
Index("ix_deliveries_tenant_created", deliveries.c.tenant, deliveries.c.created_at)

tasks = Table(
    "tasks",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("enrollment_id", UUID(as_uuid=True), nullable=False),
    Column("cadence_id", UUID(as_uuid=True), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("step_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("instructions", Text),  # rendered
    Column("body", Text),  # rendered message to send by hand (linkedin_message, sms...), if the step has one
    Column("prospect", JSONB, nullable=False),
    Column("status", Text, nullable=False),  # open | completed | expired | cancelled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("outcome", Text),
    Column("notes", Text),
    UniqueConstraint("enrollment_id", "step_index", name="uq_task_step"),
)
Index("ix_tasks_tenant_status", tasks.c.tenant, tasks.c.status, tasks.c.created_at)
Index("ix_tasks_open_expires", tasks.c.expires_at, postgresql_where=tasks.c.status == "open")
