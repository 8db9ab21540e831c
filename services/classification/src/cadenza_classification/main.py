"""ASGI entry point: `uvicorn cadenza_classification.main:app`."""

from __future__ import annotations

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_classification.api.routes import router
from cadenza_classification.bootstrap import bootstrap
from cadenza_shared.service import create_app

app = create_app(
    title="Cadenza classification",
    description="Turns raw replies into decisions (intent, auto-reply, bounce, return date) and matches them to enrollments.",
    runtime_factory=bootstrap,
    routers=[router],
)
