"""Hand-off webhooks: POST each HandoffRequested, signed, to the configured URL (at least once)."""

from __future__ import annotations

import time

import httpx

from cadenza_shared.envelope import CONTENT_TYPE, Envelope
from cadenza_shared.errors import PoisonMessage, RetryableError
from cadenza_shared.webhooks import sign


async def deliver_handoff(envelope: Envelope, *, url: str | None, secret: str, timeout: float) -> None:
    """Send the CloudEvent as the body; 2xx is done, 5xx/429/timeouts retry, other 4xx go to the dead-letter topic.

    Delivery is at least once: receivers deduplicate on `X-Cadenza-Event-Id`.
    """
    if not url:
        return
    body = envelope.encode()
    headers = {
        "Content-Type": CONTENT_TYPE,
        "X-Cadenza-Event-Id": envelope.id,
        "X-Cadenza-Event-Type": envelope.type,
        "X-Cadenza-Signature": sign(secret, timestamp=int(time.time()), body=body),
    }
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise RetryableError(f"hand-off webhook unreachable: {exc!r}") from exc
    if response.status_code < 300:
        return
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise RetryableError(f"hand-off webhook answered {response.status_code}")
    raise PoisonMessage(f"hand-off webhook refused the event with {response.status_code}: {response.text[:200]}")
