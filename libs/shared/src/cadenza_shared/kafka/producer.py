"""The one Kafka producer a service uses (outbox relay and dead-letter topic)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer


class KafkaPublisher:
    """aiokafka producer with `acks=all`; idempotent where the broker supports it."""

    def __init__(self, *, bootstrap: str, topic_prefix: str = "", idempotent: bool = True, client_id: str = "cadenza") -> None:
        self.topic_prefix = topic_prefix
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=idempotent,
            client_id=client_id,
            linger_ms=2,
            request_timeout_ms=15000,
        )
        self.started = False

    async def start(self) -> None:
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self._producer.stop()
            self.started = False

    async def send(self, topic: str, value: bytes, *, key: str | None, headers: list[tuple[str, bytes]] | None = None) -> asyncio.Future:
        """Queue one record on the logical `topic`; await the returned future for the broker's ack."""
        return await self._producer.send(
            self.topic_prefix + topic,
            value=value,
            key=key.encode() if key is not None else None,
            headers=headers,
        )

    async def send_and_wait(self, topic: str, value: bytes, *, key: str | None, headers: list[tuple[str, bytes]] | None = None) -> None:
        """Send one record and wait for the broker's ack."""
        await (await self.send(topic, value, key=key, headers=headers))
