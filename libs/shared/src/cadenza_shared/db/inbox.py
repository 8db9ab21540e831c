"""Inbox: remember processed event ids in the same transaction as the effect (idempotent consumers)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


async def claim(session: AsyncSession, table: Table, *, consumer: str, event_id: str) -> bool:
    """Record `event_id` for `consumer`; False if it was already processed (drop the duplicate).

    Runs first in the transaction, so a concurrent duplicate waits on the row lock and then sees it.
    """
    result = await session.execute(
        insert(table).values(consumer=consumer, event_id=event_id).on_conflict_do_nothing().returning(table.c.event_id)
    )
    return result.first() is not None
