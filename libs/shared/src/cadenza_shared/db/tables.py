"""The outbox and inbox tables every service has in its own schema."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Integer, LargeBinary, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: MetaData) -> Table:
    """Events written in the same transaction as the state change; the relay publishes them."""
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column("event_id", Text, nullable=False, unique=True),
        Column("event_type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
    )
    Index(
        "ix_outbox_unpublished",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
    )
    return table


def inbox_table(metadata: MetaData) -> Table:
    """Ids of events a consumer has already applied, written in the same transaction as the effect."""
    return Table(
        "processed_events",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def cadence_copy_table(metadata: MetaData) -> Table:
    """A service's own copy of every cadence version it needs, filled from `cadence.definitions`."""
    return Table(
        "cadences",
        metadata,
        Column("cadence_id", UUID(as_uuid=True), primary_key=True),
        Column("tenant", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("definition", JSONB, nullable=False),
    )
