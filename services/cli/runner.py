"""`sway run`: one supervisor process for the whole local stack.

API and worker run as child processes in their own sessions, so Ctrl-C reaches only this
supervisor, which then stops them in order (API, worker, Redis, Postgres) and waits for each:
no orphan processes, and Redis flushes its append-only file before Postgres goes down.

Until then it keeps the stack up: a child or embedded server that dies is restarted, after 1 s,
then 2 s, 4 s … up to 30 s while it keeps dying. One `sway run` per data directory (a lock file);
if one is killed outright, its children get SIGTERM from the kernel (Linux), and the next run stops
whatever is still left, from the pids it recorded under the data directory."""

import asyncio
import contextlib
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Protocol

from rich.console import Console

from services.cli import infra
from services.cli.seed import needs_seed, seed_demo
from shared import migrate as migrations
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.embedded import EmbeddedPostgres, EmbeddedRedis, die_with_parent, stop_process

KEY_FILE = "demo-api-key"
LOCK_FILE = "sway-run.lock"  # flock'ed while a `sway run` lives; holds its pid
STATE_FILE = "sway-run.json"  # the API and worker pids of that run
STOP_TIMEOUT_S = 15
TICK_S = 0.5
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 60.0  # up this long, and the next crash is restarted after BACKOFF_START_S again
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
LEFT = "left running by an earlier, killed `sway run`"
WORKER_ARGS = [sys.executable, "-m", "arq", "services.worker.main.WorkerSettings"]


class _Stop(BaseException):
    """Like KeyboardInterrupt, a BaseException: no `except Exception` may swallow a stop."""


class _Busy(Exception):
    def __init__(self, pid: str) -> None:
        self.pid = pid


def _raise_stop(signum, frame) -> None:
    raise _Stop()


async def _seed_if_empty(database_url: str, redis_url: str | None) -> str | None:
    from arq import create_pool
    from arq.connections import RedisSettings

    engine = create_engine(database_url)
    pool = await create_pool(RedisSettings.from_dsn(redis_url)) if redis_url else None
    try:
        async with unit_of_work(create_sessionmaker(engine), pool) as session:
            if not await needs_seed(session):
                return None
            _, secret = await seed_demo(session)
            return secret
    finally:
        if pool is not None:
            await pool.aclose()
        await engine.dispose()


def _demo_key(data_dir: Path, fresh_key: str | None) -> str | None:
    path = data_dir / KEY_FILE
    if fresh_key:
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(fresh_key + "\n")
        path.chmod(0o600)
        return fresh_key
    return path.read_text().strip() if path.exists() else None


def _lock(data_dir: Path) -> int:
    """Take the data directory for this process; raise _Busy naming the holder if another live
    `sway run` has it. The OS drops a flock when its holder dies, so a killed run never blocks."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)  # no truncate: not ours yet
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode().strip()
        os.close(fd)
        raise _Busy(holder or "?") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _become_subreaper() -> None:
    """Adopt our orphaned grandchildren (Linux): the postmaster, once pg_ctl has started it and
    exited. A killed postmaster is then our zombie to reap, rather than one a container's init may
    never reap, whose pid would keep postgres from starting again."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)


def _reap_adopted(own: set[int]) -> None:
    """Collect adopted processes that have exited (a crashed postmaster's backends). Our own
    children are left to Popen, or to EmbeddedPostgres.restart() for the postmaster."""
    while hasattr(os, "waitid"):
        try:
            exited = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if exited is None or exited.si_pid in own:
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(exited.si_pid, 0)


class RunState:
    """`sway-run.json` under the data directory: name, pid and command line of each child of the
    running supervisor, so that the next run can stop them if this one was killed first."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE
        self.children: dict[str, dict] = {}

    def record(self, name: str, pid: int, argv: list[str]) -> None:
        self.children[name] = {"pid": pid, "argv": argv}
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"supervisor": os.getpid(), "children": self.children}))
        scratch.replace(self.path)  # atomic: a kill mid-write leaves the previous version

    def stop_leftovers(self, console: Console) -> None:
        """Stop each child an earlier, killed run recorded, if its pid still runs the recorded
        command line: a pid the OS has since reused belongs to someone else."""
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            for name, child in json.loads(self.path.read_text())["children"].items():
                pid, argv = child["pid"], child["argv"]
                if stop_process(pid, lambda running, argv=argv: running == argv):
                    console.print(f"stopped {name} (pid {pid}) {LEFT}")
        self.clear()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class _Unit(Protocol):
    name: str

    @property
    def pid(self) -> int | None: ...

    def ended(self) -> str | None:
        """None while it runs, else how it ended."""

    def start(self) -> None:
        """Start it (again)."""


class _Child:
    """The API or the worker, as a child process in its own session."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], state: RunState) -> None:
        self.name, self.args, self.env, self.state = name, args, env, state
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args, env=self.env, start_new_session=True, preexec_fn=die_with_parent()
        )
        self.state.record(self.name, self.process.pid, self.args)

    def ended(self) -> str | None:
        code = self.process.poll() if self.process is not None else None
        if code is None:
            return None
        return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _Server:
    """An embedded Postgres or Redis, watched like a child."""

    def __init__(self, server: EmbeddedPostgres | EmbeddedRedis) -> None:
        self.server = server
        self.name = f"embedded {server.name}"

    @property
    def pid(self) -> int | None:
        return self.server.pid

    def ended(self) -> str | None:
        return None if self.server.running() else "is gone"

    def start(self) -> None:
        self.server.restart()


@dataclass
class _Keeper:
    """Restarts its unit whenever it ends: after 1 s, then twice as long each time up to 30 s,
    and after 1 s again once the unit has stayed up for a minute."""

    unit: _Unit
    delay_s: float = BACKOFF_START_S
    up_since: float = field(default_factory=time.monotonic)
    restart_at: float | None = None

    def tick(self, console: Console) -> None:
        now = time.monotonic()
        if self.restart_at is None:
            self._check(now, console)
        elif now >= self.restart_at:
            self._restart(now, console)

    def _check(self, now: float, console: Console) -> None:
        ended = self.unit.ended()
        if ended is None:
            if now - self.up_since >= STABLE_AFTER_S:
                self.delay_s = BACKOFF_START_S
            return
        console.print(
            f"[red]{self.unit.name} (pid {self.unit.pid}) {ended}; "
            f"restarting in {self.delay_s:g} s[/]"
        )
        self._schedule(now)

    def _schedule(self, now: float) -> None:
        self.restart_at = now + self.delay_s
        self.delay_s = min(self.delay_s * 2, BACKOFF_MAX_S)

    def _restart(self, now: float, console: Console) -> None:
        try:
            self.unit.start()
        except Exception as exc:  # e.g. postgres refusing while the old backends still exit
            console.print(
                f"[red]{self.unit.name} did not start ({type(exc).__name__}: {exc}); "
                f"next try in {self.delay_s:g} s[/]"
            )
            self._schedule(now)
            return
        self.restart_at = None
        self.up_since = time.monotonic()
        console.print(f"[green]{self.unit.name} restarted (pid {self.unit.pid})[/]")


def run(settings: Settings, host: str, port: int, *, with_worker: bool, console: Console) -> int:
    data_dir = settings.data_dir.resolve()
    try:
        lock = _lock(data_dir)
    except _Busy as busy:
        console.print(
            f"[red]another `sway run` (pid {busy.pid}) is using {settings.data_dir}; "
            "stop it first[/]"
        )
        return 1
    try:
        return _run(settings, data_dir, host, port, with_worker, console)
    finally:
        os.close(lock)


def _run(
    settings: Settings, data_dir: Path, host: str, port: int, with_worker: bool, console: Console
) -> int:
    # Installed explicitly: a shell may start us with SIGINT ignored (e.g. in the background).
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    _become_subreaper()
    state = RunState(data_dir)
    try:
        state.stop_leftovers(console)
        with infra.infrastructure(settings) as servers:
            _report_embedded(servers, data_dir, console)
            migrations.upgrade(servers.database_url)
            seeded = asyncio.run(_seed_if_empty(servers.database_url, servers.redis_url))
            key = _demo_key(data_dir, seeded)
            env = {
                **os.environ,
                "SWAY_DATABASE_URL": servers.database_url,
                "SWAY_REDIS_URL": servers.redis_url or "",
                "SWAY_DATA_DIR": str(data_dir),
            }
            children = _children(env, host, port, with_worker, state)
            return _serve(children, servers.embedded_servers, host, port, key, console)
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        if state.children:  # all stopped by now; otherwise leave an earlier run's record be
            state.clear()
        _reap_adopted(set())
        console.print("stopped")


def _report_embedded(servers: infra.Infra, data_dir: Path, console: Console) -> None:
    if servers.embedded:
        console.print(f"embedded {', '.join(servers.embedded)} under {data_dir}")
    for server in servers.embedded_servers:
        if server.stopped_leftover is not None:
            console.print(f"stopped {server.name} (pid {server.stopped_leftover}) {LEFT}")


def _children(
    env: dict[str, str], host: str, port: int, with_worker: bool, state: RunState
) -> list[_Child]:
    api_args = [sys.executable, "-m", "uvicorn", "services.api.main:create_app", "--factory"]
    api_args += ["--host", host, "--port", str(port)]
    children = [_Child("api", api_args, env, state)]
    if with_worker:
        children.append(_Child("worker", WORKER_ARGS, env, state))
    return children


def _serve(
    children: list[_Child],
    servers: tuple[EmbeddedPostgres | EmbeddedRedis, ...],
    host: str,
    port: int,
    key: str | None,
    console: Console,
) -> int:
    """Run API and worker until Ctrl-C, restarting whatever dies; always stop both before
    returning, so Redis and Postgres (stopped by the caller) outlive every client."""
    try:
        for child in children:
            child.start()
        _announce(console, host, port, key)
        _supervise([_Keeper(_Server(s)) for s in servers] + [_Keeper(c) for c in children], console)
    except (KeyboardInterrupt, _Stop):
        console.print("stopping…")
        return 0
    finally:
        # Ignore further signals while shutting down, so a second Ctrl-C cannot orphan anything.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children:  # API first: stop taking requests before the worker goes
            child.stop()


def _announce(console: Console, host: str, port: int, key: str | None) -> None:
    url = f"http://{host}:{port}"
    console.print(f"\n[bold green]Sway is running[/] at {url}  (API docs: {url}/docs)")
    if key:
        console.print(f"demo admin API key: [bold]{key}[/]")
        console.print(f'try: curl -H "Authorization: Bearer {key}" {url}/v1/creators')
    console.print("press Ctrl-C to stop\n")


def _supervise(keepers: list[_Keeper], console: Console) -> NoReturn:
    # Servers come first in `keepers`: a worker restarted in the same tick finds Redis back.
    while True:
        _reap_adopted({pid for keeper in keepers if (pid := keeper.unit.pid) is not None})
        for keeper in keepers:
            keeper.tick(console)
        time.sleep(TICK_S)
