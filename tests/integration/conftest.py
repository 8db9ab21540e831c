"""Integration fixtures: one stack for the session (Apache Kafka where Java/Maven exist)."""

from __future__ import annotations

import harness
import httpx
import pytest


@pytest.fixture(scope="session")
def webhooks():
    """The receiving end of hand-off webhooks."""
    receiver = harness.WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, webhooks):
    """The five real services on a real broker and PostgreSQL, for the whole session."""
    running = harness.start_stack(
        tmp_path_factory.mktemp("stack"),
        broker=harness.broker_choice(),
        extra_env={
            "CADENZA_ENROLLMENT_HANDOFF_WEBHOOK_URL": webhooks.url,
            "CADENZA_WEBHOOK_SECRET": harness.WEBHOOK_SECRET,
            "CADENZA_DISPATCH_STEP_MAX_ATTEMPTS": "7",  # about 13 s of retries before a step is given up
        },
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def journey_cadence(stack) -> dict:
    """The short test cadence, uploaded once."""
    response = httpx.post(
        stack.urls["enrollment"] + "/v1/cadences",
        content=harness.JOURNEY_CADENCE,
        headers={"X-API-Key": harness.API_KEY, "Content-Type": "application/yaml"},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    return response.json()
