"""A local SMTP server that keeps every message it receives (one .eml file each) for the demo and tests."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class MailStore:
    """Writes each received message to `<dir>/<sequence>.eml`, atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = len(list(self.directory.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self._count += 1
            name = f"{self._count:06d}.eml"
        tmp = self.directory / f".{name}.tmp"
        header = f"X-Cadenza-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp.write_bytes(header + envelope.original_content)
        tmp.rename(self.directory / name)
        return "250 Message accepted for delivery"


def read_mailbox(directory: Path) -> list:
    """Every stored message, parsed, in arrival order."""
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(Path(directory).glob("*.eml"))]


def serve(*, port: int, directory: Path) -> None:
    """Run until SIGTERM/SIGINT."""
    controller = Controller(MailStore(directory), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"SMTP sink listening on 127.0.0.1:{port}, storing to {directory}", flush=True)
    while not stop.is_set():
        time.sleep(0.2)
    controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    serve(port=args.port, directory=args.dir)
