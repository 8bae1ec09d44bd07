"""`sway run` under faults, with real processes: kill -9 its children, its servers, itself.

One stack (embedded Postgres and Redis, API, worker) serves the tests of TestRunningStack in
order, the last of which stops it; TestKilledSupervisor starts its own two."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.embedded import EmbeddedRedis
from tests.cli.stack import (
    ROOT,
    SWAY,
    Stack,
    alive,
    children_of,
    clean_env,
    cmdline,
    wait_for,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("supervised") / "data")
    try:
        yield running.start().wait_up()
    finally:
        running.cleanup()


def _restarted(stack: Stack, lookup, old: int) -> int | None:
    pid = lookup()
    return pid if pid is not None and pid != old else None


class TestRunningStack:
    def test_killed_worker_is_restarted_and_the_api_keeps_serving(self, stack):
        api, worker = stack.api(), stack.worker()
        assert api and worker
        os.kill(worker, signal.SIGKILL)
        line = f"worker (pid {worker}) was killed by SIGKILL; restarting in 1 s"
        stack.expect(lambda: line in stack.log(), line)
        stack.expect(lambda: _restarted(stack, stack.worker, worker), "a new worker")
        assert "worker restarted (pid" in stack.log()
        assert stack.api() == api
        assert stack.status("/healthz") == 200

    def test_killed_api_is_restarted(self, stack):
        api = stack.api()
        assert api
        os.kill(api, signal.SIGKILL)
        line = f"api (pid {api}) was killed by SIGKILL; restarting in 1 s"
        stack.expect(lambda: line in stack.log(), line)
        stack.expect(lambda: _restarted(stack, stack.api, api), "a new API process")
        stack.expect(lambda: stack.status("/healthz") == 200, "/healthz from the new API")

    def test_killed_postgres_is_restarted(self, stack):
        postgres = stack.postgres()
        assert postgres
        os.kill(postgres, signal.SIGKILL)
        line = f"embedded postgres (pid {postgres}) is gone; restarting in"
        stack.expect(lambda: line in stack.log(), line)
        stack.expect(lambda: _restarted(stack, stack.postgres, postgres), "a new postmaster")
        stack.expect(lambda: stack.status("/readyz") == 200, "/readyz")

    def test_killed_redis_is_restarted(self, stack):
        redis = stack.redis()
        assert redis
        os.kill(redis, signal.SIGKILL)
        line = f"embedded redis (pid {redis}) is gone; restarting in"
        stack.expect(lambda: line in stack.log(), line)
        stack.expect(lambda: _restarted(stack, stack.redis, redis), "a new redis-server")
        stack.expect(lambda: stack.status("/readyz") == 200, "/readyz")
        # The worker loses Redis too; whether it exits or reconnects, one is running again.
        stack.expect(stack.worker, "a worker")

    def test_second_run_on_the_same_data_dir_is_refused(self, stack):
        second = subprocess.Popen(
            [str(SWAY), "run"],
            env=clean_env(stack.data_dir, stack.port + 1),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = second.communicate(timeout=60)
        finally:
            if second.poll() is None:
                second.send_signal(signal.SIGINT)
                second.wait(60)
        assert second.returncode != 0
        assert f"another `sway run` (pid {stack.pid}) is using {stack.data_dir}" in output
        assert "stop it first" in output
        assert stack.process.poll() is None
        assert stack.status("/healthz") == 200

    def test_ctrl_c_stops_everything_also_after_restarts(self, stack):
        worker = stack.worker()
        assert worker
        os.kill(worker, signal.SIGKILL)
        stack.expect(lambda: _restarted(stack, stack.worker, worker), "a new worker")
        stack.processes()
        assert stack.interrupt() == 0
        assert stack.log().rstrip().endswith("stopped")
        assert stack.left_running() == {}


class TestKilledSupervisor:
    def test_next_run_stops_what_a_killed_one_left(self, tmp_path):
        data_dir = tmp_path / "data"
        first, second = Stack(data_dir), Stack(data_dir)
        decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        try:
            first.start().wait_up()
            left = first.expect(lambda: all((p := first.processes()).values()) and p, "all four")
            # Stopped, API and worker cannot act on the SIGTERM the kernel sends them when their
            # parent dies: leftovers, as where there is no such signal. Postgres gets none anyway.
            for name in ("api", "worker"):
                os.kill(left[name], signal.SIGSTOP)
            first.process.kill()
            first.process.wait()
            wait_for(lambda: not alive(left["redis"]), "redis-server to die with its parent")
            assert all(alive(left[name]) for name in ("api", "worker", "postgres")), left
            _record_reused_pid(data_dir, decoy.pid, cmdline(left["worker"]))

            second.start().wait_up()
            assert not [name for name, pid in left.items() if alive(pid)]
            assert decoy.poll() is None, "a pid that runs another program is not signalled"
            log = second.log()
            for name in ("api", "worker", "postgres"):
                assert f"stopped {name} (pid {left[name]}) left running by" in log
            assert second.status("/readyz") == 200

            second.processes()
            assert second.interrupt() == 0
            assert first.left_running() == {}
            assert second.left_running() == {}
        finally:
            for stack in (second, first):
                for pid in stack.left_running():
                    os.kill(pid, signal.SIGCONT)
                stack.cleanup()
            decoy.kill()
            decoy.wait()


def test_embedded_redis_stops_a_redis_left_on_its_data_dir(tmp_path):
    left = EmbeddedRedis(tmp_path).start()  # as if its owner had died without stop()
    try:
        (first,) = _redis_servers_in(tmp_path)
        fresh = EmbeddedRedis(tmp_path).start()
        try:
            running = _redis_servers_in(tmp_path)
            assert first not in running, "two redis-servers on one append-only file"
            assert running == {fresh.pid}
            assert fresh.stopped_leftover == first
        finally:
            fresh.stop()
    finally:
        left.stop()


def _redis_servers_in(data_dir) -> set[int]:
    """redis-server processes of this test working on `data_dir` (redis-server chdirs to it)."""
    return {
        pid
        for pid, argv in children_of(os.getpid()).items()
        if "redis-server" in argv[0] and Path(f"/proc/{pid}/cwd").resolve() == data_dir.resolve()
    }


def _record_reused_pid(data_dir, pid: int, argv: list[str]) -> None:
    """As if the OS had given a recorded child's pid to another program since."""
    path = data_dir / "sway-run.json"
    state = json.loads(path.read_text())
    state["children"]["reused"] = {"pid": pid, "argv": argv}
    path.write_text(json.dumps(state))
