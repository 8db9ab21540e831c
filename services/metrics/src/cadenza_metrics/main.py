"""ASGI entry point: `uvicorn cadenza_metrics.main:app`."""

from __future__ import annotations

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_metrics.api.routes import router
from cadenza_metrics.bootstrap import bootstrap
from cadenza_shared.service import create_app

app = create_app(
    title="Cadenza metrics",
    description="Step-level cadence analytics and Prometheus business metrics.",
    runtime_factory=bootstrap,
    routers=[router],
)
