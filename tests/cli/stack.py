"""A real `sway run` in a subprocess for the supervisor tests: its own data directory and port,
its log in a file, and lookups of the processes it runs (read from /proc, not from its own state
file, so a test sees what is really running)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from shared.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
SWAY = Path(sys.executable).with_name("sway")
T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout_s: float = 90.0) -> T:
    """Poll `check` until it returns something truthy; generous, for a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def cmdline(pid: int) -> list[str] | None:
    """The command line of a live process; None if it is gone or a zombie (reaped or not, a dead
    process: here nobody may reap the orphans of a killed supervisor)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if stat.rsplit(")", 1)[1].split()[0] == "Z":
        return None
    return [part for part in raw.decode(errors="replace").split("\0") if part] or None


def alive(pid: int) -> bool:
    return cmdline(pid) is not None


def children_of(parent: int) -> dict[int, list[str]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent(entry) == parent and (argv := cmdline(int(entry.name))):
            found[int(entry.name)] = argv
    return found


def _parent(proc: Path) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def clean_env(data_dir: Path, port: int) -> dict[str, str]:
    """The test suite's SWAY_* settings (test env, its servers) must not reach `sway run`: it
    starts its own embedded servers under `data_dir`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SWAY_")}
    return {**env, "SWAY_DATA_DIR": str(data_dir), "SWAY_API_PORT": str(port)}


class Stack:
    def __init__(self, data_dir: Path, *, worker: bool = True) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.worker_flag = [] if worker else ["--no-worker"]
        self.log_path = data_dir.parent / f"{data_dir.name}-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.seen: dict[int, list[str]] = {}  # every process of this stack a test looked up

    def start(self) -> "Stack":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SWAY), "run", *self.worker_flag],
                env=clean_env(self.data_dir, self.port),
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_up(self) -> "Stack":
        self.expect(lambda: "press Ctrl-C to stop" in self.log(), "`sway run` to come up")
        self.expect(lambda: self.status("/healthz") == 200, "/healthz")
        return self

    def expect(self, check: Callable[[], T], what: str, timeout_s: float = 90.0) -> T:
        """wait_for, failing at once should `sway run` itself exit meanwhile."""

        def still_running() -> T:
            assert self.process is not None
            if (code := self.process.poll()) is not None:
                raise AssertionError(f"`sway run` exited ({code}) before {what}:\n{self.tail()}")
            return check()

        try:
            return wait_for(still_running, what, timeout_s)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.tail()}") from None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self) -> str:
        return "\n".join(self.log().splitlines()[-40:])

    def status(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def api(self) -> int | None:
        return self._child(lambda argv: "uvicorn" in argv)

    def worker(self) -> int | None:
        return self._child(lambda argv: "arq" in argv)

    def redis(self) -> int | None:
        return self._child(lambda argv: "redis-server" in argv[0])

    def postgres(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data_dir / "pg" / "postmaster.pid").read_text().split()[0])
            if argv := cmdline(pid):
                self.seen[pid] = argv
                return pid
        return None

    def processes(self) -> dict[str, int | None]:
        return {
            "api": self.api(),
            "worker": self.worker(),
            "redis": self.redis(),
            "postgres": self.postgres(),
        }

    def _child(self, matches: Callable[[list[str]], bool]) -> int | None:
        for pid, argv in children_of(self.pid).items():
            if matches(argv):
                self.seen[pid] = argv
                return pid
        return None

    def interrupt(self, timeout_s: float = 90.0) -> int:
        """Ctrl-C, and wait for `sway run` to finish stopping everything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout_s)

    def left_running(self) -> dict[int, list[str]]:
        return {pid: argv for pid, argv in self.seen.items() if cmdline(pid) == argv}

    def cleanup(self) -> None:
        """Whatever a test did or failed to do: nothing of this stack survives it."""
        if self.process is None:
            return
        self.processes()
        if self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.interrupt(60)
            self.process.kill()
            self.process.wait()
        for pid in self.left_running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
