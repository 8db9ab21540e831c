"""The one event envelope (CloudEvents 1.0, structured JSON mode) and its codec.

Structured mode: the Kafka value is the whole CloudEvent as JSON (`application/cloudevents+json`),
so an outside publisher needs nothing but a JSON encoder; the Kafka key is the `subject`
(the enrollment or prospect id), which keeps one enrollment's events in order.
Old `dataversion`s are upgraded by upcasters registered next to each contract.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cadenza_shared.errors import PoisonMessage

CONTENT_TYPE = "application/cloudevents+json"
MAX_EVENT_BYTES = 1_000_000


class Event(BaseModel):
    """Base of every event payload (`data`); subclasses set TYPE, TOPIC and VERSION."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str] = ""
    TOPIC: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def aggregate_id(self) -> str:
        """The aggregate id the event is about; also the Kafka key."""
        return str(self.__dict__["enrollment_id"])  # events without one override this


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus Cadenza's tenant, schema version and tracing ids."""

    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500)
    type: str = Field(min_length=1, max_length=200)
    time: datetime
    subject: str = Field(min_length=1, max_length=200)
    datacontenttype: str = "application/json"
    dataversion: int = Field(default=1, ge=1)
    tenant: str = Field(min_length=1, max_length=100)
    correlationid: str | None = None
    causationid: str | None = None
    data: dict[str, Any]

    def encode(self) -> bytes:
        """The Kafka value: the structured CloudEvent as UTF-8 JSON."""
        return self.model_dump_json().encode()


_REGISTRY: dict[str, type[Event]] = {}
_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: make an event type known to the decoder."""
    if cls.TYPE in _REGISTRY:
        raise RuntimeError(f"event type {cls.TYPE} registered twice")
    _REGISTRY[cls.TYPE] = cls
    return cls


def upcaster(event_type: str, from_version: int) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Any]:
    """Register a function that turns `data` of `from_version` into `from_version + 1`."""

    def decorate(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return decorate


def event_types() -> dict[str, type[Event]]:
    """All registered event types (for docs and validation)."""
    return dict(_REGISTRY)


def wrap(
    event: Event,
    *,
    tenant: str,
    source: str,
    time: datetime,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Put an event payload into its envelope."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=event.TYPE,
        time=time,
        subject=event.aggregate_id(),
        dataversion=event.VERSION,
        tenant=tenant,
        correlationid=correlation_id,
        causationid=causation_id,
        data=event.model_dump(mode="json"),
    )


def decode(raw: bytes | None) -> Envelope:
    """Parse a Kafka value into an envelope; anything unreadable is a PoisonMessage naming the field."""
    if raw is None:
        raise PoisonMessage("value: empty message (tombstones are not events)")
    if len(raw) > MAX_EVENT_BYTES:
        raise PoisonMessage(f"value: {len(raw)} bytes is over the {MAX_EVENT_BYTES} byte limit")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"value: not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise PoisonMessage("value: a CloudEvent must be a JSON object")
    try:
        return Envelope.model_validate(doc)
    except ValidationError as exc:
        raise PoisonMessage(describe_validation_error(exc)) from exc


def payload(envelope: Envelope) -> Event:
    """The typed payload of an envelope, upcast to the current version; PoisonMessage if it is bad."""
    cls = _REGISTRY.get(envelope.type)
    if cls is None:
        raise PoisonMessage(f"type: unknown event type {envelope.type!r}")
    data = dict(envelope.data)
    version = envelope.dataversion
    if version > cls.VERSION:
        raise PoisonMessage(f"dataversion: {version} is newer than the {cls.VERSION} this service understands")
    while version < cls.VERSION:
        step = _UPCASTERS.get((envelope.type, version))
        if step is None:
            raise PoisonMessage(f"dataversion: no upcaster from version {version} of {envelope.type}")
        data = step(data)
        version += 1
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise PoisonMessage(describe_validation_error(exc, prefix="data")) from exc


def describe_validation_error(exc: ValidationError, *, prefix: str = "") -> str:
    """One readable line naming each bad field and why."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"])
        if prefix:
            loc = f"{prefix}.{loc}" if loc else prefix
        parts.append(f"{loc or 'value'}: {err['msg']}")
    return "; ".join(parts)
