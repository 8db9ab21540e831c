"""Transactional outbox: write events with the state change, publish them afterwards.

`Outbox.add` only inserts a row in the caller's transaction; `OutboxRelay` reads unpublished rows
in id order, sends them to Kafka, and marks them published. A crash between send and mark
re-sends the event with the same id: consumers drop it through their inbox.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cadenza_shared.clock import Clock
from cadenza_shared.envelope import MAX_EVENT_BYTES, Envelope, Event, wrap
from cadenza_shared.errors import InvalidInput
from cadenza_shared.kafka.producer import KafkaPublisher

log = structlog.get_logger(__name__)

RELAYED = Counter("cadenza_outbox_relayed_total", "Events published from the outbox", ["service"])
PENDING = Gauge("cadenza_outbox_pending", "Unpublished outbox rows seen by the last relay pass", ["service"])


class Outbox:
    """Adds events to the service's outbox table inside the caller's transaction."""

    def __init__(self, *, table: Table, source: str, clock: Clock) -> None:
        self.table = table
        self.source = source
        self.clock = clock

    async def add(
        self,
        session: AsyncSession,
        event: Event,
        *,
        tenant: str,
        cause: Envelope | None = None,
        correlation_id: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """Insert `event` (in its envelope) into the outbox; it is published after commit."""
        envelope = wrap(
            event,
            tenant=tenant,
            source=self.source,
            time=self.clock.now(),
            correlation_id=correlation_id or (cause.correlationid or cause.id if cause else None),
            causation_id=cause.id if cause else None,
            event_id=event_id,
        )
        value = envelope.encode()
        if len(value) > MAX_EVENT_BYTES:
            # refuse it here, inside the caller's transaction: a record the broker rejects would
            # otherwise sit at the head of the outbox and hold back every later event
            raise InvalidInput("event", f"{event.TYPE} would be {len(value)} bytes, over the {MAX_EVENT_BYTES} byte limit")
        await session.execute(
            insert(self.table).values(
                event_id=envelope.id,
                event_type=envelope.type,
                topic=event.TOPIC,
                key=envelope.subject,
                value=value,
            )
        )
        return envelope

    async def add_many(self, session: AsyncSession, events: list[tuple[Event, str]], *, tenant: str) -> None:
        """Insert many (event, correlation id) pairs in one statement (bulk imports)."""
        rows = []
        for event, correlation_id in events:
            envelope = wrap(event, tenant=tenant, source=self.source, time=self.clock.now(), correlation_id=correlation_id)
            value = envelope.encode()
            if len(value) > MAX_EVENT_BYTES:
                raise InvalidInput("event", f"{event.TYPE} would be {len(value)} bytes, over the {MAX_EVENT_BYTES} byte limit")
            rows.append(
                {"event_id": envelope.id, "event_type": envelope.type, "topic": event.TOPIC, "key": envelope.subject, "value": value}
            )
        if rows:
            await session.execute(insert(self.table), rows)


class OutboxRelay:
    """Publishes outbox rows in order; one relay at a time per schema (advisory lock)."""

    def __init__(
        self,
        *,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        table: Table,
        publisher: KafkaPublisher,
        batch_size: int = 500,
        idle_seconds: float = 0.1,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.service = service
        self.session_factory = session_factory
        self.table = table
        self.publisher = publisher
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.wake = wake or asyncio.Event()
        self.lock_key = zlib.crc32(f"cadenza-outbox-{service}".encode())
        self._stopping = asyncio.Event()

    async def relay_once(self) -> int:
        """Publish one batch; return how many rows were published."""
        t = self.table
        async with self.session_factory() as session, session.begin():
            locked = await session.scalar(select(func.pg_try_advisory_xact_lock(self.lock_key)))
            if not locked:
                return 0
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.value).where(t.c.published_at.is_(None)).order_by(t.c.id).limit(self.batch_size)
                )
            ).all()
            if not rows:
                PENDING.labels(self.service).set(0)
                return 0
            futures = [await self.publisher.send(r.topic, r.value, key=r.key) for r in rows]
            await asyncio.gather(*futures)
            await session.execute(update(t).where(t.c.id.in_([r.id for r in rows])).values(published_at=datetime.now(UTC)))
        RELAYED.labels(self.service).inc(len(rows))
        if len(rows) < self.batch_size:
            PENDING.labels(self.service).set(0)
        else:  # more are waiting: count them (cheap, on the partial index)
            async with self.session_factory() as session:
                PENDING.labels(self.service).set(
                    await session.scalar(select(func.count()).select_from(t).where(t.c.published_at.is_(None))) or 0
                )
        return len(rows)

    async def run(self) -> None:
        """Relay until stopped; failures (broker or database down) back off and retry."""
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                published = await self.relay_once()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the relay must outlive broker/database outages
                log.warning("outbox relay failed, retrying", service=self.service, error=str(exc), backoff=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published == 0:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=self.idle_seconds)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        """Ask the loop to end after its current pass."""
        self._stopping.set()
        self.wake.set()
