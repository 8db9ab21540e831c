"""Tables of the metrics schema: cadence steps, enrollment attribution, replies and counters."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cadenza_shared.service import service_metadata

SCHEMA = "metrics"
metadata = service_metadata(SCHEMA)

#: Every cadence version seen on `cadence.definitions`; `steps` is a list of {index, id, channel}.
cadences = Table(
    "cadences",
    metadata,
    Column("cadence_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("steps", JSONB, nullable=False),
)
Index("ix_cadences_tenant_key", cadences.c.tenant, cadences.c.key, cadences.c.version)

#: What attribution needs to know of an enrollment. A row can be created by any event that names
#: the enrollment and its cadence (topics are not ordered among themselves); `started_at` is set
#: by EnrollmentStarted only, `exit_reason` by the first EnrollmentExited.
enrollments = Table(
    "enrollments",
    metadata,
    Column("enrollment_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("cadence_id", UUID(as_uuid=True), nullable=False),
    Column("prospect_key", Text, nullable=True, comment="sha256 of the lower-cased address, to attribute by email"),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("last_step_index", Integer, nullable=True, comment="the last step whose email was sent"),
    Column("exit_reason", Text, nullable=True),
    Column("exited_at", DateTime(timezone=True), nullable=True),
)
Index("ix_enrollments_prospect", enrollments.c.tenant, enrollments.c.prospect_key)

#: One row per classified reply, so a corrected label moves its counts instead of adding to them,
#: and so a cadence's distinct replying enrollments can be counted.
replies = Table(
    "replies",
    metadata,
    Column("reply_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("enrollment_id", UUID(as_uuid=True), nullable=False),
    Column("cadence_id", UUID(as_uuid=True), nullable=True),
    Column("step_index", Integer, nullable=True),
    Column("label", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("ix_replies_cadence", replies.c.tenant, replies.c.cadence_id)

#: Per-step counts: `value` only ever moves by INSERT ... ON CONFLICT DO UPDATE SET value = value + n.
step_counters = Table(
    "step_counters",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("cadence_id", UUID(as_uuid=True), primary_key=True),
    Column("step_index", Integer, primary_key=True),
    Column("metric", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: Per-cadence counts: enrolled, exit:<reason>, meetings_booked, handoffs, paused, resumed...
cadence_counters = Table(
    "cadence_counters",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("cadence_id", UUID(as_uuid=True), primary_key=True),
    Column("metric", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
)
