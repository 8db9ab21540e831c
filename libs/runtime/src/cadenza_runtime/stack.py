"""The whole system on one machine: database, broker, topics, migrations, SMTP sink, five services.

Used by `cadenza run`, the demo and the integration tests, so all three start Cadenza the same way.
Every part can be replaced by an existing one through environment variables
(`CADENZA_DATABASE_URL`, `CADENZA_KAFKA_BOOTSTRAP`).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import httpx

from cadenza_runtime.apache_kafka import ApacheKafkaBroker
from cadenza_runtime.ports import free_port, wait_for_port
from cadenza_runtime.postgres import EmbeddedPostgres
from cadenza_runtime.tansu import EmbeddedKafka

SERVICES = ("enrollment", "scheduling", "dispatch", "classification", "metrics")
DEFAULT_PORTS = {"enrollment": 8001, "scheduling": 8002, "dispatch": 8003, "classification": 8004, "metrics": 8005}


def migrations_dir(service: str) -> Path:
    """Where a service's alembic revisions live (inside its package)."""
    module = importlib.import_module(f"cadenza_{service}")
    assert module.__file__ is not None
    return Path(module.__file__).parent / "migrations"


def migrate_all(database_url: str) -> None:
    """Bring every service's schema to its newest revision."""
    from cadenza_shared.db.migrations import upgrade
    from cadenza_shared.settings import asyncpg_url

    for service in SERVICES:
        upgrade(migrations_dir(service), asyncpg_url(database_url))


@dataclass
class StackConfig:
    """What to start and how; defaults are `make run`'s."""

    workdir: Path
    broker: Literal["embedded", "apache", "external"] = "embedded"
    kafka_bootstrap: str | None = None
    database_url: str | None = None
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    postgres_port: int | None = 55432
    kafka_port: int | None = 19092
    smtp_port: int = 2525
    clock_mode: str = "real"
    clock_factor: float = 1.0
    clock_start: datetime | None = None
    clock_grace_seconds: float = 25.0
    topic_prefix: str = ""
    api_keys: str = "acme:dev-key-acme,globex:dev-key-globex"
    extra_env: dict[str, str] = field(default_factory=dict)
    fresh_database: bool = False

    @classmethod
    def ephemeral(cls, workdir: Path, **overrides) -> StackConfig:
        """Every port picked free: for tests and the demo, next to a running `make run`."""
        ports = {name: free_port() for name in SERVICES}
        return cls(workdir=workdir, ports=ports, postgres_port=None, kafka_port=None, smtp_port=free_port(), **overrides)


class Stack:
    """Starts and stops the parts in order; `urls` holds each service's base URL."""

    def __init__(self, config: StackConfig, *, progress: Callable[[str], None] = lambda _: None) -> None:
        self.config = config
        self.progress = progress
        self.workdir = config.workdir.resolve()
        self.logs = self.workdir / "logs"
        self.mail_dir = self.workdir / "mail"
        self.processes: dict[str, subprocess.Popen] = {}
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedKafka | ApacheKafkaBroker | None = None
        self.database_url: str | None = config.database_url or os.environ.get("CADENZA_DATABASE_URL")
        self.kafka_bootstrap: str | None = config.kafka_bootstrap or (
            os.environ.get("CADENZA_KAFKA_BOOTSTRAP") if config.broker == "external" else None
        )
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in config.ports.items()}
        self.clock_anchor = time.time()

    # -- parts -----------------------------------------------------------------------------------
    def start_database(self) -> str:
        if self.database_url:
            self.progress(f"PostgreSQL: using {self._redact(self.database_url)}")
            return self.database_url
        postgres = EmbeddedPostgres(data_dir=self.workdir / "postgres", port=self.config.postgres_port)
        if self.config.fresh_database:
            postgres.destroy()
        self.postgres = postgres
        url = self.database_url = postgres.start()
        self.progress(f"PostgreSQL 18 (embedded) on 127.0.0.1:{postgres.port}")
        return url

    def start_broker(self) -> str:
        if self.kafka_bootstrap:
            self.progress(f"Kafka: using {self.kafka_bootstrap}")
            return self.kafka_bootstrap
        if self.config.broker == "apache":
            self.progress("Apache Kafka: fetching (cached after the first time) and starting...")
            apache = ApacheKafkaBroker(data_dir=self.workdir / "kafka", port=self.config.kafka_port)
            self.broker = apache
            bootstrap = self.kafka_bootstrap = apache.start()
            self.progress(f"Apache Kafka (KRaft, single node) on {bootstrap}")
        else:
            tansu = EmbeddedKafka(log_dir=self.logs, port=self.config.kafka_port)
            self.broker = tansu
            bootstrap = self.kafka_bootstrap = tansu.start()
            self.progress(f"Kafka-protocol broker (embedded Tansu, in memory) on {bootstrap}")
        return bootstrap

    @property
    def idempotent_producer(self) -> bool:
        """The embedded broker refuses the idempotent producer; every real Kafka gets it."""
        return self.config.broker != "embedded" or self.config.kafka_bootstrap is not None

    def create_topics(self) -> None:
        from cadenza_shared.kafka.admin import ensure_topics

        assert self.kafka_bootstrap, "start the broker first"
        created = asyncio.run(ensure_topics(self.kafka_bootstrap, prefix=self.config.topic_prefix))
        self.progress(f"Topics ready ({len(created)} created)")

    def migrate(self) -> None:
        assert self.database_url, "start the database first"
        migrate_all(self.database_url)
        self.progress("Schemas migrated: " + ", ".join(SERVICES))

    def service_env(self, service: str) -> dict[str, str]:
        assert self.database_url and self.kafka_bootstrap, "start the database and the broker first"
        env = {
            **os.environ,
            "CADENZA_DATABASE_URL": self.database_url,
            "CADENZA_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "CADENZA_KAFKA_IDEMPOTENCE": "true" if self.idempotent_producer else "false",
            "CADENZA_KAFKA_TOPIC_PREFIX": self.config.topic_prefix,
            "CADENZA_API_KEYS": self.config.api_keys,
            "CADENZA_CLOCK_MODE": self.config.clock_mode,
            "CADENZA_CLOCK_FACTOR": str(self.config.clock_factor),
            "CADENZA_CLOCK_ANCHOR": str(self.clock_anchor),
            "CADENZA_DISPATCH_SMTP_HOST": "127.0.0.1",
            "CADENZA_DISPATCH_SMTP_PORT": str(self.config.smtp_port),
            "CADENZA_DISPATCH_ENROLLMENT_URL": self.urls["enrollment"],
            "PYTHONUNBUFFERED": "1",
            **self.config.extra_env,
        }
        if self.config.clock_start is not None:
            env["CADENZA_CLOCK_START"] = self.config.clock_start.isoformat()
        return env

    def start_smtp(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / "smtp.log").open("ab")
        self.processes["smtp"] = subprocess.Popen(
            [sys.executable, "-m", "cadenza_runtime.smtp_sink", "--port", str(self.config.smtp_port), "--dir", str(self.mail_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.config.smtp_port, timeout=20, alive=lambda: self.processes["smtp"].poll() is None)
        self.progress(f"SMTP sink on 127.0.0.1:{self.config.smtp_port} (messages in {self.mail_dir})")

    def start_service(self, service: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{service}.log").open("ab")
        port = self.config.ports[service]
        self.processes[service] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"cadenza_{service}.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "10",
            ],
            env=self.service_env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, service: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = self.urls[service] + "/readyz"
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service} exited with {process.returncode}; see {self.logs / (service + '.log')}:\n{self.log_tail(service)}"
                )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} not ready after {timeout:.0f}s; see {self.logs / (service + '.log')}:\n{self.log_tail(service)}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # -- whole -----------------------------------------------------------------------------------
    def start(self) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_database()
            self.start_broker()
            self.create_topics()
            self.migrate()
            self.start_smtp()
            # a scaled clock stands still until every service is up, so day 1 is whole
            self.clock_anchor = time.time() + (self.config.clock_grace_seconds if self.config.clock_mode == "scaled" else 0)
            for service in SERVICES:
                self.start_service(service)
            for service in SERVICES:
                self.wait_ready(service)
                self.progress(f"{service:<15} ready on {self.urls[service]}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop_service(self, service: str, timeout: float = 20) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        """Services first (they flush their outboxes), then SMTP, broker, database."""
        for service in reversed(SERVICES):
            self.stop_service(service)
        self.stop_service("smtp")
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop(quiet=True)
            self.postgres = None

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @staticmethod
    def _redact(url: str) -> str:
        if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
            scheme, rest = url.split("//", 1)
            user = rest.split(":", 1)[0]
            return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
        return url
