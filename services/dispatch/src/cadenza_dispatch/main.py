"""ASGI entry point: `uvicorn cadenza_dispatch.main:app`."""

from __future__ import annotations

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_dispatch.api.routes import router
from cadenza_dispatch.bootstrap import bootstrap
from cadenza_shared.service import create_app

app = create_app(
    title="Cadenza dispatch",
    description="Performs each due step through its channel: SMTP email, or a task for a human (calls, LinkedIn, SMS...).",
    runtime_factory=bootstrap,
    routers=[router],
)
