"""Composition root of the dispatch service."""

from __future__ import annotations

import httpx
import structlog

from cadenza_dispatch.consumers.handlers import register
from cadenza_dispatch.repo.tables import metadata
from cadenza_dispatch.service import handlers as svc
from cadenza_dispatch.settings import DispatchSettings
from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings

log = structlog.get_logger(__name__)


def bootstrap(
    *, common: CommonSettings | None = None, settings: DispatchSettings | None = None, clock: Clock | None = None
) -> ServiceRuntime:
    """Build the dispatch runtime: step and state consumers, the permit client and the task-expiry loop."""
    common = common or CommonSettings()
    settings = settings or DispatchSettings()
    runtime = build_runtime(name="dispatch", settings=common, metadata=metadata, clock=clock)
    runtime.extras["settings"] = settings
    http = httpx.AsyncClient(timeout=settings.permit_timeout)
    runtime.extras["http"] = http
    register(runtime, settings)

    runtime.add_sweep("expire_overdue_tasks", lambda session, now: svc.expire_tasks(session, runtime.outbox, now=now))
    runtime.on_stop.append(http.aclose)
    return runtime
