"""The consumer runner: decode, dispatch to one handler per event type, then ack, retry or dead-letter.

Every outcome is decided here, from exception types, so handlers stay small:
- success, duplicate (inbox) or an event type this consumer does not handle -> ack;
- `PoisonMessage` (bad JSON, bad envelope, bad payload) -> `<topic>.dlq` with the reason;
- anything else (`RetryableError`, database or broker trouble) -> retry with exponential backoff,
  then dead-letter after `max_attempts`.
Offsets are committed only after the effect is committed (or the dead letter is acknowledged).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from prometheus_client import Counter, Histogram
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cadenza_shared import envelope as env_codec
from cadenza_shared import topics as topic_names
from cadenza_shared.db import inbox
from cadenza_shared.envelope import Envelope, Event
from cadenza_shared.errors import InvalidInput, NotFound, PoisonMessage
from cadenza_shared.kafka.producer import KafkaPublisher

log = structlog.get_logger(__name__)

CONSUMED = Counter("cadenza_events_consumed_total", "Events consumed, by outcome", ["service", "topic", "outcome"])
HANDLE_SECONDS = Histogram(
    "cadenza_event_handle_seconds",
    "Time to apply one event",
    ["service", "topic"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

#: A handler applies one event inside the runner's transaction (the inbox row is in it too).
TxHandler = Callable[[Envelope, Event, AsyncSession], Awaitable[None]]
#: A handler that manages its own transactions (e.g. dispatch: claim, send, record).
RawHandler = Callable[[Envelope, Event], Awaitable[None]]


@dataclass
class Route:
    """Which handler applies an event type, and whether the runner wraps it in a transaction."""

    handler: TxHandler | RawHandler
    transactional: bool = True
    #: called once retries are exhausted, before the dead letter: lets a service close the
    #: business loop (e.g. publish a failure so a cadence does not wait forever)
    on_give_up: Callable[[Envelope, Event, str], Awaitable[None]] | None = None


@dataclass
class ConsumerRunner:
    """One consumer group over some topics, with one route per event type."""

    service: str
    name: str
    topics: list[str]
    routes: dict[str, Route]
    bootstrap: str
    session_factory: async_sessionmaker[AsyncSession]
    inbox_table: Table
    publisher: KafkaPublisher
    topic_prefix: str = ""
    max_attempts: int = 5
    key_concurrency: int = 16
    base_backoff: float = 0.2
    after_commit: Callable[[], None] | None = None
    assigned: bool = False
    _consumer: AIOKafkaConsumer | None = field(default=None, repr=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def group_id(self) -> str:
        return f"{self.topic_prefix}cadenza-{self.service}-{self.name}"

    async def start(self) -> None:
        """Connect and subscribe (earliest offset for a new group: nothing published is skipped)."""
        self._consumer = AIOKafkaConsumer(
            *[self.topic_prefix + t for t in self.topics],
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            session_timeout_ms=20000,
            heartbeat_interval_ms=3000,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def run(self) -> None:
        """Poll; apply each partition's records in order; commit offsets only after their effects are committed."""
        assert self._consumer is not None, "start() first"
        consumer = self._consumer
        while not self._stopping.is_set():
            try:
                batch = await consumer.getmany(timeout_ms=500)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("poll failed", service=self.service, consumer=self.name, error=str(exc))
                await asyncio.sleep(1)
                continue
            self.assigned = bool(consumer.assignment())
            if not batch:
                continue
            # partitions are independent (one enrollment's events share one partition): drain them
            # concurrently, each in order, then commit what each settled in one call
            partitions = list(batch.items())
            settled = await asyncio.gather(*(self._drain(consumer, tp, records) for tp, records in partitions))
            offsets = {tp: offset for (tp, _), offset in zip(partitions, settled, strict=True) if offset is not None}
            if offsets:
                try:
                    await consumer.commit(offsets)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # e.g. a rebalance: the new owner re-reads, the inbox drops repeats
                    log.warning("offset commit failed", service=self.service, consumer=self.name, error=repr(exc))
            if self.after_commit:
                self.after_commit()

    async def _drain(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord]) -> int | None:
        """Apply one partition's records, each key's in order and different keys concurrently.

        Returns the next offset to commit: everything before it is settled (None if nothing is).
        A record that could not be settled (e.g. the dead-letter publish failed) is read again;
        repeats of records after it are dropped by the inbox.
        """
        groups: dict[bytes | None, list[ConsumerRecord]] = {}
        for record in records:
            groups.setdefault(record.key, []).append(record)
        limit = asyncio.Semaphore(self.key_concurrency)

        async def apply_in_order(group: list[ConsumerRecord]) -> int | None:
            async with limit:
                for record in group:
                    if self._stopping.is_set():
                        return record.offset
                    try:
                        await self.process(record)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        log.warning(
                            "record not settled, will re-read it",
                            service=self.service,
                            consumer=self.name,
                            topic=record.topic,
                            partition=record.partition,
                            offset=record.offset,
                            error=repr(exc),
                        )
                        return record.offset
            return None

        unsettled = [o for o in await asyncio.gather(*(apply_in_order(g) for g in groups.values())) if o is not None]
        if not unsettled:
            return records[-1].offset + 1
        first = min(unsettled)
        if not self._stopping.is_set():
            await asyncio.sleep(1)
            try:
                consumer.seek(tp, first)
            except Exception:  # the partition was revoked: its new owner re-reads it
                pass
        return first if first > records[0].offset else None

    def logical_topic(self, physical: str) -> str:
        return physical[len(self.topic_prefix) :] if physical.startswith(self.topic_prefix) else physical

    async def process(self, record: ConsumerRecord) -> str:
        """Apply one record; return the outcome (handled, duplicate, ignored, dead_lettered)."""
        topic = self.logical_topic(record.topic)
        started = time.perf_counter()
        try:
            envelope = env_codec.decode(record.value)
            route = self.routes.get(envelope.type)
            if route is None:
                outcome = "ignored"
            else:
                event = env_codec.payload(envelope)
                outcome = await self._apply_with_retries(route, envelope, event, record)
        except PoisonMessage as exc:
            await self._dead_letter(record, reason=exc.reason, attempts=1)
            outcome = "dead_lettered"
        CONSUMED.labels(self.service, topic, outcome).inc()
        HANDLE_SECONDS.labels(self.service, topic).observe(time.perf_counter() - started)
        return outcome

    async def _apply_with_retries(self, route: Route, envelope: Envelope, event: Event, record: ConsumerRecord) -> str:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._apply(route, envelope, event)
            except (PoisonMessage, InvalidInput, NotFound) as exc:
                reason = exc.reason if isinstance(exc, (PoisonMessage, InvalidInput)) else str(exc)
                if isinstance(exc, InvalidInput):
                    reason = f"{exc.field}: {exc.reason}"
                await self._dead_letter(record, reason=reason, attempts=attempt)
                return "dead_lettered"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt >= self.max_attempts:
                    reason = f"gave up after {attempt} attempts: {exc!r}"
                    if route.on_give_up is not None:
                        try:
                            await route.on_give_up(envelope, event, reason)
                        except Exception as hook_error:  # the dead letter still records the event
                            log.error("give-up hook failed", service=self.service, consumer=self.name, error=repr(hook_error))
                    await self._dead_letter(record, reason=reason, attempts=attempt)
                    return "dead_lettered"
                delay = min(self.base_backoff * 2 ** (attempt - 1), 10.0)
                log.warning(
                    "handler failed, will retry",
                    service=self.service,
                    consumer=self.name,
                    type=envelope.type,
                    event_id=envelope.id,
                    attempt=attempt,
                    delay=delay,
                    error=repr(exc),
                )
                await asyncio.sleep(delay)

    async def _apply(self, route: Route, envelope: Envelope, event: Event) -> str:
        consumer_name = f"{self.service}.{self.name}"
        structlog.contextvars.bind_contextvars(correlationid=envelope.correlationid or envelope.id)
        try:
            if not route.transactional:
                await route.handler(envelope, event)  # type: ignore[call-arg]
                return "handled"
            async with self.session_factory() as session, session.begin():
                if not await inbox.claim(session, self.inbox_table, consumer=consumer_name, event_id=envelope.id):
                    return "duplicate"
                await route.handler(envelope, event, session)  # type: ignore[call-arg]
            return "handled"
        finally:
            structlog.contextvars.unbind_contextvars("correlationid")

    async def _dead_letter(self, record: ConsumerRecord, *, reason: str, attempts: int) -> None:
        topic = self.logical_topic(record.topic)
        log.error(
            "dead-lettering event",
            service=self.service,
            consumer=self.name,
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )
        headers = [
            ("dlq.reason", reason.encode()[:2000]),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.consumer", f"{self.service}.{self.name}".encode()),
            ("dlq.topic", topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
        ]
        key = record.key.decode(errors="replace") if record.key is not None else None
        await self.publisher.send_and_wait(topic_names.dead_letter(topic), record.value or b"", key=key, headers=headers)
