"""Many outbox rows in one statement: `Outbox.add` for a batch of events.

Each row is byte for byte what `cadenza_shared.db.outbox.Outbox.add` writes (same envelope:
source, time from the outbox's clock, tenant, correlation id, event id; the unit test compares
them), but:

* the whole batch is one `INSERT ... SELECT * FROM unnest($1, ..., $5)`: one statement and one
  execution whatever the batch size, instead of one INSERT per event;
* the envelope is `cadenza_shared.envelope.wrap`'s, so nothing about the event changes.

The timer poller writes up to `CADENZA_SCHEDULING_BATCH_SIZE` events per transaction this way.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import LargeBinary, Text, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import Envelope, Event, wrap

_COLUMNS = ("event_id", "event_type", "topic", "key", "value")


def envelope_of(event: Event, *, outbox: Outbox, tenant: str, correlation_id: str | None, event_id: str) -> Envelope:
    """The envelope `Outbox.add` builds (no causation: the poller has no cause)."""
    return wrap(event, tenant=tenant, source=outbox.source, time=outbox.clock.now(), correlation_id=correlation_id, event_id=event_id)


async def add_many(session: AsyncSession, outbox: Outbox, events: Sequence[tuple[Event, str, str | None, str]]) -> list[Envelope]:
    """Insert `(event, tenant, correlation_id, event_id)` items into the outbox, in order (ascending ids)."""
    if not events:
        return []
    envelopes = [envelope_of(e, outbox=outbox, tenant=t, correlation_id=c, event_id=i) for e, t, c, i in events]
    columns = {
        "event_id": [e.id for e in envelopes],
        "event_type": [e.type for e in envelopes],
        "topic": [event.TOPIC for event, *_ in events],
        "key": [e.subject for e in envelopes],
        "value": [e.encode() for e in envelopes],
    }
    rows = (
        func.unnest(*(bindparam(name, value, type_=ARRAY(LargeBinary if name == "value" else Text)) for name, value in columns.items()))
        .table_valued(*_COLUMNS, with_ordinality="n")
        .render_derived(name="batch")
    )
    table = outbox.table
    await session.execute(insert(table).from_select(list(_COLUMNS), select(*(rows.c[name] for name in _COLUMNS)).order_by(rows.c.n)))
    return envelopes
