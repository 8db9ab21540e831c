"""Whole journeys through all five services, on a real broker and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from harness import (
    WEBHOOK_SECRET,
    bounce_for,
    client,
    enroll,
    enrollment,
    eventually,
    mails_to,
    post_reply,
    reply_to,
    unique_email,
    virtual_now,
    wait_mails,
    wait_status,
    wait_until_virtual,
)

from cadenza_shared.webhooks import verify

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _complete_open_call(stack, enrollment_id: str) -> dict:
    async def open_task():
        async with client(stack, "dispatch") as api:
            tasks = (await api.get("/v1/tasks", params={"enrollment_id": enrollment_id, "status": "open"})).json()
        return tasks[0] if tasks else None

    task = await eventually(open_task, what="the phone task")
    async with client(stack, "dispatch") as api:
        done = await api.post(f"/v1/tasks/{task['id']}/complete", json={"outcome": "connected", "notes": "Asked for a demo next month"})
    assert done.status_code == 200, done.text
    return task


async def test_prospect_walks_whole_cadence__each_touch_once_then_completed_no_reply(stack, journey_cadence):
    email = unique_email("walker")
    enrollment_id = await enroll(stack, email, first_name="Walker")

    first = (await wait_mails(stack, email, 1))[0]
    assert first["Subject"] == "Invoice approvals at Northwind Traders"
    assert "Hi Walker," in first.get_content()
    task = await _complete_open_call(stack, enrollment_id)
    assert task["instructions"].startswith("Call Walker at +49 30 5550 1234")

    mails = await wait_mails(stack, email, 3, timeout=90)
    follow_up, last = mails[1], mails[2]
    assert follow_up["In-Reply-To"] == first["Message-ID"]
    assert follow_up["Subject"] == "Re: Invoice approvals at Northwind Traders"
    assert last["Subject"] == "Closing the loop, Walker"

    done = await wait_status(stack, enrollment_id, "exited", timeout=60)
    assert done["exit_reason"] == "completed_no_reply"
    sent_steps = [h["detail"]["step"] for h in done["history"] if h["kind"] == "step_sent"]
    assert sorted(sent_steps) == [0, 1, 2, 3]
    assert len(mails_to(stack, email)) == 3, "no touch may be sent twice"

    async with client(stack, "metrics") as api:

        async def counted():
            body = (await api.get("/v1/cadences/it-journey/metrics")).json()
            steps = body.get("steps", [])
            return body if steps and all(s["sent"] >= 1 for s in steps) else None

        metrics = await eventually(counted, what="per-step metrics")
    assert [s["channel"] for s in metrics["steps"]] == ["email", "phone", "email", "email"]


async def test_positive_reply__stops_all_later_touches_and_hands_off_by_signed_webhook(stack, journey_cadence, webhooks):
    email = unique_email("keen")
    enrollment_id = await enroll(stack, email, first_name="Keen")
    first = (await wait_mails(stack, email, 1))[0]

    raw = reply_to(
        first, sender=email, date=virtual_now(stack), body="Sounds interesting. Could we talk Tuesday at 2pm? Happy to see a demo."
    )
    result = await post_reply(stack, raw)
    assert result["label"] == "positive" and result["matched_by"] == "in_reply_to"

    exited = await wait_status(stack, enrollment_id, "exited")
    assert exited["exit_reason"] == "replied_positive"

    async def handed_off():
        return [h for h in webhooks.received if enrollment_id.encode() in h["body"]]

    hook = (await eventually(handed_off, what="the hand-off webhook"))[0]
    assert verify(WEBHOOK_SECRET, header=hook["headers"]["X-Cadenza-Signature"], body=hook["body"], now=int(time.time()))
    event = json.loads(hook["body"])
    assert event["type"] == "cadenza.HandoffRequested" and event["data"]["prospect_email"] == email
    # past the moment every later step would have been sent
    await wait_until_virtual(stack, virtual_now(stack) + timedelta(days=4))
    assert len(mails_to(stack, email)) == 1


async def test_out_of_office__pauses_until_return_date_then_resumes(stack, journey_cadence):
    email = unique_email("away")
    enrollment_id = await enroll(stack, email, first_name="Away")
    first = (await wait_mails(stack, email, 1))[0]
    now = virtual_now(stack)
    back = (now + timedelta(days=3)).date()
    body = f"Thank you for your message. I am out of the office with limited access to email and will be back on {back:%B} {back.day}, {back:%Y}."
    result = await post_reply(stack, reply_to(first, sender=email, date=now, body=body, extra_headers={"Auto-Submitted": "auto-replied"}))
    assert result["label"] == "out_of_office"
    assert result["return_date"] == back.isoformat()

    paused = await wait_status(stack, enrollment_id, "paused")
    assert paused["paused_until"] is not None
    resumed = await wait_status(stack, enrollment_id, "active", timeout=60)
    assert any(h["kind"] == "resumed" for h in resumed["history"])
    mails = await wait_mails(stack, email, 2, timeout=60)
    assert mails[1]["In-Reply-To"] == first["Message-ID"]
    sent_at = next(
        h["at"] for h in (await enrollment(stack, enrollment_id))["history"] if h["kind"] == "step_sent" and h["detail"]["step"] == 2
    )
    local_day = datetime.fromisoformat(sent_at).astimezone(ZoneInfo("Europe/Berlin")).date()
    assert local_day >= back, "the follow-up waits for the prospect's return date (local)"


async def test_hard_bounce__exits_and_suppresses_the_address(stack, journey_cadence):
    email = unique_email("gone")
    enrollment_id = await enroll(stack, email, first_name="Gone")
    first = (await wait_mails(stack, email, 1))[0]
    result = await post_reply(stack, bounce_for(first, recipient=email, date=virtual_now(stack)))
    assert result["label"] == "bounce_hard"
    exited = await wait_status(stack, enrollment_id, "exited")
    assert exited["exit_reason"] == "bounced"
    async with client(stack, "enrollment") as api:
        suppressed = (await api.get("/v1/suppressions")).json()
        again = await api.post("/v1/enrollments", json={"cadence_key": "it-journey", "prospect": {"email": email}})
    assert email in {s["email"] for s in suppressed}
    assert again.json()["skipped"] == [{"email": email, "reason": "suppressed"}]


async def test_csv_with_bad_row__rejected_naming_line_and_field_and_nothing_imported(stack, journey_cadence):
    good = unique_email("csvgood")
    csv = (
        "email,first_name,company,timezone,country\n"
        f"{good},Ana,Contoso Foods,America/Chicago,US\n"
        f"{unique_email('csvok')},Bo,Contoso Foods,Europe/Paris,FR\n"
        f"{unique_email('csvbad')},Cy,Contoso Foods,Mars/Olympus_Mons,US\n"
    )
    async with client(stack, "enrollment") as api:
        response = await api.post(
            "/v1/enrollments/import", params={"cadence_key": "it-journey"}, files={"file": ("leads.csv", csv.encode(), "text/csv")}
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["details"][0]["line"] == 4
        assert error["details"][0]["field"] == "timezone"
        assert "Mars/Olympus_Mons" in error["details"][0]["reason"]
        listed = (await api.get("/v1/enrollments", params={"cadence_key": "it-journey", "limit": 1000})).json()
    assert good not in {e["email"] for e in listed}


async def test_other_tenant__cannot_read_an_enrollment(stack, journey_cadence):
    enrollment_id = await enroll(stack, unique_email("private"))
    async with client(stack, "enrollment", key="dev-key-globex") as api:
        response = await api.get(f"/v1/enrollments/{enrollment_id}")
    assert response.status_code == 404
    async with client(stack, "enrollment", key="wrong") as api:
        assert (await api.get(f"/v1/enrollments/{enrollment_id}")).status_code == 401


async def test_cadence_with_unknown_field__rejected_with_the_field_named(stack):
    bad = "key: broken\nname: Broken\nsteps:\n  - id: one\n    day: 1\n    channel: email\n    subject: Hi\n    body: Hello\n    wait_days: 3\n"
    async with client(stack, "enrollment") as api:
        response = await api.post("/v1/cadences", content=bad, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "steps.0.wait_days"
    assert json.dumps(response.json())  # the body is plain JSON


async def test_reply_before_its_email_is_indexed__is_matched_when_the_email_arrives(stack, journey_cadence):
    from harness import produce

    from cadenza_shared.contracts.dispatch import MessageSent
    from cadenza_shared.envelope import wrap

    email = unique_email("early")
    enrollment_id = await enroll(stack, email, first_name="Early")
    first = (await wait_mails(stack, email, 1))[0]
    state = await enrollment(stack, enrollment_id)
    not_yet_known = f"<{enrollment_id}.late@ledgerline.example>"
    del first["Message-ID"]
    first["Message-ID"] = not_yet_known
    # answered from a private address: only the thread headers can match it
    raw = reply_to(
        first, sender=unique_email("early-private"), date=virtual_now(stack), body="Yes, interested. Can you do Thursday at 10am?"
    )
    early = await post_reply(stack, raw)
    assert early["matched"] is False

    now = virtual_now(stack)
    sent = MessageSent(
        enrollment_id=enrollment_id,
        cadence_id=state["cadence_id"],
        step_index=0,
        step_id="intro",
        channel="email",
        to_address=email,
        message_id=not_yet_known,
        subject=str(first["Subject"]),
        sent_at=now,
    )
    await produce(stack, "message.sent", wrap(sent, tenant="acme", source="cadenza/dispatch", time=now).encode(), key=enrollment_id)
    done = await wait_status(stack, enrollment_id, "exited")
    assert done["exit_reason"] == "replied_positive"
    async with client(stack, "classification") as api:
        reply = (await api.get(f"/v1/replies/{early['reply_id']}")).json()
    assert reply["matched_by"] == "late_thread"


async def test_oversized_or_hostile_input__rejected_cleanly_and_events_keep_flowing(stack, journey_cadence):
    huge = "key: huge\nname: Huge\ndescription: " + "x" * 400_000 + "\nsteps:\n  - {id: a, day: 1, channel: phone}\n"
    deep = "[" * 100_000 + "]" * 100_000
    async with client(stack, "enrollment") as api:
        too_big = await api.post("/v1/cadences", content=huge)
        too_deep = await api.post("/v1/cadences", content=deep)
        nul = await api.post(
            "/v1/cadences", content='{"key": "nul", "name": "a\\u0000b", "steps": [{"id": "a", "day": 1, "channel": "phone"}]}'
        )
    assert (too_big.status_code, too_big.json()["error"]["field"]) == (422, "body")
    assert too_deep.status_code == 422
    assert (nul.status_code, nul.json()["error"]["field"]) == (422, "name")
    raw = b"From: Odd <odd@northwind.example>\r\nSubject: hi\x00there\r\nMessage-ID: <nul.1@northwind.example>\r\n\r\nbody with a \x00 NUL\r\n"
    async with client(stack, "classification") as api:
        assert (await api.post("/v1/inbound/email", content=raw)).status_code == 202
    # the outbox was not jammed: a new enrollment still gets its first email
    email = unique_email("after-hostile")
    await enroll(stack, email)
    await wait_mails(stack, email, 1)
