"""ASGI entry point: `uvicorn cadenza_scheduling.main:app`."""

from __future__ import annotations

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_scheduling.api.routes import router
from cadenza_scheduling.bootstrap import bootstrap
from cadenza_shared.service import create_app

app = create_app(
    title="Cadenza scheduling",
    description="Durable timers: when each enrollment's next step is due, in the prospect's timezone and send window.",
    runtime_factory=bootstrap,
    routers=[router],
)
