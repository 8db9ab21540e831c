"""Run a real Apache Kafka 4.x broker locally, with jars fetched by Maven.

Why: integration tests and local development need the real broker (idempotent
producers, transactions, consumer-group commits, durability across restarts),
not a fake. Only package registries are reachable here, so instead of the
release tarball we let Maven resolve ``org.apache.kafka:kafka_2.13`` and its
runtime dependencies (see ``kafka-pom.xml`` beside this file) and start the
broker class directly with ``java -cp <libs>/*``.

The broker runs as a single-node KRaft cluster in combined mode (broker and
controller in one JVM), listening on 127.0.0.1 only.

Command line::

    python -m cadenza_runtime.apache_kafka fetch
    python -m cadenza_runtime.apache_kafka serve --port 9092 --data-dir DIR
    python -m cadenza_runtime.apache_kafka check

Only the standard library is used, except by ``check``, which drives the
broker with aiokafka.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:  # aiokafka is needed only by the `check` command
    from aiokafka import AIOKafkaConsumer

__all__ = [
    "KAFKA_VERSION",
    "ApacheKafkaBroker",
    "fetch_kafka",
    "java_available",
]

#: Kafka release used by default; 4.4.0 also resolves and passes ``check``.
KAFKA_VERSION = "4.1.1"

_POM = Path(__file__).with_name("kafka-pom.xml")
_DEFAULT_CACHE = Path.home() / ".cache" / "cadenza"
_MARKER = ".fetched"
_HOST = "127.0.0.1"
_MAVEN_TIMEOUT = 1800.0
_LOG_TAIL_LINES = 40
_PROBE_GROUP = b"cadenza-readiness"
_RUN_BANNER = "=== cadenza: starting"  # separates runs in the appended broker log
_LOG_ERROR = re.compile(r"^\[[^\]]*\] (ERROR|FATAL) ")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Kafka 4 logs through slf4j -> log4j2. Without a configuration log4j2 prints
# only errors, so the broker log would say nothing useful; this sends INFO to
# stdout, which the broker class redirects into its log file. log4j2's own
# shutdown hook is off: it raced Kafka's, cutting off the shutdown lines and
# warning "Unable to register Log4j shutdown hook" (stdout needs no flushing).
_LOG4J2_PROPERTIES = """\
status = warn
shutdownHook = disable
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def java_available() -> bool:
    """True when both ``java`` and ``mvn`` are on PATH (callers skip otherwise)."""
    return shutil.which("java") is not None and shutil.which("mvn") is not None


def _require_tools() -> None:
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"`{tool}` is not on PATH; running Apache Kafka locally needs Java 17+ and Maven")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock so parallel test workers do not fetch into one folder at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fetch_kafka(version: str = KAFKA_VERSION, cache_dir: Path | None = None) -> Path:
    """Download the broker jars for ``version`` and return the folder holding them.

    The jars land in ``<cache_dir>/kafka-<version>/libs`` (``cache_dir``
    defaults to ``~/.cache/cadenza``). A marker file, written only after Maven
    succeeded, records the hash of the pom used: a half-finished download, or
    one made with an older pom, is wiped and done again; otherwise the call
    does nothing.
    """
    root = Path(cache_dir) if cache_dir is not None else _DEFAULT_CACHE
    home = root / f"kafka-{version}"
    libs = home / "libs"
    marker = home / _MARKER
    pom_text = _POM.read_text(encoding="utf-8")
    stamp = hashlib.sha256(pom_text.encode()).hexdigest()
    with _locked(home / ".lock"):
        if marker.is_file() and marker.read_text(encoding="utf-8") == stamp and any(libs.glob("*.jar")):
            return libs
        _require_tools()
        marker.unlink(missing_ok=True)
        shutil.rmtree(libs, ignore_errors=True)
        pom = home / "pom.xml"
        pom.write_text(pom_text, encoding="utf-8")
        command = [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-Dkafka.version={version}",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ]
        try:
            result = subprocess.run(
                command,
                cwd=home,
                capture_output=True,
                text=True,
                timeout=_MAVEN_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"Maven did not fetch Kafka {version} within {_MAVEN_TIMEOUT:.0f}s") from exc
        if result.returncode != 0 or not any(libs.glob("kafka_2.13-*.jar")):
            tail = _tail((result.stdout or "") + (result.stderr or ""))
            raise RuntimeError(
                f"Maven could not fetch org.apache.kafka:kafka_2.13:{version} (exit {result.returncode}); last lines of its output:\n{tail}"
            )
        marker.write_text(stamp, encoding="utf-8")
    return libs


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    """Last lines of a tool's output, without the colour codes Maven emits even in batch mode."""
    return "\n".join(_ANSI.sub("", text).rstrip().splitlines()[-lines:])


def _free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1, all bound at once so the OS cannot hand out one twice."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in sockets:
            sock.bind((_HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def _random_cluster_id() -> str:
    """A Kafka-style cluster id: a UUID in URL-safe base64 without padding.

    Ids starting with '-' are skipped, as Kafka itself does, because the
    storage tool's argument parser would read them as an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _kafka_request(port: int, api_key: int, api_version: int, body: bytes, timeout: float = 2.0) -> bytes | None:
    """Send one request with a v1 header; return the response body, or None if it failed."""
    client_id = b"cadenza"
    correlation_id = 1
    request = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id + body
    try:
        with socket.create_connection((_HOST, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _recv_exactly(sock, 4))
            response = _recv_exactly(sock, size)
    except (OSError, ConnectionError):
        return None
    if len(response) < 4 or struct.unpack_from(">i", response)[0] != correlation_id:
        return None
    return response[4:]


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        chunks += chunk
    return bytes(chunks)


def _metadata_ready(port: int) -> bool:
    """True once a Metadata request (v4, no topics) lists at least one broker.

    v4 is old enough to be served by every Kafka 4.x and new enough to avoid
    the "flexible" encoding, which keeps the hand-written frames small.
    """
    # topics: empty array (none asked for); allow_auto_topic_creation: false
    body = struct.pack(">ib", 0, 0)
    response = _kafka_request(port, api_key=3, api_version=4, body=body)
    if response is None or len(response) < 8:
        return False
    # The body starts with throttle_time_ms, then the brokers array's length.
    broker_count: int = struct.unpack_from(">i", response, 4)[0]
    return broker_count >= 1


def _group_coordinator_ready(port: int) -> bool:
    """True once consumer groups work: the offsets topic exists and its offsets are loaded.

    Kafka creates ``__consumer_offsets`` only on the first FindCoordinator, so
    the first consumer group of a fresh broker would meet "coordinator not
    available" retries (logged by aiokafka as errors); asking here creates it
    during start-up instead. After a restart Kafka answers OffsetFetch with a
    group-level NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for a moment;
    aiokafka ignores that group-level error and reports "no committed
    offset", so a test reading offsets right after a restart would see them
    missing. Hence the wait for a clean OffsetFetch (v3, all topics) for a
    group that never commits: no topics and error 0.
    """
    group = struct.pack(">h", len(_PROBE_GROUP)) + _PROBE_GROUP
    # FindCoordinator v1: key, key_type 0 (group); the reply starts with throttle, error.
    found = _kafka_request(port, api_key=10, api_version=1, body=group + b"\x00")
    if found is None or len(found) < 6 or struct.unpack_from(">h", found, 4)[0] != 0:
        return False
    # OffsetFetch v3: group_id, topics null (all).
    response = _kafka_request(port, api_key=9, api_version=3, body=group + struct.pack(">i", -1))
    if response is None or len(response) < 10:
        return False
    topics: int
    error_code: int
    _throttle_ms, topics, error_code = struct.unpack_from(">iih", response)
    return topics == 0 and error_code == 0


class ApacheKafkaBroker:
    """A single-node KRaft Kafka broker+controller running as a child JVM.

    Storage lives in ``data_dir``: starting again on the same folder keeps the
    topics, messages and committed offsets, which is what durability tests
    need. Ports are chosen at the first start (free ones when ``port`` is
    None) and kept for later starts, so clients can reconnect to the same
    address after a restart. The quorum is static (``controller.quorum.voters``),
    which stores no endpoints in the metadata log, so even a new instance on
    the same folder with other ports starts cleanly.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        port: int | None = None,
        version: str = KAFKA_VERSION,
        heap: str = "512m",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.controller_port: int | None = None
        self.version = version
        self.heap = heap
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The "127.0.0.1:<port>" address clients connect to (known once started)."""
        if self.port is None:
            raise RuntimeError("the broker has not been started yet, so it has no port")
        return f"{_HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """File that receives the JVM's stdout and stderr (the broker's log)."""
        return self.data_dir / "broker.log"

    @property
    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 90) -> str:
        """Fetch the jars if needed, format storage once, start the JVM, wait until it serves.

        "Serves" means a Metadata request lists the broker and consumer groups
        work, with any committed offsets loaded again after a restart.

        Returns the bootstrap address. Raises RuntimeError with the end of the
        broker log if the process exits or is not ready within ``timeout``
        seconds.
        """
        if self.running:
            raise RuntimeError(f"the broker is already running at {self.bootstrap_servers}")
        libs = fetch_kafka(self.version)
        if self.port is None:
            self.port, self.controller_port = _free_ports(2)
        elif self.controller_port is None:
            # Of two distinct free ports at least one differs from the chosen one.
            self.controller_port = next(p for p in _free_ports(2) if p != self.port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        classpath = f"{libs}/*"
        self._format_storage(classpath, config)

        log = self.log_path.open("ab")
        log.write(f"\n{_RUN_BANNER} Kafka {self.version} on {self.bootstrap_servers}\n".encode())
        log.flush()
        try:
            self._process = subprocess.Popen(
                [*self._java(classpath), "kafka.Kafka", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,  # own process group: signals reach the JVM only
            )
        finally:
            log.close()  # the child holds its own copy of the descriptor

        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise RuntimeError(f"Kafka exited with code {code} during start-up:\n{self._log_report()}")
            if _metadata_ready(self.port) and _group_coordinator_ready(self.port):
                return self.bootstrap_servers
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Kafka was not ready on {self.bootstrap_servers} within {timeout:.0f}s:\n{self._log_report()}")
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the broker (a clean, controlled shutdown), then SIGKILL after ``timeout``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def _log_dir(self) -> Path:
        return self.data_dir / "kafka-logs"

    def _java(self, classpath: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp",
            classpath,
        ]

    def _write_config(self) -> Path:
        """Write server.properties (and the log4j2 config) for the current ports."""
        (self.data_dir / "log4j2.properties").write_text(_LOG4J2_PROPERTIES, encoding="utf-8")
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{_HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{_HOST}:{self.port},CONTROLLER://{_HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{_HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self._log_dir),
            "num.partitions": "3",
            # One offsets partition (as Testcontainers does): it is created
            # quickly, and the readiness probe's group then covers every group.
            "offsets.topic.num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        path = self.data_dir / "server.properties"
        path.write_text(
            "".join(f"{key}={value}\n" for key, value in settings.items()),
            encoding="utf-8",
        )
        return path

    def _format_storage(self, classpath: str, config: Path) -> None:
        """Format the log folder with a new cluster id, unless an earlier start already did."""
        if (self._log_dir / "meta.properties").is_file():
            return
        result = subprocess.run(
            [
                *self._java(classpath),
                "kafka.tools.StorageTool",
                "format",
                "--config",
                str(config),
                "--cluster-id",
                _random_cluster_id(),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"Kafka's storage tool could not format {self._log_dir} (exit {result.returncode}):\n{_tail(result.stdout + result.stderr)}"
            )

    def _log_report(self) -> str:
        """The current run's first errors and last lines, so a failed start explains itself.

        Java stack traces are long, so the tail alone often ends in shutdown
        chatter; the first ERROR lines usually name the cause (a busy port,
        a bad setting).
        """
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return f"(no broker log at {self.log_path})"
        run = text.rpartition(_RUN_BANNER)[2]
        errors = [line for line in run.splitlines() if _LOG_ERROR.match(line)]
        report = f"first errors in {self.log_path}:\n" + "\n".join(errors[:3]) + "\n" if errors else ""
        return f"{report}last lines of {self.log_path}:\n{_tail(run)}"


def _serve(args: argparse.Namespace) -> int:
    """Run a broker in the foreground until Ctrl-C or SIGTERM, then stop it cleanly."""
    stop_requested = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop_requested.set())
    broker = ApacheKafkaBroker(data_dir=args.data_dir, port=args.port, version=args.kafka_version)
    print(broker.start(), flush=True)
    try:
        while not stop_requested.wait(1.0):
            if not broker.running:
                print(f"Kafka exited unexpectedly; see {broker.log_path}", file=sys.stderr)
                return 1
    finally:
        broker.stop()
    return 0


_CHECK_TOPIC = "cadenza.check"
_CHECK_GROUP = "cadenza-check"
_CHECK_PARTITIONS = 3
_CHECK_COUNT = 100


def _check(args: argparse.Namespace) -> int:
    """Prove the broker works end to end and keeps data and offsets across a restart."""
    import asyncio

    with tempfile.TemporaryDirectory(prefix="cadenza-kafka-check-") as tmp:
        broker = ApacheKafkaBroker(data_dir=Path(tmp), version=args.kafka_version)
        try:
            began = time.monotonic()
            broker.start()
            first_start = time.monotonic() - began
            asyncio.run(_check_before_restart(broker.bootstrap_servers))
            broker.stop()
            began = time.monotonic()
            broker.start()
            restart = time.monotonic() - began
            asyncio.run(_check_after_restart(broker.bootstrap_servers))
        except Exception as exc:  # noqa: BLE001 - any failure is the one-line result, exit 1
            print(f"FAILED: Kafka {args.kafka_version}: {type(exc).__name__}: {exc}")
            return 1
        finally:
            broker.stop()
    print(
        f"OK: Kafka {args.kafka_version}: {_CHECK_COUNT} idempotent messages on {_CHECK_PARTITIONS} "
        f"partitions and the group's committed offsets survived a restart "
        f"(start {first_start:.1f}s, restart {restart:.1f}s)"
    )
    return 0


async def _check_before_restart(bootstrap: str) -> None:
    """Create the topic, produce idempotently with acks=all, consume in a group and commit."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(_CHECK_TOPIC, _CHECK_PARTITIONS, 1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for i in range(_CHECK_COUNT):
            await producer.send(_CHECK_TOPIC, key=f"k{i}".encode(), value=str(i).encode())
        await producer.flush()
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        _CHECK_TOPIC,
        bootstrap_servers=bootstrap,
        group_id=_CHECK_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        values = await _drain(consumer)
        await consumer.commit()
    finally:
        await consumer.stop()
    _expect_all(values, "before the restart")


async def _check_after_restart(bootstrap: str) -> None:
    """The group's committed offsets equal the log ends, and every message is still readable."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    partitions = [TopicPartition(_CHECK_TOPIC, p) for p in range(_CHECK_PARTITIONS)]
    group = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=_CHECK_GROUP, enable_auto_commit=False)
    await group.start()
    try:
        committed = [await group.committed(tp) for tp in partitions]
        end_offsets = await group.end_offsets(partitions)
    finally:
        await group.stop()
    if committed != [end_offsets[tp] for tp in partitions] or sum(committed) != _CHECK_COUNT:
        raise AssertionError(
            f"after the restart the committed offsets are {committed} and the log ends "
            f"{[end_offsets[tp] for tp in partitions]}; expected equal lists adding up to {_CHECK_COUNT}"
        )

    reader = AIOKafkaConsumer(_CHECK_TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await reader.start()
    try:
        values = await _drain(reader)
    finally:
        await reader.stop()
    _expect_all(values, "after the restart")


async def _drain(consumer: AIOKafkaConsumer, timeout: float = 30.0) -> list[int]:
    """Read until all check messages arrived (or ``timeout`` passed)."""
    values: list[int] = []
    deadline = time.monotonic() + timeout
    while len(values) < _CHECK_COUNT and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        values.extend(int(record.value) for records in batches.values() for record in records)
    return values


def _expect_all(values: list[int], when: str) -> None:
    if sorted(values) != list(range(_CHECK_COUNT)):
        raise AssertionError(f"read {len(values)} messages {when}, expected each of 0..{_CHECK_COUNT - 1} once")


def _fetch(args: argparse.Namespace) -> int:
    print(fetch_kafka(args.kafka_version))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m cadenza_runtime.apache_kafka``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cadenza_runtime.apache_kafka",
        description="Fetch and run a local single-node Apache Kafka broker (KRaft).",
    )
    parser.add_argument(
        "--kafka-version",
        default=KAFKA_VERSION,
        help=f"Kafka release (default {KAFKA_VERSION})",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the broker jars and print their folder")
    serve = commands.add_parser("serve", help="run a broker until Ctrl-C or SIGTERM")
    serve.add_argument(
        "--port",
        type=int,
        default=9092,
        help="PLAINTEXT port on 127.0.0.1 (default 9092)",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="folder for the broker's storage and log",
    )
    commands.add_parser("check", help="start, produce, consume, restart and verify durability")
    args = parser.parse_args(argv)
    command = {"fetch": _fetch, "serve": _serve, "check": _check}[args.command]
    try:
        return command(args)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
