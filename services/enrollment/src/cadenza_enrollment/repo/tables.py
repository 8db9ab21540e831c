"""Tables of the enrollment schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from cadenza_shared.service import service_metadata

SCHEMA = "enrollment"
metadata = service_metadata(SCHEMA)

cadences = Table(
    "cadences",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("definition", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "key", "version", name="uq_cadence_version"),
)

prospects = Table(
    "prospects",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("company", Text),
    Column("title", Text),
    Column("country", Text),
    Column("timezone", Text),
    Column("phone", Text),
    Column("account", Text),
    Column("fields", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "email", name="uq_prospect_email"),
)

enrollments = Table(
    "enrollments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("cadence_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.cadences.id"), nullable=False),
    Column("cadence_key", Text, nullable=False),
    Column("prospect_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.prospects.id"), nullable=False),
    Column("account", Text),
    Column("timezone", Text, nullable=False),
    Column("timezone_source", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("exit_reason", Text),
    Column("exit_detail", Text),
    Column("follow_up_on", Date),
    Column("paused_until", DateTime(timezone=True)),
    Column("steps_done", Integer, nullable=False, server_default="0"),
    Column("soft_bounces", Integer, nullable=False, server_default="0"),
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
)
Index(
    "uq_active_enrollment",
    enrollments.c.prospect_id,
    enrollments.c.cadence_key,
    unique=True,
    postgresql_where=enrollments.c.status.in_(["active", "paused"]),
)
Index("ix_enrollments_account", enrollments.c.tenant, enrollments.c.account)
Index("ix_enrollments_paused_until", enrollments.c.paused_until, postgresql_where=enrollments.c.status == "paused")

history = Table(
    "enrollment_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("enrollment_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.enrollments.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("email", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

send_permits = Table(
    "send_permits",
    metadata,
    Column("enrollment_id", UUID(as_uuid=True), primary_key=True),
    Column("step_index", Integer, primary_key=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)
