"""Tables of the scheduling schema: cadence copies, per-enrollment plans and durable timers."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cadenza_shared.db.tables import cadence_copy_table
from cadenza_shared.service import service_metadata

SCHEMA = "scheduling"
metadata = service_metadata(SCHEMA)

cadences = cadence_copy_table(metadata)

plans = Table(
    "plans",
    metadata,
    Column("enrollment_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("cadence_id", UUID(as_uuid=True), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("timezone_source", Text),  # prospect | region | country | phone | cadence_default (as enrollment chose it)
    Column("country", Text),
    Column("subdivision", Text),  # holidays subdivision code derived from the prospect's region, if any
    Column("status", Text, nullable=False),
    Column("anchor_at", DateTime(timezone=True), nullable=False),
    Column("paused_at", DateTime(timezone=True)),
    Column("next_step_index", Integer, nullable=False, server_default="0"),
    Column("last_step_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
)

timers = Table(
    "timers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("enrollment_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),  # step | end
    Column("step_index", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),  # pending | fired | cancelled
    Column("reasons", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("fired_at", DateTime(timezone=True)),
)
Index("ix_timers_pending_due", timers.c.due_at, postgresql_where=timers.c.status == "pending")
Index(
    "uq_timer_live",
    timers.c.enrollment_id,
    timers.c.kind,
    timers.c.step_index,
    unique=True,
    postgresql_where=timers.c.status == "pending",
)
Index("ix_timers_enrollment", timers.c.enrollment_id)

#: Dates a tenant never sends on, for every cadence and prospect (the cadence's own
#: `blackout_dates` are added to these).
blackout_dates = Table(
    "tenant_blackout_dates",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("reason", Text, nullable=False, server_default=""),
)
