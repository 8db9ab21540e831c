"""End-to-end throughput: enroll N prospects and time until N first emails reached the SMTP sink.

Baseline measured in the same run, on the same machine and SMTP sink: N bare SMTP sends of the
same size with aiosmtplib (what the pipeline cannot beat). The figure is the ratio.

    .venv/bin/python bench/pipeline_bench.py --prospects 1000 [--broker embedded|apache]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from cadenza_runtime.stack import Stack, StackConfig

CADENCE = """
key: bench-one-touch
name: Benchmark, one email
default_timezone: UTC
send_window: {days: [mon, tue, wed, thu, fri, sat, sun], hours: ["00:00-24:00"]}
steps:
  - id: hello
    day: 1
    channel: email
    subject: "Quick question for {{ company }}"
    body: |
      Hi {{ first_name }}, a short note about invoice approvals at {{ company }}.
"""


def prospects_csv(count: int) -> bytes:
    out = io.StringIO()
    out.write("email,first_name,company,timezone\n")
    for i in range(count):
        out.write(f"buyer{i}@bench{i % 97}.example,Sam{i},Bench Co {i % 97},UTC\n")
    return out.getvalue().encode()


async def bare_smtp(port: int, count: int) -> float:
    """Seconds for `count` sequential SMTP sends over one connection each (as dispatch does)."""
    started = time.perf_counter()
    for i in range(count):
        message = EmailMessage()
        message["From"] = "bench@ledgerline.example"
        message["To"] = f"baseline{i}@bench.example"
        message["Subject"] = "Quick question for Bench Co"
        message.set_content("Hi Sam, a short note about invoice approvals at Bench Co.")
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    return time.perf_counter() - started


def run(prospects: int, broker: str, console: Console) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="cadenza-bench-"))
    stack = Stack(
        StackConfig.ephemeral(workdir, broker=broker, fresh_database=True), progress=lambda m: console.print(f"[green]✓[/green] {m}")
    )
    stack.start()
    try:
        api = httpx.Client(base_url=stack.urls["enrollment"], headers={"X-API-Key": "dev-key-acme"}, timeout=120)
        api.post("/v1/cadences", content=CADENCE).raise_for_status()
        started = time.perf_counter()
        api.post(
            "/v1/enrollments/import",
            params={"cadence_key": "bench-one-touch"},
            files={"file": ("p.csv", prospects_csv(prospects), "text/csv")},
        ).raise_for_status()
        imported = time.perf_counter() - started
        with Progress(console=console) as progress:
            task = progress.add_task("emails at the SMTP sink", total=prospects)
            while True:
                arrived = sum(1 for _ in stack.mail_dir.glob("*.eml"))
                progress.update(task, completed=arrived)
                if arrived >= prospects:
                    break
                if time.perf_counter() - started > 900:
                    raise SystemExit(f"only {arrived} of {prospects} emails after 15 minutes")
                time.sleep(0.2)
        pipeline = time.perf_counter() - started
        baseline = asyncio.run(bare_smtp(stack.config.smtp_port, prospects))
    finally:
        stack.stop()
    table = Table(title=f"{prospects} prospects, one email each ({broker} broker)")
    for column in ("measure", "seconds", "per second"):
        table.add_column(column)
    table.add_row("CSV import (one transaction)", f"{imported:.1f}", f"{prospects / imported:.0f} enrollments/s")
    table.add_row("enroll -> email accepted by SMTP (whole pipeline)", f"{pipeline:.1f}", f"{prospects / pipeline:.0f} emails/s")
    table.add_row("bare SMTP sends, same sink (baseline)", f"{baseline:.1f}", f"{prospects / baseline:.0f} emails/s")
    console.print(table)
    console.print(f"pipeline throughput / bare SMTP throughput = [bold]{baseline / pipeline:.2f}[/bold]")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prospects", type=int, default=1000)
    parser.add_argument("--broker", choices=["embedded", "apache"], default="embedded")
    args = parser.parse_args()
    run(args.prospects, args.broker, Console())
