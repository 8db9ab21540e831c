"""The runtime every service shares: background tasks in the FastAPI lifespan, probes, metrics, errors.

A service's `bootstrap.py` builds a `ServiceRuntime` (settings, engine, publisher, relay, consumers,
loops); `create_app` wires it into FastAPI so that start-up and graceful shutdown are the same
everywhere.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cadenza_shared.clock import Clock
from cadenza_shared.db.outbox import Outbox, OutboxRelay
from cadenza_shared.db.session import make_engine, make_session_factory
from cadenza_shared.db.tables import inbox_table, outbox_table
from cadenza_shared.errors import Conflict, InvalidInput, NotFound, Unauthorized
from cadenza_shared.kafka.consumer import ConsumerRunner, Route
from cadenza_shared.kafka.producer import KafkaPublisher
from cadenza_shared.observability.logging import configure_logging
from cadenza_shared.settings import CommonSettings

log = structlog.get_logger(__name__)


@dataclass
class ServiceRuntime:
    """Everything a running service owns; built by its bootstrap, started by the lifespan."""

    name: str
    settings: CommonSettings
    clock: Clock
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    publisher: KafkaPublisher
    outbox: Outbox
    relay: OutboxRelay
    inbox: object
    consumers: list[ConsumerRunner] = field(default_factory=list)
    loops: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    extras: dict[str, object] = field(default_factory=dict)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    started: bool = False

    def add_consumer(self, name: str, topics: list[str], routes: dict[str, Route]) -> ConsumerRunner:
        """Register a consumer group (one route per event type)."""
        runner = ConsumerRunner(
            service=self.name,
            name=name,
            topics=topics,
            routes=routes,
            bootstrap=self.settings.kafka_bootstrap,
            session_factory=self.session_factory,
            inbox_table=self.inbox,  # type: ignore[arg-type]
            publisher=self.publisher,
            topic_prefix=self.settings.kafka_topic_prefix,
            after_commit=self.relay.wake.set,
        )
        self.consumers.append(runner)
        return runner

    def add_sweep(self, name: str, sweep: Callable[[AsyncSession, datetime], Awaitable[int]], *, every_seconds: float = 0.5) -> None:
        """Run `sweep(session, now)` in its own transaction every few seconds; wake the relay when it changed rows."""

        async def loop() -> None:
            while True:
                try:
                    async with self.session_factory() as session, session.begin():
                        changed = await sweep(session, self.clock.now())
                    if changed:
                        self.relay.wake.set()
                except Exception as exc:  # keep sweeping through database hiccups
                    log.warning("sweep failed", service=self.name, sweep=name, error=str(exc))
                await asyncio.sleep(every_seconds)

        loop.__name__ = name
        self.loops.append(loop)

    async def start(self) -> None:
        """Connect to the broker, then run the relay, consumers and loops as tasks."""
        await _retry_start(self.publisher.start, what="kafka producer")
        for consumer in self.consumers:
            await _retry_start(consumer.start, what=f"consumer {consumer.name}")
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
        for consumer in self.consumers:
            self._tasks.append(asyncio.create_task(consumer.run(), name=f"{self.name}-{consumer.name}"))
        for loop in self.loops:
            self._tasks.append(asyncio.create_task(loop(), name=f"{self.name}-{loop.__name__}"))
        self.started = True
        log.info("service started", service=self.name, consumers=[c.name for c in self.consumers])

    async def stop(self) -> None:
        """Graceful shutdown: stop consuming, flush the outbox once, close connections."""
        self.relay.stop()
        for consumer in self.consumers:
            consumer._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for consumer in self.consumers:
            await consumer.stop()
        try:
            await asyncio.wait_for(self.relay.relay_once(), timeout=5)
        except Exception:  # best effort: what stays in the outbox is relayed at next start
            pass
        await self.publisher.stop()
        for hook in self.on_stop:
            await hook()
        await self.engine.dispose()
        self.started = False

    async def readiness(self) -> dict[str, object]:
        """What /readyz reports: database reachable, producer connected, consumers assigned."""
        checks: dict[str, object] = {}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {exc.__class__.__name__}"
        checks["kafka_producer"] = "ok" if self.publisher.started else "not started"
        dead = [t.get_name() for t in self._tasks if t.done()]
        checks["background_tasks"] = "ok" if not dead else f"stopped: {', '.join(dead)}"
        checks["consumers"] = {c.name: ("assigned" if c.assigned else "waiting") for c in self.consumers}
        return checks


async def _retry_start(start: Callable[[], Awaitable[None]], *, what: str, attempts: int = 30) -> None:
    """The broker may still be starting: retry connecting for a while before giving up."""
    for attempt in range(1, attempts + 1):
        try:
            await start()
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("connect failed, retrying", what=what, attempt=attempt, error=str(exc))
            await asyncio.sleep(min(0.5 * attempt, 3))


def build_runtime(*, name: str, settings: CommonSettings, metadata: MetaData, clock: Clock | None = None) -> ServiceRuntime:
    """The parts every service has, built from settings (no connection is opened here)."""
    clock = clock or settings.build_clock()
    engine = make_engine(settings.database_url, application_name=f"cadenza-{name}")
    session_factory = make_session_factory(engine)
    publisher = KafkaPublisher(
        bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.kafka_topic_prefix,
        idempotent=settings.kafka_idempotence,
        client_id=f"cadenza-{name}",
    )
    outbox_t = metadata.tables[f"{metadata.schema}.outbox"]
    inbox_t = metadata.tables[f"{metadata.schema}.processed_events"]
    outbox = Outbox(table=outbox_t, source=f"cadenza/{name}", clock=clock)
    relay = OutboxRelay(service=name, session_factory=session_factory, table=outbox_t, publisher=publisher)
    return ServiceRuntime(
        name=name,
        settings=settings,
        clock=clock,
        engine=engine,
        session_factory=session_factory,
        publisher=publisher,
        outbox=outbox,
        relay=relay,
        inbox=inbox_t,
    )


def service_metadata(schema: str) -> MetaData:
    """A MetaData for a service's own schema, with its outbox and inbox tables already in it."""
    metadata = MetaData(schema=schema)
    outbox_table(metadata)
    inbox_table(metadata)
    return metadata


def create_app(*, title: str, description: str, runtime_factory: Callable[[], ServiceRuntime], routers: list) -> FastAPI:
    """A FastAPI app whose lifespan starts/stops the runtime, with probes, /metrics and error mapping."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        configure_logging(service=runtime.name, level=runtime.settings.log_level, json=runtime.settings.log_json)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, lifespan=lifespan, version="0.1.0")

    @app.get("/healthz", tags=["ops"])
    async def healthz(request: Request) -> JSONResponse:
        """Liveness: the process serves and none of its background tasks (relay, consumers, loops) has died."""
        runtime: ServiceRuntime = request.app.state.runtime
        dead = [t.get_name() for t in runtime._tasks if t.done()]
        if dead:
            return JSONResponse({"status": "dead", "stopped_tasks": dead}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: connected to the database and broker, background work running."""
        checks = await request.app.state.runtime.readiness()
        ok = checks["database"] == "ok" and checks["kafka_producer"] == "ok" and checks["background_tasks"] == "ok"
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        """Prometheus metrics of this process."""
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


def error_body(field: str, reason: str, details: list[dict] | None = None) -> dict:
    return {"error": {"field": field, "reason": reason, "details": details or [{"field": field, "reason": reason}]}}


def install_error_handlers(app: FastAPI) -> None:
    """Map the error taxonomy to 4xx bodies that name the field and the reason."""

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse(error_body(exc.field, exc.reason, exc.details), status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(error_body(exc.what, str(exc)), status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(error_body(exc.field, exc.reason), status_code=409)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        return JSONResponse(error_body("X-API-Key", str(exc)), status_code=401)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "reason": e["msg"]} for e in exc.errors()]
        first = details[0] if details else {"field": "body", "reason": "invalid"}
        return JSONResponse(error_body(first["field"], first["reason"], details), status_code=422)


def runtime_of(request: Request) -> ServiceRuntime:
    """FastAPI dependency: the running service's runtime."""
    return request.app.state.runtime


async def current_tenant(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="The tenant's API key")] = None,
) -> str:
    """FastAPI dependency: the tenant that owns the presented API key (401 otherwise)."""
    if not x_api_key:
        auth = request.headers.get("authorization", "")
        x_api_key = auth[7:] if auth.lower().startswith("bearer ") else None
    if not x_api_key:
        raise Unauthorized("missing API key (send X-API-Key)")
    runtime: ServiceRuntime = request.app.state.runtime
    for tenant, key in runtime.settings.tenant_keys().items():
        if hmac.compare_digest(key.encode(), x_api_key.encode()):
            return tenant
    raise Unauthorized("unknown API key")


Tenant = Annotated[str, Depends(current_tenant)]
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
