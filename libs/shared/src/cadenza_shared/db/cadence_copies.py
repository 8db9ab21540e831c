"""Keep a service's copy of the cadence definitions (versions never change: insert once)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_shared.contracts.cadence import CadencePublished
from cadenza_shared.envelope import Envelope


async def store_cadence_copy(session: AsyncSession, table: Table, *, envelope: Envelope, event: CadencePublished) -> None:
    """Insert one published cadence version into `table` (a `cadence_copy_table`); repeats are ignored."""
    await session.execute(
        pg_insert(table)
        .values(
            cadence_id=event.cadence_id,
            tenant=envelope.tenant,
            key=event.key,
            version=event.version,
            definition=event.definition.model_dump(mode="json"),
        )
        .on_conflict_do_nothing()
    )
