"""Smoke test on the embedded broker that `make run` uses (always runs, whatever the main broker is)."""

from __future__ import annotations

import harness
import httpx
import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="module")
def embedded_stack(tmp_path_factory, stack):
    """A second, independent stack on the embedded Tansu broker (reuses the main one when it is embedded too)."""
    if stack.config.broker == "embedded":
        yield stack
        return
    running = harness.start_stack(tmp_path_factory.mktemp("embedded"), broker="embedded")
    yield running
    running.stop()


async def test_embedded_broker__first_email_sent_and_positive_reply_exits(embedded_stack):
    stack = embedded_stack
    response = httpx.post(
        stack.urls["enrollment"] + "/v1/cadences",
        content=harness.JOURNEY_CADENCE.replace("it-journey", "smoke-journey"),
        headers={"X-API-Key": harness.API_KEY},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    email = harness.unique_email("smoke")
    enrollment_id = await harness.enroll(stack, email, cadence="smoke-journey")
    first = (await harness.wait_mails(stack, email, 1))[0]
    raw = harness.reply_to(first, sender=email, date=harness.virtual_now(stack), body="Yes, let's set up a call next week.")
    assert (await harness.post_reply(stack, raw))["label"] == "positive"
    exited = await harness.wait_status(stack, enrollment_id, "exited")
    assert exited["exit_reason"] == "replied_positive"
