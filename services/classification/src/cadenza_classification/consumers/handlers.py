"""Kafka edge of classification: the thread index and replies from other systems."""

from __future__ import annotations

from cadenza_classification.domain.errors import MalformedMessage
from cadenza_classification.service import handlers as svc
from cadenza_classification.service.classifier import ReplyClassifier
from cadenza_classification.settings import ClassificationSettings
from cadenza_shared import topics
from cadenza_shared.contracts.dispatch import MessageSent
from cadenza_shared.contracts.external import ReplyReceived
from cadenza_shared.errors import PoisonMessage
from cadenza_shared.kafka.consumer import Route
from cadenza_shared.service import ServiceRuntime


def register(runtime: ServiceRuntime, settings: ClassificationSettings, classifier: ReplyClassifier | None = None) -> None:
    """Index message.sent; classify reply.received (a message that cannot be parsed is dead-lettered)."""
    classifier = classifier or ReplyClassifier.from_settings(settings)

    async def sent(envelope, event, session) -> None:
        await svc.index_sent(session, runtime.outbox, envelope=envelope, event=event)

    async def received(envelope, event: ReplyReceived, session) -> None:
        try:
            await svc.ingest(
                session,
                runtime.outbox,
                tenant=envelope.tenant,
                raw=event.raw_message.encode("utf-8", errors="surrogateescape"),
                source="reply.received",
                received_at=event.received_at,
                external_ref=event.reply_ref,
                classifier=classifier,
            )
        except MalformedMessage as exc:
            raise PoisonMessage(f"data.raw_message: {exc}") from exc

    runtime.add_consumer("thread-index", [topics.MESSAGE_SENT], {MessageSent.TYPE: Route(sent)})
    runtime.add_consumer("replies", [topics.REPLY_RECEIVED], {ReplyReceived.TYPE: Route(received)})
