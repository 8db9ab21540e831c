"""Two scheduler replicas on one database: every due timer fires exactly once, and both do work.

The session stack runs one scheduling process; this test starts a second one (same database,
broker, topic prefix and virtual clock) and stops it at the end.

Keeping the other tests' consumers healthy: the timers fired here are *end* timers
(`CadenceEnded`) of enrollments that this test creates and exits first, in the other tenant
(globex) and in a cadence of its own. Every consumer of `step.due` treats them as no-ops:
enrollment ignores a `CadenceEnded` for an enrollment that is no longer active, dispatch and
metrics have no route for it. Nothing is dead-lettered, retried or sent, and no counter of the
acme tenant moves. (`StepDue` timers would make dispatch retry or dead-letter, and end timers
for unknown enrollments would make enrollment dead-letter 2,000 records.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from harness import OTHER_TENANT_KEY, client, clock_of, eventually, unique_email

from cadenza_runtime.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ENROLLMENTS = 4
TIMERS_PER_ENROLLMENT = 500  # 2,000 timers
INSTANTS = 40  # due at 40 instants, 0.1 real s apart: both replicas wake for each one

CADENCE = """
key: {key}
name: Scheduler replicas (integration test)
default_timezone: UTC
send_window:
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: ["00:00-24:00"]
steps:
  - id: never
    day: 365
    channel: manual_task
    instructions: "not performed: the test exits the enrollment first"
"""


@pytest.fixture
def second_scheduler(stack, tmp_path: Path):
    """A second scheduling process on the stack's database and broker; stopped (by its pid) at the end."""
    port = free_port()
    log = (tmp_path / "scheduling-replica-2.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "cadenza_scheduling.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "10",
        ],
        env=stack.service_env("scheduling"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process, tmp_path / "scheduling-replica-2.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


async def fired_end_timers(base_url: str) -> float:
    """This process's `cadenza_timers_fired_total{kind="end"}`."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(base_url + "/metrics")).text
    match = re.search(r'^cadenza_timers_fired_total\{kind="end"\} ([0-9.e+]+)$', text, re.M)
    return float(match[1]) if match else 0.0


async def test_two_replicas__fire_every_timer_exactly_once_and_share_the_work(stack, second_scheduler):
    replica_url, replica, replica_log = second_scheduler
    db = await asyncpg.connect(stack.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # enrollments of a cadence of its own, in the other tenant, exited before any timer is added
        key = f"it-replicas-{uuid.uuid4().hex[:6]}"
        async with client(stack, "enrollment", key=OTHER_TENANT_KEY) as api:
            created = await api.post("/v1/cadences", content=CADENCE.format(key=key), headers={"Content-Type": "application/yaml"})
            assert created.status_code == 201, created.text
            enrolled = await api.post(
                "/v1/enrollments/import",
                params={"cadence_key": key},
                files={
                    "file": ("p.csv", "email,first_name\n" + "".join(f"{unique_email('replica')},Rep{i}\n" for i in range(ENROLLMENTS))),
                },
            )
            assert enrolled.status_code == 201, enrolled.text
            ids = [uuid.UUID(e["enrollment_id"]) for e in enrolled.json()["enrolled"]]
            assert len(ids) == ENROLLMENTS
            for enrollment_id in ids:
                exited = await api.post(f"/v1/enrollments/{enrollment_id}/exit", json={"reason": "integration test: replicas"})
                assert exited.status_code == 200, exited.text

        async def plans_exited() -> bool:
            rows = await db.fetch(
                "SELECT p.status, (SELECT count(*) FROM scheduling.timers t WHERE t.enrollment_id = p.enrollment_id AND t.status = 'pending') AS live "
                "FROM scheduling.plans p WHERE p.enrollment_id = ANY($1::uuid[])",
                ids,
            )
            return len(rows) == ENROLLMENTS and all(r["status"] == "exited" and r["live"] == 0 for r in rows)

        await eventually(plans_exited, timeout=60, what="scheduling to see the enrollments exit")

        async def replica_ready() -> bool:
            assert replica.poll() is None, replica_log.read_text(errors="replace")[-3000:]
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    return (await http.get(replica_url + "/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(replica_ready, timeout=60, what="the second scheduling replica to be ready")
        async with httpx.AsyncClient(base_url=replica_url, headers={"X-API-Key": OTHER_TENANT_KEY}, timeout=10) as api:
            schedule = (await api.get(f"/v1/enrollments/{ids[0]}/schedule")).json()
            assert (schedule["status"], schedule["upcoming"], schedule["timezone"]) == ("exited", [], "UTC")
            assert (await api.get("/v1/blackout-dates")).json() == {"dates": []}
            assert (await api.put("/v1/blackout-dates", json={"dates": [{"date": "someday"}]})).status_code == 422
        before = {"primary": await fired_end_timers(stack.urls["scheduling"]), "second": await fired_end_timers(replica_url)}

        # 2,000 end timers, due at 40 instants from about 1.5 real seconds from now
        clock = clock_of(stack)
        now = clock.now()
        step = timedelta(seconds=0.1 * clock.factor)
        first_due = now + timedelta(seconds=1.5 * clock.factor)
        rows = []
        for e, enrollment_id in enumerate(ids):
            for i in range(TIMERS_PER_ENROLLMENT):
                n = e * TIMERS_PER_ENROLLMENT + i
                rows.append(
                    (
                        uuid.uuid4(),
                        "globex",
                        enrollment_id,
                        "end",
                        i,
                        first_due + (n % INSTANTS) * step,
                        "pending",
                        '["integration test: two replicas"]',
                        now,
                    )
                )
        await db.executemany(
            "INSERT INTO scheduling.timers (id, tenant, enrollment_id, kind, step_index, due_at, status, reasons, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)",
            rows,
        )
        timer_ids = [r[0] for r in rows]
        event_ids = [f"timer-{t}" for t in timer_ids]

        async def all_fired() -> bool:
            return await db.fetchval(
                "SELECT count(*) FROM scheduling.timers WHERE id = ANY($1::uuid[]) AND status = 'fired'", timer_ids
            ) == len(timer_ids)

        await eventually(all_fired, timeout=90, what="every timer to fire")

        timers = await db.fetch("SELECT id, status, fired_at, due_at FROM scheduling.timers WHERE id = ANY($1::uuid[])", timer_ids)
        assert len(timers) == len(timer_ids)
        assert all(t["status"] == "fired" and t["fired_at"] is not None and t["fired_at"] >= t["due_at"] for t in timers)
        events = await db.fetch("SELECT event_id, event_type, topic FROM scheduling.outbox WHERE event_id = ANY($1::text[])", event_ids)
        assert sorted(e["event_id"] for e in events) == sorted(event_ids)  # exactly one event per timer
        assert {(e["event_type"], e["topic"]) for e in events} == {("cadenza.CadenceEnded", "step.due")}

        # both replicas fired some of them
        after = {"primary": await fired_end_timers(stack.urls["scheduling"]), "second": await fired_end_timers(replica_url)}
        done = {name: after[name] - before[name] for name in after}
        assert done["second"] > 0 and done["primary"] > 0, done
        assert done["second"] <= len(timer_ids) and done["primary"] + done["second"] >= len(timer_ids), done
        print(f"timers fired by each replica: {done}")
        assert "timer poll failed" not in replica_log.read_text(errors="replace")

        # published, and consumed by enrollment as no-ops (an inbox row, not a dead letter)
        async def published() -> bool:
            return await db.fetchval(
                "SELECT count(*) FROM scheduling.outbox WHERE event_id = ANY($1::text[]) AND published_at IS NOT NULL", event_ids
            ) == len(event_ids)

        await eventually(published, timeout=60, what="the outbox relay to publish every event")

        async def consumed() -> bool:
            return await db.fetchval(
                "SELECT count(DISTINCT event_id) FROM enrollment.processed_events WHERE event_id = ANY($1::text[])", event_ids
            ) == len(event_ids)

        await eventually(consumed, timeout=120, what="enrollment to consume every CadenceEnded")
        statuses = await db.fetch("SELECT status, exit_reason FROM enrollment.enrollments WHERE id = ANY($1::uuid[])", ids)
        assert {r["status"] for r in statuses} == {"exited"}
    finally:
        await db.close()
