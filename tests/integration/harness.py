"""What the integration tests share: starting the stack, API clients, bounded polling, mail and events."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from cadenza_runtime.stack import Stack, StackConfig
from cadenza_shared.clock import ScaledClock

T = TypeVar("T")

API_KEY = "dev-key-acme"
OTHER_TENANT_KEY = "dev-key-globex"
WEBHOOK_SECRET = "it-webhook-secret"
#: one virtual day passes in this many real seconds
SECONDS_PER_DAY = 4.0
VIRTUAL_START = datetime(2027, 3, 15, 6, 0, tzinfo=UTC)

JOURNEY_CADENCE = """
key: it-journey
name: Integration journey
default_timezone: Europe/Berlin
send_window:
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: ["00:00-24:00"]
on_completion:
  exit_after_days: 1
  then: remove
account_rule: pause_others
steps:
  - id: intro
    day: 1
    channel: email
    subject: "Invoice approvals at {{ company }}"
    body: |
      Hi {{ first_name }},
      Finance teams like {{ company }}'s lose days chasing invoice approvals. Worth a look?
  - id: call
    day: 1
    channel: phone
    instructions: "Call {{ first_name }} at {{ phone }} about approvals"
    task_expires_after_days: 1
  - id: follow-up
    day: 2
    channel: email
    reply_in_thread: true
    body: |
      {{ first_name }}, one more angle: month-end close two days faster.
  - id: last
    day: 3
    channel: email
    subject: "Closing the loop, {{ first_name }}"
    body: |
      I'll stop here. If approvals become a priority at {{ company }}, I'm one reply away.
"""


def broker_choice() -> str:
    """Apache Kafka where Java and Maven exist (CI), the embedded broker otherwise; env overrides."""
    from cadenza_runtime.apache_kafka import java_available

    if os.environ.get("CADENZA_KAFKA_BOOTSTRAP"):
        return "external"
    return os.environ.get("CADENZA_TEST_BROKER") or ("apache" if java_available() else "embedded")


def start_stack(workdir: Path, *, broker: str, extra_env: dict[str, str] | None = None) -> Stack:
    """The five services on a scaled clock, every port free, topics prefixed per run."""
    config = StackConfig.ephemeral(
        workdir,
        broker=broker,
        clock_mode="scaled",
        clock_factor=86400 / SECONDS_PER_DAY,
        clock_start=VIRTUAL_START,
        extra_env=extra_env or {},
        topic_prefix=f"it{uuid.uuid4().hex[:6]}." if broker == "external" else "",
        fresh_database=True,
    )
    return Stack(config).start()


class WebhookReceiver:
    """A local HTTP endpoint that records every POST (the CRM side of a hand-off)."""

    def __init__(self) -> None:
        import http.server
        import threading

        from cadenza_runtime.ports import free_port

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"headers": dict(self.headers), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cadenza"

    def stop(self) -> None:
        self.server.shutdown()


def clock_of(stack: Stack) -> ScaledClock:
    """The same virtual clock the services use."""
    return ScaledClock(virtual_start=stack.config.clock_start, factor=stack.config.clock_factor, anchor=stack.clock_anchor)


def client(stack: Stack, service: str, key: str = API_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.urls[service], headers={"X-API-Key": key}, timeout=15)


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 60, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy (bounded; never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


async def wait_until_virtual(stack: Stack, instant: datetime) -> None:
    """Wait (bounded) until the virtual clock passes `instant`."""
    clock = clock_of(stack)

    async def passed() -> bool:
        return clock.now() >= instant

    await eventually(passed, timeout=60 + clock.real_seconds((instant - clock.now()).total_seconds()), what=f"virtual time {instant}")


def mails_to(stack: Stack, address: str) -> list[EmailMessage]:
    """Every message the SMTP sink received for `address`, in arrival order."""
    found = []
    for path in sorted(Path(stack.mail_dir).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address.lower() in str(message.get("To", "")).lower():
            found.append(message)
    return found


def unique_email(tag: str) -> str:
    return f"{tag}.{uuid.uuid4().hex[:8]}@northwind-{uuid.uuid4().hex[:4]}.example"


async def enroll(
    stack: Stack, email: str, *, first_name: str = "Dana", company: str = "Northwind Traders", cadence: str = "it-journey", **extra: str
) -> str:
    """Enroll one prospect through the API; return the enrollment id."""
    async with client(stack, "enrollment") as api:
        response = await api.post(
            "/v1/enrollments",
            json={
                "cadence_key": cadence,
                "prospect": {
                    "email": email,
                    "first_name": first_name,
                    "last_name": "Okafor",
                    "company": company,
                    "timezone": "Europe/Berlin",
                    "country": "DE",
                    "phone": "+49 30 5550 1234",
                    **extra,
                },
            },
        )
    assert response.status_code == 201, response.text
    return response.json()["enrolled"][0]["enrollment_id"]


async def enrollment(stack: Stack, enrollment_id: str) -> dict:
    async with client(stack, "enrollment") as api:
        response = await api.get(f"/v1/enrollments/{enrollment_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def wait_status(stack: Stack, enrollment_id: str, status: str, *, timeout: float = 60) -> dict:
    async def probe() -> dict | None:
        current = await enrollment(stack, enrollment_id)
        return current if current["status"] == status else None

    return await eventually(probe, timeout=timeout, what=f"enrollment {enrollment_id} to be {status}")


async def wait_mails(stack: Stack, address: str, count: int, *, timeout: float = 60) -> list[EmailMessage]:
    async def probe() -> list[EmailMessage] | None:
        found = mails_to(stack, address)
        return found if len(found) >= count else None

    return await eventually(probe, timeout=timeout, what=f"{count} mail(s) to {address}")


def reply_to(original: EmailMessage, *, sender: str, body: str, date: datetime, extra_headers: dict[str, str] | None = None) -> bytes:
    """A reply in Gmail's shape: new text on top, the original quoted below."""
    reply = EmailMessage()
    reply["From"] = f"Prospect <{sender}>"
    reply["To"] = str(original["From"])
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Date"] = date.strftime("%a, %d %b %Y %H:%M:%S +0000")
    reply["Message-ID"] = f"<{uuid.uuid4().hex}@mail.northwind.example>"
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = str(original["Message-ID"])
    for name, value in (extra_headers or {}).items():
        reply[name] = value
    quoted = "\n".join("> " + line for line in original.get_content().splitlines())
    reply.set_content(f"{body}\n\nOn {date:%a, %b %d, %Y}, {original['From']} wrote:\n{quoted}\n")
    return reply.as_bytes()


def bounce_for(original: EmailMessage, *, recipient: str, date: datetime) -> bytes:
    """An RFC 3464 delivery status notification for `original` (5.1.1 user unknown)."""
    boundary = f"dsn-{uuid.uuid4().hex}"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.northwind.example>\r\n"
        f"To: {original['From']}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {date:%a, %d %b %Y %H:%M:%S +0000}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.northwind.example>\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered to {recipient}.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.northwind.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {original['From']}\r\nTo: {recipient}\r\nSubject: {original['Subject']}\r\n"
        f"Message-ID: {original['Message-ID']}\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


async def post_reply(stack: Stack, raw: bytes) -> dict:
    async with client(stack, "classification") as api:
        response = await api.post("/v1/inbound/email", content=raw, headers={"Content-Type": "message/rfc822"})
    assert response.status_code == 202, response.text
    return response.json()


async def produce(stack: Stack, topic: str, value: bytes, *, key: str) -> None:
    """Publish a raw record, as an outside system would."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(stack.config.topic_prefix + topic, value, key=key.encode())
    finally:
        await producer.stop()


async def read_topic(stack: Stack, topic: str, *, until: Callable[[list], bool], timeout: float = 30) -> list:
    """Read a topic from the beginning until `until(records)` holds."""
    consumer = AIOKafkaConsumer(
        stack.config.topic_prefix + topic,
        bootstrap_servers=stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=f"it-reader-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until(records):
            batch = await consumer.getmany(timeout_ms=500)
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await consumer.stop()


def virtual_now(stack: Stack) -> datetime:
    return clock_of(stack).now()


__all__ = ["timedelta"]
