"""Many outbox rows in one statement: `Outbox.add` for a batch of events.

Each row is exactly what `cadenza_shared.db.outbox.Outbox.add` writes (same envelope: source,
time from the outbox's clock, tenant, correlation id, event id), but the batch is inserted with a
single executemany instead of one INSERT per event. The timer poller writes up to
`CADENZA_SCHEDULING_BATCH_SIZE` events per transaction this way.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope, Event, wrap


async def add_many(session: AsyncSession, outbox: Outbox, events: Sequence[tuple[Event, str, str | None, str | None]]) -> list[Envelope]:
    """Insert `(event, tenant, correlation_id, event_id)` items into the outbox, in order."""
    if not events:
        return []
    envelopes = []
    rows = []
    for event, tenant, correlation_id, event_id in events:
        envelope = wrap(event, tenant=tenant, source=outbox.source, time=outbox.clock.now(), correlation_id=correlation_id, event_id=event_id)
        envelopes.append(envelope)
        rows.append({
            "event_id": envelope.id, "event_type": envelope.type, "topic": event.TOPIC, "key": envelope.subject,
            "value": envelope.encode(),
        })
    await session.execute(insert(outbox.table), rows)
    return envelopes
