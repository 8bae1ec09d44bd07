"""`sway api --workers 2` for real: two uvicorn processes on one port, against the test
database and Redis, and /metrics counting the requests both of them served."""

import contextlib
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.embedded import free_port
from tests.cli.stack import ROOT, SWAY, children_of, cmdline, wait_for

WORKERS = 2
BATCH = 20
HEALTHZ_COUNT = re.compile(r'^sway_http_requests_total\{[^}]*route="/healthz"[^}]*\} (\S+)$', re.M)


class Api:
    """One `sway api` subprocess; counts every /healthz answer it gets from it."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.healthz_answers = 0
        env = {key: value for key, value in os.environ.items() if not key.startswith("SWAY_")}
        # TMPDIR: where the metrics directory of this start is made, for the test to look at.
        env |= {
            "SWAY_ENV": "test",
            "SWAY_DATABASE_URL": database_url,
            "SWAY_REDIS_URL": redis_url,
            "TMPDIR": str(tmp),
        }
        self.log_path = tmp / "api.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SWAY), "api", "--workers", str(WORKERS), "--host", "127.0.0.1"]
                + ["--port", str(self.port)],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def get(self, path: str) -> tuple[int, str] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, ""
        except OSError:
            return None
        if path == "/healthz":
            self.healthz_answers += 1
        return status, body

    def healthy(self) -> bool:
        assert self.process.poll() is None, self.log_path.read_text(errors="replace")
        return (self.get("/healthz") or (None,))[0] == 200

    def all_started(self) -> bool:
        log = self.log_path.read_text(errors="replace")
        return log.count("Application startup complete") == WORKERS

    def metrics_dirs(self) -> list[Path]:
        return sorted(self.tmp.glob("sway-metrics-*"))

    def serving_pids(self) -> set[str]:
        """The processes that have counted a request: each writes its own counter file."""
        return {
            path.stem.split("_")[-1] for d in self.metrics_dirs() for path in d.glob("counter_*.db")
        }

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)

    def cleanup(self) -> None:
        """However the test ended, no process of this API survives it: a SIGKILLed parent
        would leave its spawned workers running, so ask it to stop them first."""
        if self.process.poll() is not None:
            return
        children = children_of(self.process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.stop()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid, argv in children.items():
            if cmdline(pid) == argv:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def api(tmp_path, database_url, redis_url) -> Iterator[Api]:
    running = Api(tmp_path, database_url, redis_url)
    try:
        yield running
    finally:
        running.cleanup()


def test_metrics_sum_the_requests_of_every_worker(api):
    wait_for(api.healthy, "the API to come up", timeout_s=60)
    wait_for(api.all_started, f"{WORKERS} API processes to start", timeout_s=60)
    (directory,) = api.metrics_dirs()
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Connections are spread over the processes by the kernel: send until both counted.
        for _ in range(100):
            answers = list(pool.map(api.get, ["/healthz"] * BATCH))
            assert all(answer is not None and answer[0] == 200 for answer in answers)
            if len(api.serving_pids()) == WORKERS:
                break
    assert len(api.serving_pids()) == WORKERS

    status, text = api.get("/metrics")

    assert status == 200
    counted = sum(float(value) for value in HEALTHZ_COUNT.findall(text))
    assert counted == api.healthz_answers
    assert api.stop() == 0
    # Removed at the end of the run: the next start begins from zero, not from these files.
    assert not directory.exists()
