"""ASGI entry point: `uvicorn cadenza_enrollment.main:app`."""

from __future__ import annotations

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_enrollment.api.routes import router
from cadenza_enrollment.bootstrap import bootstrap
from cadenza_shared.service import create_app

app = create_app(
    title="Cadenza enrollment",
    description="Cadences, prospects, enrollments and their state machine, suppression list.",
    runtime_factory=bootstrap,
    routers=[router],
)
