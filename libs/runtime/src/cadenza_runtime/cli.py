"""The `cadenza` command: run the whole system locally, migrate schemas, run the demo."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cadenza_runtime.stack import DEFAULT_PORTS, SERVICES, Stack, StackConfig, migrate_all

app = typer.Typer(help="Cadenza: event-driven sales cadence engine (local runtime).", no_args_is_help=True)
console = Console(width=None if Console().is_terminal else 160)


@app.command()
def run(
    broker: Annotated[
        str, typer.Option(help="embedded (Tansu, in memory), apache (local Apache Kafka via Maven) or external (CADENZA_KAFKA_BOOTSTRAP)")
    ] = "embedded",
    workdir: Annotated[Path, typer.Option(help="Where data and logs go")] = Path("var/run"),
    clock_factor: Annotated[float, typer.Option(help="Run time this many times faster (1 = real time)")] = 1.0,
    fresh: Annotated[bool, typer.Option(help="Start from an empty database")] = False,
) -> None:
    """Start PostgreSQL, a Kafka broker, the SMTP sink and the five services; Ctrl-C stops everything."""
    if broker not in ("embedded", "apache", "external"):
        raise typer.BadParameter("embedded, apache or external", param_hint="--broker")
    if broker == "external" and not os.environ.get("CADENZA_KAFKA_BOOTSTRAP"):
        raise typer.BadParameter("set CADENZA_KAFKA_BOOTSTRAP to use an external broker", param_hint="--broker")
    config = StackConfig(
        workdir=workdir,
        broker=broker,
        clock_mode="scaled" if clock_factor != 1.0 else "real",
        clock_factor=clock_factor,
        fresh_database=fresh,
    )
    stack = Stack(config, progress=lambda line: console.print(f"[green]✓[/green] {line}"))
    console.rule("Starting Cadenza")
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # also when started from a shell that ignores SIGINT
    try:
        stack.start()
    except KeyboardInterrupt:
        console.print("interrupted; stopping")
        stack.stop()
        raise typer.Exit(130) from None
    if stopping:
        console.print("interrupted; stopping")
        stack.stop()
        raise typer.Exit(130)
    table = Table(title="Cadenza is running", show_lines=False)
    table.add_column("part")
    table.add_column("where")
    for name in SERVICES:
        table.add_row(name, f"{stack.urls[name]}  (docs: {stack.urls[name]}/docs)")
    table.add_row("PostgreSQL", Stack._redact(stack.database_url))
    table.add_row("Kafka", f"{stack.kafka_bootstrap} ({broker})")
    table.add_row("SMTP sink", f"127.0.0.1:{config.smtp_port} -> {stack.mail_dir}")
    table.add_row("logs", str(stack.logs))
    table.add_row("API keys", config.api_keys)
    console.print(table)
    console.print(
        "Try: [bold]curl -s -H 'X-API-Key: dev-key-acme' --data-binary @examples/cadences/multichannel-18d.yaml "
        f"{stack.urls['enrollment']}/v1/cadences[/bold]"
    )
    console.print("Press Ctrl-C to stop.")
    try:
        while not stopping:
            time.sleep(0.5)
            for name, process in list(stack.processes.items()):
                if process.poll() is not None:
                    console.print(f"[red]{name} exited ({process.returncode}); see {stack.logs / (name + '.log')}[/red]")
                    stopping = True
    except KeyboardInterrupt:
        pass
    console.rule("Stopping")
    stack.stop()
    console.print("stopped cleanly")


@app.command()
def migrate(database_url: Annotated[str | None, typer.Option(envvar="CADENZA_DATABASE_URL", help="PostgreSQL URL")] = None) -> None:
    """Apply every service's migrations (run before the services start)."""
    if not database_url:
        raise typer.BadParameter("give --database-url or set CADENZA_DATABASE_URL", param_hint="--database-url")
    migrate_all(database_url)
    console.print("migrated: " + ", ".join(SERVICES))


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo's data, mail and logs go")] = Path("var/demo"),
    seconds_per_day: Annotated[float, typer.Option(help="Real seconds per virtual day")] = 6.0,
    broker: Annotated[str, typer.Option(help="embedded or apache")] = "embedded",
    start: Annotated[datetime, typer.Option(help="Virtual start instant (UTC)")] = datetime(2027, 3, 15, 0, 0),
) -> None:
    """Run the 18-day multichannel cadence for examples/prospects.csv end to end and print the report."""
    from cadenza_runtime.demo import run_demo

    run_demo(workdir=workdir, seconds_per_day=seconds_per_day, broker=broker, start=start, console=console)


__all__ = ["app", "DEFAULT_PORTS"]
