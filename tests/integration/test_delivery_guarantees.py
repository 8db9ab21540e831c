"""Idempotence and dead-lettering across the real broker."""

from __future__ import annotations

import json
import uuid

import pytest
from harness import (
    client,
    enroll,
    enrollment,
    eventually,
    mails_to,
    produce,
    read_topic,
    unique_email,
    virtual_now,
    wait_mails,
    wait_status,
)

from cadenza_shared.contracts.classification import ReplyClassified
from cadenza_shared.contracts.external import MeetingBooked
from cadenza_shared.contracts.scheduling import StepDue
from cadenza_shared.envelope import wrap

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _consumed(stack, service: str, topic: str) -> float:
    async with client(stack, service) as api:
        text = (await api.get("/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("cadenza_events_consumed_total{") and f'topic="{topic}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_step_due_delivered_twice__the_email_is_sent_once(stack, journey_cadence):
    email = unique_email("twice")
    enrollment_id = await enroll(stack, email)
    await wait_mails(stack, email, 1)
    state = await enrollment(stack, enrollment_id)
    before = await _consumed(stack, "dispatch", "step.due")
    now = virtual_now(stack)
    again = StepDue(
        enrollment_id=enrollment_id,
        cadence_id=state["cadence_id"],
        step_index=0,
        step_id="intro",
        channel="email",
        due_at=now,
        fired_at=now,
        timer_id=uuid.uuid4(),
    )
    envelope = wrap(again, tenant="acme", source="test/replayer", time=now)
    for _ in range(2):  # the same event twice, and a second copy under a new id
        await produce(stack, "step.due", envelope.encode(), key=enrollment_id)
    await produce(stack, "step.due", wrap(again, tenant="acme", source="test/replayer", time=now).encode(), key=enrollment_id)

    async def processed():
        return await _consumed(stack, "dispatch", "step.due") >= before + 3

    await eventually(processed, what="dispatch to consume the replayed step.due events")
    intro = [m for m in mails_to(stack, email) if m["Subject"] == "Invoice approvals at Northwind Traders"]
    assert len(intro) == 1


async def test_reply_classified_delivered_twice__counted_once(stack, journey_cadence):
    email = unique_email("soft")
    enrollment_id = await enroll(stack, email)
    await wait_mails(stack, email, 1)
    state = await enrollment(stack, enrollment_id)
    now = virtual_now(stack)
    event = ReplyClassified(
        reply_id=uuid.uuid4(),
        enrollment_id=enrollment_id,
        cadence_id=state["cadence_id"],
        step_index=0,
        prospect_email=email,
        label="bounce_soft",
        confidence=0.9,
        evidence=["dsn status 4.2.2"],
        matched_by="in_reply_to",
        received_at=now,
    )
    envelope = wrap(event, tenant="acme", source="cadenza/classification", time=now)
    await produce(stack, "reply.classified", envelope.encode(), key=enrollment_id)
    await produce(stack, "reply.classified", envelope.encode(), key=enrollment_id)
    marker = MeetingBooked(enrollment_id=enrollment_id, starts_at=now, booked_at=now)
    await produce(stack, "meeting.booked", wrap(marker, tenant="acme", source="test/crm", time=now).encode(), key=enrollment_id)

    done = await wait_status(stack, enrollment_id, "exited")
    assert done["exit_reason"] == "meeting_booked"
    replies = [h for h in done["history"] if h["kind"] == "reply"]
    assert len(replies) == 1, replies
    assert done["soft_bounces"] == 1


async def test_malformed_events__dead_lettered_with_reason_and_consumer_keeps_working(stack, journey_cadence):
    key = str(uuid.uuid4())
    await produce(stack, "reply.classified", b"{not json", key=key)
    bad_payload = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "crm/acme",
        "type": "cadenza.ReplyClassified",
        "time": "2027-03-15T10:00:00Z",
        "subject": key,
        "tenant": "acme",
        "data": {"enrollment_id": key, "label": "positive"},
    }
    await produce(stack, "reply.classified", json.dumps(bad_payload).encode(), key=key)

    def from_enrollment(record) -> bool:
        return record.key == key.encode() and dict(record.headers)["dlq.consumer"] == b"enrollment.rules"

    def both_dead(records: list) -> bool:
        return sum(1 for r in records if from_enrollment(r)) >= 2

    dead = [r for r in await read_topic(stack, "reply.classified.dlq", until=both_dead) if from_enrollment(r)]
    reasons = [dict(r.headers)["dlq.reason"].decode() for r in dead]
    assert any(reason.startswith("value: not JSON") for reason in reasons), reasons
    assert any("data.reply_id" in reason for reason in reasons), reasons

    # the same consumer still applies good events afterwards
    email = unique_email("after-dlq")
    enrollment_id = await enroll(stack, email)
    await wait_mails(stack, email, 1)
    now = virtual_now(stack)
    booked = MeetingBooked(enrollment_id=enrollment_id, starts_at=now, booked_at=now)
    await produce(stack, "meeting.booked", wrap(booked, tenant="acme", source="test/crm", time=now).encode(), key=enrollment_id)
    done = await wait_status(stack, enrollment_id, "exited")
    assert done["exit_reason"] == "meeting_booked"


async def test_step_that_keeps_failing__is_given_up_and_the_cadence_moves_on(stack, journey_cadence):
    """A StepDue whose enrollment dispatch never learns about is retried, then failed, never lost silently."""
    from cadenza_shared.contracts.dispatch import MessageFailed

    ghost = uuid.uuid4()
    now = virtual_now(stack)
    due = StepDue(
        enrollment_id=ghost,
        cadence_id=uuid.uuid4(),
        step_index=0,
        step_id="intro",
        channel="email",
        due_at=now,
        fired_at=now,
        timer_id=uuid.uuid4(),
    )
    await produce(stack, "step.due", wrap(due, tenant="acme", source="test/replayer", time=now).encode(), key=str(ghost))

    def failed(records: list) -> bool:
        return any(r.key == str(ghost).encode() for r in records)

    records = [r for r in await read_topic(stack, "message.failed", until=failed, timeout=90) if r.key == str(ghost).encode()]
    assert records, "dispatch should publish MessageFailed when it gives a step up"
    event = json.loads(records[0].value)
    assert event["type"] == MessageFailed.TYPE and event["data"]["reason_code"] == "gave_up"
