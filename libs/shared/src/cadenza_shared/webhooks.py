"""Signed webhooks: how Cadenza signs what it posts, and how a receiver checks it.

Signature header: `X-Cadenza-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the shared webhook secret. Receivers reject a bad signature and old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, *, timestamp: int, body: bytes) -> str:
    """The value of the X-Cadenza-Signature header for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, *, header: str, body: bytes, now: int, tolerance_seconds: int = 300) -> bool:
    """True when `header` signs `body` with `secret` and is not older than the tolerance."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
