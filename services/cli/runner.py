"""`sway run`: one supervisor process for the whole local stack.

API and worker run as child processes in their own sessions, so Ctrl-C reaches only this
supervisor, which then stops them in order (API, worker, Redis, Postgres) and waits for each:
no orphan processes, and Redis flushes its append-only file before Postgres goes down."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from services.cli import infra
from services.cli.seed import needs_seed, seed_demo
from shared import migrate as migrations
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker, unit_of_work

KEY_FILE = "demo-api-key"
STOP_TIMEOUT_S = 15


class _Stop(Exception):
    pass


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


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, start_new_session=True)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(settings: Settings, host: str, port: int, *, with_worker: bool, console: Console) -> int:
    # Installed explicitly: a shell may start us with SIGINT ignored (e.g. in the background).
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    data_dir = settings.data_dir.resolve()
    try:
        with infra.infrastructure(settings) as servers:
            if servers.embedded:
                console.print(f"embedded {', '.join(servers.embedded)} under {data_dir}")
            migrations.upgrade(servers.database_url)
            seeded = asyncio.run(_seed_if_empty(servers.database_url, servers.redis_url))
            key = _demo_key(data_dir, seeded)
            env = {
                **os.environ,
                "SWAY_DATABASE_URL": servers.database_url,
                "SWAY_REDIS_URL": servers.redis_url or "",
                "SWAY_DATA_DIR": str(data_dir),
            }
            return _serve(env, host, port, with_worker, key, console)
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        console.print("stopped")


def _serve(
    env: dict[str, str], host: str, port: int, with_worker: bool, key: str | None, console: Console
) -> int:
    """Run API and worker until Ctrl-C or until one dies; always stop both before returning,
    so Redis and Postgres (stopped by the caller) outlive every client."""
    children = [
        _spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "services.api.main:create_app",
                "--factory",
                "--host",
                host,
                "--port",
                str(port),
            ],
            env,
        )
    ]
    if with_worker:
        children.append(
            _spawn([sys.executable, "-m", "arq", "services.worker.main.WorkerSettings"], env)
        )
    try:
        _announce(console, host, port, key)
        return _supervise(children, console)
    except (KeyboardInterrupt, _Stop):
        console.print("stopping…")
        return 0
    finally:
        # Ignore further Ctrl-C while shutting down, so a second press cannot orphan anything.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children:  # API first: stop taking requests before the worker goes
            _stop(child, signal.SIGINT)


def _announce(console: Console, host: str, port: int, key: str | None) -> None:
    url = f"http://{host}:{port}"
    console.print(f"\n[bold green]Sway is running[/] at {url}  (API docs: {url}/docs)")
    if key:
        console.print(f"demo admin API key: [bold]{key}[/]")
        console.print(f'try: curl -H "Authorization: Bearer {key}" {url}/v1/creators')
    console.print("press Ctrl-C to stop\n")


def _supervise(children: list[subprocess.Popen], console: Console) -> int:
    while True:
        for child in children:
            code = child.poll()
            if code is not None:
                console.print(f"[red]{child.args[2:4]} exited with {code}; stopping[/]")
                return code or 1
        time.sleep(0.5)
