"""The demo: the canonical 18-day multichannel cadence for examples/prospects.csv, end to end.

Starts its own stack on a scaled clock, loads both cadences, imports the CSV, feeds the example
replies through the inbound endpoint once each prospect got the first email (with the real
Message-ID in In-Reply-To), completes some human tasks, waits until every enrollment of the
outbound cadence has exited, and prints each prospect's path and the per-step metrics.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cadenza_runtime.stack import Stack, StackConfig
from cadenza_shared.clock import ScaledClock

API_KEY = "dev-key-acme"
OUTBOUND = "multichannel-18d"


def _examples() -> Path:
    here = Path.cwd() / "examples"
    if here.exists():
        return here
    return Path(__file__).resolve().parents[4] / "examples"


def _reply_prospect(raw: bytes) -> str | None:
    message = message_from_bytes(raw, policy=policy.default)
    if message.get_content_type() == "multipart/report":
        for part in message.walk():
            if part.get_content_type() == "message/delivery-status":
                text = part.as_string()
                for line in text.splitlines():
                    if line.lower().startswith("final-recipient:"):
                        return line.split(";", 1)[1].strip().lower()
    return message["From"].addresses[0].addr_spec.lower() if message["From"] else None


def _first_mail_ids(mail_dir: Path) -> dict[str, str]:
    ids: dict[str, str] = {}
    for path in sorted(mail_dir.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        to = message["To"].addresses[0].addr_spec.lower() if message["To"] else ""
        ids.setdefault(to, str(message["Message-ID"]))
    return ids


def run_demo(*, workdir: Path, seconds_per_day: float, broker: str, start: datetime, console: Console) -> None:
    """Run the whole scenario and print the report."""
    examples = _examples()
    start = start.replace(tzinfo=start.tzinfo or UTC)
    config = StackConfig.ephemeral(
        workdir,
        broker=broker,
        clock_mode="scaled",
        clock_factor=86400 / seconds_per_day,
        clock_start=start,
        fresh_database=True,
    )
    began = time.monotonic()
    console.rule("Cadenza demo: multichannel-18d for examples/prospects.csv")
    for leftover in (workdir / "mail").glob("*.eml") if (workdir / "mail").exists() else []:
        leftover.unlink()
    stack = Stack(config, progress=lambda line: console.print(f"[green]✓[/green] {line}"))
    stack.start()
    try:
        clock = ScaledClock(virtual_start=start, factor=config.clock_factor, anchor=stack.clock_anchor)
        api = {name: httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) for name, url in stack.urls.items()}
        for name in ("nurture-quarterly.yaml", "multichannel-18d.yaml"):
            response = api["enrollment"].post("/v1/cadences", content=(examples / "cadences" / name).read_bytes())
            response.raise_for_status()
            console.print(
                f"[green]✓[/green] cadence {response.json()['key']} v{response.json()['version']} ({response.json()['steps']} steps)"
            )
        csv_bytes = (examples / "prospects.csv").read_bytes()
        response = api["enrollment"].post(
            "/v1/enrollments/import", params={"cadence_key": OUTBOUND}, files={"file": ("prospects.csv", csv_bytes, "text/csv")}
        )
        response.raise_for_status()
        enrolled = response.json()["enrolled"]
        console.print(f"[green]✓[/green] enrolled {len(enrolled)} prospects at virtual {clock.now():%a %Y-%m-%d %H:%M} UTC")

        replies = {path: path.read_bytes() for path in sorted((examples / "replies").glob("*.eml"))}
        pending_replies = {path: (raw, _reply_prospect(raw)) for path, raw in replies.items()}
        fed: list[tuple[str, str, dict]] = []
        completed_tasks = 0
        expected_days = 32
        with Progress(
            TextColumn("[bold]virtual {task.fields[day]}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("demo", total=expected_days, day="", status="")
            while True:
                now = clock.now()
                elapsed_days = (now - start).total_seconds() / 86400
                rows = api["enrollment"].get("/v1/enrollments", params={"cadence_key": OUTBOUND, "limit": 1000}).json()
                states = {s: sum(1 for r in rows if r["status"] == s) for s in ("active", "paused", "exited")}
                mails = len(list(stack.mail_dir.glob("*.eml")))
                progress.update(
                    task,
                    completed=min(elapsed_days, expected_days),
                    day=f"{now:%a %d %b}",
                    status=f"{states['active']} active · {states['paused']} paused · {states['exited']} exited · {mails} emails · {len(fed)} replies · {completed_tasks} tasks done",
                )
                first_ids = _first_mail_ids(stack.mail_dir)
                # a reply comes after its email was recorded as sent (not in the same millisecond)
                recorded = {r["email"] for r in rows if r["steps_done"] >= 1}
                for path, (raw, prospect) in list(pending_replies.items()):
                    if prospect in first_ids and prospect in recorded:
                        body = raw.replace(b"{{original_message_id}}", first_ids[prospect].encode())
                        response = api["classification"].post("/v1/inbound/email", content=body, headers={"Content-Type": "message/rfc822"})
                        fed.append((path.name, prospect, response.json() if response.status_code == 202 else {"error": response.text}))
                        del pending_replies[path]
                for open_task in api["dispatch"].get("/v1/tasks", params={"status": "open"}).json():
                    if int(open_task["id"].replace("-", ""), 16) % 3 != 0:  # reps get to two tasks out of three
                        outcome = "connected" if open_task["channel"] == "phone" else "done"
                        if api["dispatch"].post(f"/v1/tasks/{open_task['id']}/complete", json={"outcome": outcome}).status_code == 200:
                            completed_tasks += 1
                # done when nothing will move by itself: every enrollment exited or paused for a human
                waiting_for_clock = sum(1 for r in rows if r["status"] == "active" or (r["status"] == "paused" and r["paused_until"]))
                if rows and waiting_for_clock == 0:
                    progress.update(task, completed=expected_days)
                    break
                if elapsed_days > 60:
                    console.print("[red]the cadence did not finish within 60 virtual days; see the logs[/red]")
                    break
                time.sleep(0.5)
        _report(
            console,
            api,
            rows=api["enrollment"].get("/v1/enrollments", params={"cadence_key": OUTBOUND, "limit": 1000}).json(),
            fed=fed,
            stack=stack,
        )
        nurture = len(api["enrollment"].get("/v1/enrollments", params={"cadence_key": "nurture-quarterly", "limit": 1000}).json())
        console.print(
            f"Demo took {time.monotonic() - began:.0f} s real time for {(clock.now() - start).days} virtual days; "
            f"{len(list(stack.mail_dir.glob('*.eml')))} emails arrived at the SMTP sink ({stack.mail_dir}), "
            f"including the first nurture emails of the {nurture} prospects moved to nurture-quarterly."
        )
        console.print(
            "In the step table, 'failed' on human steps counts tasks nobody completed in time (the demo completes "
            "two out of three); 'due' counts timer firings, so a step re-planned after a pause counts twice."
        )
    finally:
        stack.stop()


def _report(console: Console, api: dict[str, httpx.Client], *, rows: list[dict], fed: list, stack: Stack) -> None:
    table = Table(title="Replies fed through the inbound endpoint")
    for column in ("file", "from", "label", "confidence", "matched by", "return date"):
        table.add_column(column)
    for name, prospect, result in fed:
        table.add_row(
            name,
            prospect or "?",
            result.get("label", "error"),
            f"{result.get('confidence', 0):.2f}",
            str(result.get("matched_by")),
            str(result.get("return_date") or ""),
        )
    console.print(table)

    paths = Table(title="Each prospect's path (multichannel-18d)")
    for column in ("prospect", "company", "tz", "steps done", "exit reason"):
        paths.add_column(column)
    for row in sorted(rows, key=lambda r: (r["exit_reason"] or r["status"], r["email"])):
        detail = api["enrollment"].get(f"/v1/enrollments/{row['id']}").json()
        kinds = [h["kind"] for h in detail["history"]]
        extra = " (paused, resumed)" if "resumed" in kinds else ""
        outcome = row["exit_reason"] or f"{row['status']} (waiting for a human)"
        paths.add_row(row["email"], row["company"] or "", row["timezone"], str(row["steps_done"]), f"{outcome}{extra}")
    console.print(paths)

    metrics = api["metrics"].get(f"/v1/cadences/{OUTBOUND}/metrics").json()
    steps = Table(title="Per-step metrics (multichannel-18d)")
    columns = (
        "index",
        "id",
        "channel",
        "due",
        "sent",
        "failed",
        "replies",
        "positive",
        "negative",
        "unsubscribes",
        "bounces_hard",
        "out_of_office",
    )
    for column in columns:
        steps.add_column(column)
    for step in metrics.get("steps", []):
        steps.add_row(*[str(step.get(c, "")) for c in columns])
    console.print(steps)
    cadence = metrics.get("cadence", {})
    console.print(
        {
            k: v
            for k, v in cadence.items()
            if k in ("enrolled", "reply_rate", "positive_reply_rate", "meetings_booked", "exits_by_reason", "below_benchmark")
        }
    )
