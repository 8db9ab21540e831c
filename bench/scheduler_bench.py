"""Scheduler benchmark: how fast the real timer poller fires a burst of due timers, next to bare PostgreSQL.

    .venv/bin/python bench/scheduler_bench.py [--timers 1000000] [--due 100000] [--batch 500] [--replicas 1] [--json out.json]

What it does, in one run on one embedded PostgreSQL 18 (a fresh data directory, a free port):

1. Migrates the scheduling schema and loads `--timers` pending timers, one plan each, for one
   cadence (`INSERT ... SELECT generate_series`). `--due` of them (set A) are due at the instant
   T0, another `--due` (set B) at T0 + 1 h, the rest over the 30 days after T0 + 1 day.
   `VACUUM ANALYZE`, `CHECKPOINT` (so that both phases start from a checkpoint).
2. Service: calls the real `fire_due_timers` (the poller's function: claim with `FOR UPDATE
   SKIP LOCKED`, mark fired, write one `StepDue` per timer to the outbox, commit) in a loop of
   `--batch`-sized transactions with a `FixedClock` at T0, until nothing is due: exactly set A.
3. `VACUUM ANALYZE`, `CHECKPOINT`, then bare: the same PostgreSQL runs only
   `UPDATE timers SET status='fired' ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
   RETURNING ...` on set B, batch by batch (asyncpg, one transaction per batch), until none is left.

Each phase runs `--replicas` poller processes (each with its own connection, like scheduler
replicas) that share the work through `SKIP LOCKED`; the table shows how much each one did.

Rates are timers per second of wall-clock time. Lateness: every timer of a set comes due at the
instant its phase starts; a timer's lateness is the wall-clock instant its batch committed minus
that instant (p50 and p99 over the timers). The ratio service/bare is the figure to watch: the
cost of building and writing the events on top of the bare claim.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_runtime.postgres import EmbeddedPostgres
from cadenza_runtime.stack import migrations_dir
from cadenza_scheduling.repo.tables import metadata
from cadenza_scheduling.service import handlers as svc
from cadenza_shared.clock import FixedClock
from cadenza_shared.contracts.cadence import CadenceSpec
from cadenza_shared.db.migrations import upgrade
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.db.session import make_engine, make_session_factory

console = Console()

CADENCE = CadenceSpec.model_validate(
    {
        "key": "bench",
        "name": "Scheduler benchmark",
        "steps": [
            {"id": "call-1", "channel": "phone", "day": 1, "instructions": "Call"},
            {"id": "call-2", "channel": "phone", "day": 2, "instructions": "Call again"},
            {"id": "call-3", "channel": "phone", "day": 3, "instructions": "Last call"},
        ],
    }
)

BARE_UPDATE = """
UPDATE scheduling.timers SET status = 'fired', fired_at = $1
WHERE id IN (
    SELECT id FROM scheduling.timers
    WHERE status = 'pending' AND due_at <= $2
    ORDER BY due_at LIMIT $3
    FOR UPDATE SKIP LOCKED
)
RETURNING id, tenant, enrollment_id, kind, step_index, due_at
"""


def percentile(samples: list[tuple[float, int]], q: float) -> float:
    """The q-quantile of values given as (value, how many timers had it)."""
    total = sum(n for _, n in samples)
    rank = q * total
    seen = 0
    for value, n in sorted(samples):
        seen += n
        if seen >= rank:
            return value
    return samples[-1][0] if samples else 0.0


async def load(conn: asyncpg.Connection, *, timers: int, due: int, t0: datetime) -> None:
    cadence_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO scheduling.cadences (cadence_id, tenant, key, version, definition) VALUES ($1, 'bench', 'bench', 1, $2::jsonb)",
        cadence_id,
        CADENCE.model_dump_json(),
    )
    await conn.execute(
        """
        INSERT INTO scheduling.plans (enrollment_id, tenant, cadence_id, timezone, country, status, anchor_at, next_step_index)
        SELECT gen_random_uuid(), 'bench', $1, 'America/New_York', 'US', 'active', $2, 0 FROM generate_series(1, $3)
        """,
        cadence_id,
        t0,
        timers,
    )
    await conn.execute(
        """
        INSERT INTO scheduling.timers (id, tenant, enrollment_id, kind, step_index, due_at, status, reasons, created_at)
        SELECT gen_random_uuid(), 'bench', p.enrollment_id, 'step',
               CASE WHEN p.rn <= $2::bigint THEN 1 WHEN p.rn <= 2 * $2::bigint THEN 2 ELSE 0 END,
               CASE WHEN p.rn <= $2 THEN $1::timestamptz
                    WHEN p.rn <= 2 * $2 THEN $1::timestamptz + interval '1 hour'
                    ELSE $1::timestamptz + interval '1 day' + (p.rn % 2592000) * interval '1 second' END,
               'pending', '[]'::jsonb, $1
        FROM (SELECT enrollment_id, row_number() OVER () AS rn FROM scheduling.plans) p
        """,
        t0,
        due,
    )


async def timed(fn: Callable[[], Awaitable[object]], runs: int = 5) -> float:
    """Median wall-clock milliseconds of `fn`."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def run(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="cadenza-bench-"))
    os.chmod(workdir, 0o755)
    server = EmbeddedPostgres(data_dir=workdir / "postgres")
    figures: dict = {"timers": args.timers, "due": args.due, "batch": args.batch}
    with console.status("Starting PostgreSQL and migrating the scheduling schema..."):
        url = server.start()
        await asyncio.to_thread(upgrade, migrations_dir("scheduling"), url)
    try:
        raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        version = await raw.fetchval("SHOW server_version")
        figures["postgres"] = version
        t0 = datetime.now(UTC).replace(microsecond=0)

        started = time.perf_counter()
        with console.status(f"Loading {args.timers:,} pending timers and plans..."):
            await load(raw, timers=args.timers, due=args.due, t0=t0)
            await raw.execute("VACUUM ANALYZE scheduling.timers")
            await raw.execute("VACUUM ANALYZE scheduling.plans")
            await raw.execute("CHECKPOINT")
        figures["load_seconds"] = round(time.perf_counter() - started, 1)
        console.print(f"Loaded {args.timers:,} timers in {figures['load_seconds']} s (PostgreSQL {version})")

        engine = make_engine(url, pool_size=2, application_name="cadenza-bench")
        sessions = make_session_factory(engine)

        async def next_due() -> object:
            async with sessions() as s:
                return await svc.next_due_at(s)

        async def gauges() -> None:
            async with sessions() as s:
                await svc.refresh_gauges(s, now=t0)

        figures["next_due_at_ms"] = round(await timed(next_due), 2)
        figures["refresh_gauges_ms"] = round(await timed(gauges), 1)

        figures["service"] = await asyncio.to_thread(
            phase, "service: fire_due_timers", "service", url, t0, args.batch, args.due, args.replicas
        )
        with console.status("VACUUM ANALYZE and CHECKPOINT between the phases..."):
            await raw.execute("VACUUM ANALYZE scheduling.timers")
            await raw.execute("CHECKPOINT")
        figures["bare"] = await asyncio.to_thread(phase, "bare: UPDATE ... RETURNING", "bare", url, t0, args.batch, args.due, args.replicas)

        checks = await raw.fetchrow(
            """
            SELECT (SELECT count(*) FROM scheduling.outbox) AS events,
                   (SELECT count(DISTINCT event_id) FROM scheduling.outbox) AS distinct_events,
                   (SELECT count(*) FROM scheduling.timers WHERE status = 'fired' AND step_index = 1) AS fired_a,
                   (SELECT count(*) FROM scheduling.timers WHERE status = 'fired' AND step_index = 2) AS fired_b,
                   (SELECT count(*) FROM scheduling.timers WHERE status = 'pending') AS pending
            """
        )
        figures["checks"] = dict(checks)
        if not (checks["events"] == checks["distinct_events"] == checks["fired_a"] == args.due == checks["fired_b"]):
            raise SystemExit(f"check failed: {dict(checks)}")
        await engine.dispose()
        await raw.close()
    finally:
        server.stop(quiet=True)
        server.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    figures["ratio"] = round(figures["service"]["rate"] / figures["bare"]["rate"], 3)
    return figures


def phase(title: str, kind: str, url: str, t0: datetime, batch: int, expected: int, replicas: int) -> dict:
    """Run `replicas` poller processes until none fires anything; their commit instants give the lateness.

    Each poller is its own process with its own connection (as scheduler replicas are), started
    and connected before the phase begins. The phase begins when they are all released at once.
    """
    ctx = mp.get_context("spawn")
    ready, progress, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    workers = [ctx.Process(target=_poller, args=(kind, url, t0.isoformat(), batch, go, ready, progress)) for _ in range(replicas)]
    for w in workers:
        w.start()
    for _ in workers:
        ready.get(timeout=120)
    commits: list[tuple[float, int]] = []
    per_replica: dict[int, int] = {}
    finished: list[float] = []
    with Progress(TextColumn(title), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(title, total=expected)
        start = time.time()
        go.set()
        while len(finished) < replicas:
            pid, at, fired = progress.get(timeout=600)
            if fired is None:
                finished.append(at - start)
                continue
            commits.append((at - start, fired))
            per_replica[pid] = per_replica.get(pid, 0) + fired
            bar.advance(task, fired)
    for w in workers:
        w.join(timeout=30)
    elapsed = max(finished)
    total = sum(n for _, n in commits)
    if total != expected:
        raise SystemExit(f"{title}: fired {total}, expected {expected}")
    return {
        "fired": total,
        "batches": len(commits),
        "replicas": replicas,
        "per_replica": sorted(per_replica.values(), reverse=True),
        "seconds": round(elapsed, 2),
        "rate": round(total / elapsed, 1),
        "p50_s": round(percentile(commits, 0.50), 3),
        "p99_s": round(percentile(commits, 0.99), 3),
    }


def _poller(kind: str, url: str, t0_iso: str, batch: int, go, ready, progress) -> None:  # noqa: ANN001
    asyncio.run(_poll(kind, url, datetime.fromisoformat(t0_iso), batch, go, ready, progress))


async def _poll(kind: str, url: str, t0: datetime, batch: int, go, ready, progress) -> None:  # noqa: ANN001
    """One replica: the service's `fire_due_timers` or the bare statement, batch after batch."""
    engine = make_engine(url, pool_size=1, application_name=f"cadenza-bench-{kind}")
    sessions = make_session_factory(engine)
    raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    outbox = Outbox(table=metadata.tables["scheduling.outbox"], source="cadenza/scheduling", clock=FixedClock(t0))

    async def service_batch() -> int:
        async with sessions() as s, s.begin():
            return await svc.fire_due_timers(s, outbox, now=t0, limit=batch)

    async def bare_batch() -> int:
        async with raw.transaction():
            rows = await raw.fetch(BARE_UPDATE, t0, t0 + timedelta(hours=1), batch)
        return len(rows)

    once = service_batch if kind == "service" else bare_batch
    async with sessions() as s:  # connect before the start
        await s.execute(text("SELECT 1"))
    pid = os.getpid()
    ready.put(pid)
    await asyncio.to_thread(go.wait)
    try:
        while fired := await once():
            progress.put((pid, time.time(), fired))
    finally:
        progress.put((pid, time.time(), None))
        await raw.close()
        await engine.dispose()


def report(f: dict) -> None:
    s, b = f["service"], f["bare"]
    replicas = f"{s['replicas']} replica" + ("s" if s["replicas"] > 1 else "")
    table = Table(title=f"Scheduler benchmark: {f['timers']:,} pending timers, {f['due']:,} due at once, batch {f['batch']}, {replicas}")
    table.add_column("")
    table.add_column("service fire_due_timers", justify="right")
    table.add_column("bare UPDATE ... RETURNING", justify="right")
    table.add_row("timers fired", f"{s['fired']:,}", f"{b['fired']:,}")
    table.add_row("transactions", f"{s['batches']:,}", f"{b['batches']:,}")
    if s["replicas"] > 1:
        table.add_row("fired per replica", " / ".join(f"{n:,}" for n in s["per_replica"]), " / ".join(f"{n:,}" for n in b["per_replica"]))
    table.add_row("seconds", f"{s['seconds']:.2f}", f"{b['seconds']:.2f}")
    table.add_row("timers per second", f"{s['rate']:,.0f}", f"{b['rate']:,.0f}")
    table.add_row("lateness p50", f"{s['p50_s']:.2f} s", f"{b['p50_s']:.2f} s")
    table.add_row("lateness p99", f"{s['p99_s']:.2f} s", f"{b['p99_s']:.2f} s")
    console.print(table)
    console.print(
        f"ratio service / bare: [bold]{f['ratio']:.2f}[/bold] ({1 / f['ratio']:.1f}x slower than the bare claim)  |  "
        f"idle poll at {f['timers']:,} pending: next_due_at {f['next_due_at_ms']} ms, gauges {f['refresh_gauges_ms']} ms  |  "
        f"load {f['load_seconds']} s  |  PostgreSQL {f['postgres']}, {os.cpu_count()} CPU(s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, default=1_000_000, help="pending timers loaded (default 1,000,000)")
    parser.add_argument("--due", type=int, default=100_000, help="timers that come due at once, per phase (default 100,000)")
    parser.add_argument("--batch", type=int, default=500, help="timers per transaction (default 500, the service default)")
    parser.add_argument("--replicas", type=int, default=1, help="poller processes sharing the work with SKIP LOCKED (default 1)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.timers < 2 * args.due or args.due < 1 or args.batch < 1 or args.replicas < 1:
        parser.error("need --timers >= 2 * --due, --due >= 1, --batch >= 1 and --replicas >= 1")
    figures = asyncio.run(run(args))
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
