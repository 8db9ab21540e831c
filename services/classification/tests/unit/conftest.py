"""Fixtures for the classification domain tests: stored .eml files and a tiny message builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MESSAGES = Path(__file__).parent / "messages"


@pytest.fixture
def eml() -> Callable[[str], bytes]:
    """Raw bytes of ``tests/unit/messages/<name>.eml``."""

    def load(name: str) -> bytes:
        return (MESSAGES / f"{name}.eml").read_bytes()

    return load


def build_message(
    body: str,
    *,
    subject: str = "Re: Cutting onboarding time at Northwind",
    sender: str = "Morgan Blake <morgan.blake@northwind.example.com>",
    to: str = "Dana Seller <dana@cadenza-demo.example.org>",
    date: str = "Tue, 02 Mar 2027 10:00:00 -0800",
    headers: dict[str, str] | None = None,
    content_type: str = 'text/plain; charset="utf-8"',
    cte: str = "8bit",
) -> bytes:
    """A minimal single-part reply; ``body`` is encoded as UTF-8 unless already bytes-safe."""
    lines = []
    if sender:
        lines.append(f"From: {sender}")
    lines += [
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {date}",
        "Message-ID: <built-0001@northwind.example.com>",
        "In-Reply-To: <cadenza.built.step1@cadenza-demo.example.org>",
    ]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {cte}", "", body]
    return "\n".join(lines).encode("utf-8")


@pytest.fixture
def build() -> Callable[..., bytes]:
    return build_message
