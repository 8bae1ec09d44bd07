"""Ingestion benchmark (issue: 100,000 posts): tracked posts refreshed by one real arq worker
against the local fake platform server, and the snapshot write stage against raw asyncpg COPY of
the same rows, measured in the same run.

    python -m bench.run ingest [--posts 100000] [--write-rows 100000] [--rounds 3]
                               [--max-jobs N] [--workers 1] [--batch-limit N] [--timeout 600]
                               [--worker-settings PATH] [--py-spy PATH] [--skip-write]
                               [--write-docs]

End to end: an embedded Postgres of its own (.sway/bench/pg-ingest, database sway_ingest_bench
recreated each run) and a non-persistent embedded Redis; seeded by COPY with one organization,
1,000 creators, 1,000 YouTube accounts (no credentials: the app's API key) and 1,000 X accounts
(encrypted Bearer tokens, 4 distinct credential keys), and half of --posts on each platform, all
`tracking` and already due. The fake platform server runs in its own process, and so does one
worker (`python -m arq services.worker.main.WorkerSettings`, its default max_jobs unless
--max-jobs). The worker's own `post.schedule` cron (run at startup, then every 10 s) claims the
due posts and enqueues the batches, so claim, enqueue, budget, platform calls and writes are all
the worker's. Budgets are raised so they never throttle, and the scheduler's per-tick claim limit
is raised to --posts (the default 20,000 per 10 s tick would cap any worker at 2,000 posts/s). Done
= every post has last_refreshed_at, polled every 0.5 s; the exact end is the last snapshot's
captured_at. Calls per post come from the fake's /_stats; peak memory is the worker's VmHWM.

Write stage, after the worker has stopped: the same rows (--write-rows snapshots of the seeded
posts, YouTube counts in batches of 50, X counts in batches of 100) written by (a) raw asyncpg
`copy_records_to_table`, all rows in one transaction and one transaction per batch; (b)
`IngestRepository.insert_snapshots` alone in one `unit_of_work` per batch (the like-for-like of
COPY); (c) `ingest.record_batch` in one `unit_of_work` per batch (insert the snapshots, update
the posts' latest counts); (b) and (c) on one connection and on 20 at once (the worker's job
slots); (d) 20 concurrent jobs handing their batches to the worker's `BatchWriter`, exactly the
job's write. Every write has its own captured_at, so nothing conflicts; rounds are interleaved
and the median reported. Raw results go to bench/.out/ingest.json."""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psutil

from bench import report
from shared.db import asyncpg_dsn
from shared.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, wipe

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".sway" / "bench"
OUT = ROOT / "bench" / ".out"
DATABASE = "sway_ingest_bench"
# Its own cluster, not api_read's .sway/bench/pg: that benchmark's connection pools can take all
# 100 of a cluster's connections, and a shared cluster would mix the two runs' Postgres CPU.
PG_DIR = "pg-ingest"
TITLE = "Ingestion (issue: 100,000 posts)"
ACCOUNTS_PER_PLATFORM = 1_000
X_TOKENS = 4
DAY = 86_400
# So high that no take ever waits: the budget's Lua round trip is still paid per job.
UNTHROTTLED = "1000000000/1"
# Concurrent batch writers: as many as one worker's job slots (SWAY_WORKER_MAX_JOBS's default).
WRITE_CONCURRENCY = 20
WORKER_SETTINGS = "services.worker.main.WorkerSettings"
PLATFORM_PATHS = {"youtube": "GET /videos", "x": "GET /tweets"}


@dataclass(frozen=True, slots=True)
class SeededPost:
    id: UUID
    platform: str
    external_id: str
    account_id: UUID
    published_at: datetime


@dataclass(frozen=True)
class Seeded:
    org_id: UUID
    posts: list[SeededPost]


# Seeding --------------------------------------------------------------------------------------


def _external_ids(posts_per_account: int, now: int) -> dict[str, list[list[tuple[str, int]]]]:
    """Per platform, per account: (external id, publish time) the fake server accepts, one post a
    day back from yesterday. YouTube ids are 11 URL-safe characters and X ids numeric, both
    encoding the publish time, as the fake's own listings do; none contains "gone", which the
    fake treats as deleted."""
    from bench.fake_platforms.core import numeric_id, youtube_id

    makers = {"youtube": youtube_id, "x": numeric_id}
    ids: dict[str, list[list[tuple[str, int]]]] = {}
    for platform, make in makers.items():
        per_account = []
        for account in range(ACCOUNTS_PER_PLATFORM):
            key = f"bench-{platform}-{account}"
            # Spread within the day so accounts do not all publish at the same second.
            first = now - DAY - account * 37
            per_account.append(
                [(make(key, first - n * DAY), first - n * DAY) for n in range(posts_per_account)]
            )
        flat = [external_id for account in per_account for external_id, _ in account]
        if len(set(flat)) != len(flat) or any("gone" in external_id for external_id in flat):
            raise RuntimeError(f"{platform}: seeded external ids collide or look deleted")
        ids[platform] = per_account
    return ids


async def seed(database_url: str, posts: int, secret_key: str) -> Seeded:
    """Bulk-load the tenant with COPY: fast, and none of it is measured."""
    import asyncpg

    from shared.crypto import encrypt_credentials
    from shared.db import new_id
    from shared.domain.post import schedule
    from shared.models.creator_account import handle_key
    from shared.platforms.base import Credentials

    if posts % (2 * ACCOUNTS_PER_PLATFORM):
        raise SystemExit(f"--posts must be a multiple of {2 * ACCOUNTS_PER_PLATFORM}")
    per_account = posts // (2 * ACCOUNTS_PER_PLATFORM)
    now = int(time.time())
    external = _external_ids(per_account, now)
    tokens = [Credentials(access_token=f"bench-x-token-{n}") for n in range(X_TOKENS)]
    # One ciphertext per token is enough: every account of a token decrypts to the same creds.
    sealed = [(encrypt_credentials(c, secret_key), c.key) for c in tokens]

    org_id = new_id()
    creators, accounts, post_rows, seeded = [], [], [], []
    due = datetime.fromtimestamp(now - 60, UTC)
    for n in range(ACCOUNTS_PER_PLATFORM):
        creator_id = new_id()
        creators.append((creator_id, org_id, f"Bench creator {n:04d}", [], []))
        for platform in ("youtube", "x"):
            account_id = new_id()
            creds, key = sealed[n % X_TOKENS] if platform == "x" else (None, None)
            accounts.append(
                (
                    account_id,
                    org_id,
                    creator_id,
                    platform,
                    f"bench{n:04d}",
                    handle_key(f"bench{n:04d}"),
                    f"bench-{platform}-{n}",
                    "ok",
                    creds,
                    key,
                )
            )
            for external_id, stamp in external[platform][n]:
                post = SeededPost(
                    new_id(), platform, external_id, account_id, datetime.fromtimestamp(stamp, UTC)
                )
                seeded.append(post)
                post_rows.append(
                    (
                        post.id,
                        org_id,
                        account_id,
                        creator_id,
                        platform,
                        external_id,
                        "video" if platform == "youtube" else "tweet",
                        post.published_at,
                        "tracking",
                        0,
                        "api",
                        due,
                    )
                )

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO organization (id, name, default_currency, settings) "
                "VALUES ($1, 'Ingest Bench', 'USD', '{}'::jsonb)",
                org_id,
            )
            await connection.copy_records_to_table(
                "creator", records=creators, columns=["id", "org_id", "name", "niches", "tags"]
            )
            await connection.copy_records_to_table(
                "creator_account",
                records=accounts,
                columns=[
                    "id",
                    "org_id",
                    "creator_id",
                    "platform",
                    "handle",
                    "handle_key",
                    "external_id",
                    "sync_status",
                    "credentials_encrypted",
                    "credential_key",
                ],
            )
            await connection.copy_records_to_table(
                "post",
                records=post_rows,
                columns=[
                    "id",
                    "org_id",
                    "account_id",
                    "creator_id",
                    "platform",
                    "external_id",
                    "kind",
                    "published_at",
                    "status",
                    "missing_count",
                    "source",
                    "next_refresh_at",
                ],
            )
            # The schedule rows the application writes with each post.
            await connection.execute(schedule.SYNC_ALL.text)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return Seeded(org_id, seeded)


# Processes ------------------------------------------------------------------------------------


class Child:
    """A subprocess with its log file, CPU accounting and a polite stop."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log_path = log
        self.log = log.open("w")
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.ps = psutil.Process(self.process.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self, timeout_s: float = 20) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the kernel's high-water mark of the process's resident set."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def process_cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def tree_cpu_s(pid: int) -> float:
    """CPU of a process, of its children already reaped and of its live children: for the
    postmaster, every backend (the cluster is this benchmark's alone)."""
    root = psutil.Process(pid)
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        with suppress(psutil.NoSuchProcess):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total


def http_json(url: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_for_fake(root: str, fake: Child, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not fake.alive():
            raise RuntimeError(f"fake platform server exited; see {fake.log_path}")
        try:
            http_json(root + "/_stats")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"fake platform server not ready within {timeout_s}s")


def git_head() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return found.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return report.commit()


# End to end -----------------------------------------------------------------------------------


async def _poll_until_refreshed(
    database_url: str,
    total: int,
    workers: list[Child],
    timeout_s: float,
    on_tick: Callable[[], None],
) -> tuple[dict[str, int], list[tuple[float, int]]]:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    progress: list[tuple[float, int]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            rows = await connection.fetch(
                "SELECT platform, count(last_refreshed_at) AS done FROM post GROUP BY platform"
            )
            done = {row["platform"]: row["done"] for row in rows}
            progress.append((time.time(), sum(done.values())))
            on_tick()
            if sum(done.values()) >= total:
                return done, progress
            for worker in workers:
                if not worker.alive():
                    raise RuntimeError(f"a worker exited early; see {worker.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"only {sum(done.values())} of {total} posts refreshed "
                    f"within {timeout_s:g}s; see {workers[0].log_path}"
                )
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def _sessions(database_url: str) -> int:
    """Connections ever opened to the database (pg_stat_database.sessions), this one included."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
    finally:
        await connection.close()


async def _db_times(database_url: str) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT count(*) AS snapshots, min(captured_at) AS first, max(captured_at) AS last "
            "FROM post_snapshot"
        )
        statuses = await connection.fetch("SELECT status, count(*) FROM post GROUP BY status")
    finally:
        await connection.close()
    return {
        "snapshots": row["snapshots"],
        "first_snapshot": row["first"].timestamp(),
        "last_snapshot": row["last"].timestamp(),
        "statuses": {r["status"]: r["count"] for r in statuses},
    }


async def _job_results(redis_url: str) -> dict[str, Any]:
    """arq keeps each job's result (enqueue, start and finish times) for an hour."""
    from arq import create_pool
    from arq.connections import RedisSettings

    from shared import jobs as job_names

    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        results = await pool.all_job_results()
    finally:
        await pool.aclose()
    refresh = [r for r in results if r.function == job_names.REFRESH_POSTS]
    if not refresh:
        raise RuntimeError("no refresh job results in Redis")
    durations = sorted((r.finish_time - r.start_time).total_seconds() for r in refresh)
    return {
        "refresh_jobs": len(refresh),
        "failed": sum(not r.success for r in refresh),
        "retried": sum(r.job_try > 1 for r in refresh),
        "outcomes": sorted({str(r.result).split(" ")[0] for r in refresh}),
        "first_enqueue": min(r.enqueue_time for r in refresh).timestamp(),
        "last_enqueue": max(r.enqueue_time for r in refresh).timestamp(),
        "first_start": min(r.start_time for r in refresh).timestamp(),
        "last_finish": max(r.finish_time for r in refresh).timestamp(),
        "job_s_p50": durations[len(durations) // 2],
        "job_s_p95": durations[int(len(durations) * 0.95)],
        "job_s_mean": statistics.fmean(durations),
    }


def end_to_end(
    args,
    seeded: Seeded,
    database_url: str,
    redis_url: str,
    postgres_pid: int,
    redis_pid: int,
    secret_key: str,
) -> dict[str, Any]:
    from bench.fake_platforms import base_urls

    total = len(seeded.posts)
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        fake = Child(
            "fake",
            [sys.executable, "-m", "bench.fake_platforms", "--port", str(port)],
            {},
            OUT / "ingest.fake.log",
        )
        stack.callback(fake.stop)
        wait_for_fake(root, fake)
        http_json(root + "/_control", {"reset_stats": True})

        env = {
            **base_urls(root),
            "SWAY_ENV": "dev",
            "SWAY_DATABASE_URL": database_url,
            "SWAY_REDIS_URL": redis_url,
            "SWAY_SECRET_KEY": secret_key,
            "SWAY_YOUTUBE_API_KEY": "bench-youtube-key",
            "SWAY_BUDGET_YOUTUBE": UNTHROTTLED,
            "SWAY_BUDGET_X": UNTHROTTLED,
            "SWAY_SCHEDULER_BATCH_LIMIT": str(args.batch_limit or total),
        }
        if args.max_jobs:
            env["SWAY_WORKER_MAX_JOBS"] = str(args.max_jobs)
        cpu_before = {
            "fake": fake.cpu_s(),
            "postgres": tree_cpu_s(postgres_pid),
            "redis": process_cpu_s(redis_pid),
        }
        sessions_before = asyncio.run(_sessions(database_url))
        started = time.time()
        # More worker processes on the same Redis and database share the queue and the due posts.
        workers = [
            Child(
                "worker",
                [sys.executable, "-m", "arq", args.worker_settings],
                env,
                OUT / ("ingest.worker.log" if n == 0 else f"ingest.worker{n + 1}.log"),
            )
            for n in range(args.workers)
        ]
        for child in workers:
            stack.callback(child.stop)
        worker = workers[0]
        profiler = None
        if args.py_spy:
            profiler = subprocess.Popen(
                [
                    args.py_spy,
                    "record",
                    "--pid",
                    str(worker.pid),
                    "--rate",
                    "200",
                    "--format",
                    "speedscope",
                    "--output",
                    str(OUT / "ingest.worker.speedscope.json"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        rss_samples: list[float] = []

        def sample() -> None:
            with suppress(psutil.NoSuchProcess):
                rss_samples.append(max(w.ps.memory_info().rss for w in workers) / 2**20)

        pids = ", ".join(str(w.pid) for w in workers)
        print(f"ingest: worker(s) {pids} started; waiting for {total:,} posts", flush=True)
        done, progress = asyncio.run(
            _poll_until_refreshed(database_url, total, workers, args.timeout, sample)
        )
        polled_done = time.time()
        peak_mb = max(peak_rss_mb(w.pid) for w in workers)
        cpu = {
            "worker": sum(w.cpu_s() for w in workers),
            "fake": fake.cpu_s() - cpu_before["fake"],
            "postgres": tree_cpu_s(postgres_pid) - cpu_before["postgres"],
            "redis": process_cpu_s(redis_pid) - cpu_before["redis"],
        }
        stats = http_json(root + "/_stats")
        # Connections opened meanwhile, less the poller and this reading: pool overflow churns.
        sessions = asyncio.run(_sessions(database_url)) - sessions_before - 2
        for child in workers:
            child.stop()
        if profiler is not None:
            try:
                profiler.wait(60)  # py-spy writes its profile when the worker exits
            except subprocess.TimeoutExpired:
                profiler.kill()
                profiler.wait()

    times = asyncio.run(_db_times(database_url))
    jobs = asyncio.run(_job_results(redis_url))
    wall_s = times["last_snapshot"] - started
    refresh_s = times["last_snapshot"] - jobs["first_enqueue"]
    per_platform = {}
    for platform, path in PLATFORM_PATHS.items():
        entry = stats["platforms"].get(platform, {"requests": 0, "paths": {}, "items": 0})
        calls = entry["paths"].get(path, 0)
        posts = done.get(platform, 0)
        per_platform[platform] = {
            "posts": posts,
            "calls": calls,
            "other_requests": entry["requests"] - calls,
            "calls_per_post": calls / posts if posts else None,
            "ids_per_call": entry["items"] / calls if calls else None,
        }
    return {
        "posts": total,
        "workers": args.workers,
        "refreshed": sum(done.values()),
        "wall_s": wall_s,
        "posts_per_s": total / wall_s,
        "refresh_phase_s": refresh_s,
        "refresh_posts_per_s": total / refresh_s,
        # Process start, startup, the claim of every post and its commit: the cron keeps no
        # result, so its first enqueued batch marks the end of the claim.
        "spawn_to_first_enqueue_s": jobs["first_enqueue"] - started,
        "enqueue_span_s": jobs["last_enqueue"] - jobs["first_enqueue"],
        "polled_done_s": polled_done - started,
        "platforms": per_platform,
        "fake_total_requests": stats["total_requests"],
        "jobs": jobs,
        "db": times,
        "peak_rss_mb": peak_mb,
        "new_pg_connections": sessions,
        "rss_sampled_max_mb": max(rss_samples, default=0.0),
        "cpu_s": cpu,
        "cpu_pct_of_wall": {k: 100 * v / wall_s for k, v in cpu.items()},
        "progress": progress,
    }


# Write stage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteBatch:
    platform: str
    posts: list  # BatchPost
    results: dict  # external id -> PostStats


def write_batches(seeded: Seeded, rows: int) -> list[WriteBatch]:
    """`rows` snapshots of the seeded posts, in the batches the scheduler would make: YouTube 50
    and X 100 ids per batch, with the counts each platform reports (the fake's own numbers)."""
    from bench.fake_platforms.core import post_counts
    from shared.domain.post.ingest_repository import BatchPost
    from shared.platforms.base import PostStats

    now = time.time()
    by_platform: dict[str, list[SeededPost]] = {"youtube": [], "x": []}
    for post in seeded.posts[:rows]:
        by_platform[post.platform].append(post)
    batches = []
    for platform, size in (("youtube", 50), ("x", 100)):
        posts = by_platform[platform]
        for start in range(0, len(posts), size):
            chunk = posts[start : start + size]
            results = {}
            for post in chunk:
                c = post_counts(post.external_id, now)
                results[post.external_id] = (
                    PostStats(views=c.views, likes=c.likes, comments=c.comments)
                    if platform == "youtube"
                    else PostStats(
                        impressions=c.impressions,
                        likes=c.likes,
                        comments=c.comments,
                        shares=c.shares,
                        saves=c.saves,
                    )
                )
            batches.append(
                WriteBatch(
                    platform,
                    [
                        BatchPost(
                            p.id, p.external_id, p.account_id, None, p.published_at, p.published_at
                        )
                        for p in chunk
                    ],
                    results,
                )
            )
    return batches


async def _concurrently(
    batches: list[WriteBatch], concurrency: int, write: Callable[[WriteBatch], Awaitable[None]]
) -> float:
    pending: Iterator[WriteBatch] = iter(batches)

    async def writer() -> None:
        for batch in pending:  # shared iterator: each batch is taken by exactly one writer
            await write(batch)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    return time.perf_counter() - started


async def write_stage(
    database_url: str,
    org_id: UUID,
    batches: list[WriteBatch],
    rounds: int,
    postgres_pid: int,
    *,
    only: Collection[str] | None = None,
    label: str = "ingest",
) -> dict[str, Any]:
    """Every variant (or those named in `only`) in `rounds` interleaved rounds. Only the
    batches' posts are leased, so the organization may hold many more posts than it writes."""
    import asyncpg

    from shared.config import Settings
    from shared.db import create_sessionmaker, unit_of_work
    from shared.domain.post import ingest
    from shared.domain.post.ingest_repository import IngestRepository
    from shared.logging import configure_logging
    from shared.models.post_snapshot import COUNTS

    settings = Settings(_env_file=None, database_url=database_url)
    configure_logging(settings)  # as the worker does: its level, not structlog's debug default
    rows = sum(len(b.posts) for b in batches)
    # The worker's engine, built by the worker's own function.
    from services.worker.batch_writer import BatchWriter
    from services.worker.context import create_worker_engine

    engine = create_worker_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    columns = ["org_id", "captured_at", "post_id", *COUNTS]

    # The job writes only posts still holding its lease: every round leases them all first
    # (outside the timing), as the scheduler's claim would.
    lease = datetime(2100, 1, 1, tzinfo=UTC)

    leased_ids = [p.id for batch in batches for p in batch.posts]

    async def lease_all() -> None:
        await connection.execute(
            "UPDATE post SET lease_until = $1 WHERE org_id = $2 AND id = ANY($3::uuid[])",
            lease,
            org_id,
            leased_ids,
        )

    def fetched(batch: WriteBatch) -> ingest.Fetched:
        """The batch as its job holds it after the platform call."""
        leased = ingest.RefreshBatch(
            org_id=org_id,
            platform=batch.platform,
            credential_key=None,
            post_ids=tuple(p.id for p in batch.posts),
            lease_until=lease,
        )
        return ingest.Fetched(leased, batch.posts, batch.results, datetime.now(UTC))

    async def record(batch: WriteBatch) -> None:
        async with unit_of_work(sessionmaker) as session:
            await ingest.record_batches(session, [fetched(batch)], settings=settings)

    writer = BatchWriter(sessionmaker, None, settings)

    async def job_write(batch: WriteBatch) -> None:
        """What a refresh job does with its batch: hand it to the worker's writer and wait."""
        await writer.write(fetched(batch))

    async def insert_only(batch: WriteBatch) -> None:
        present = [
            {"id": p.id, **{name: getattr(batch.results[p.external_id], name) for name in COUNTS}}
            for p in batch.posts
        ]
        async with unit_of_work(sessionmaker) as session:
            await IngestRepository(session, org_id).insert_snapshots(datetime.now(UTC), present)

    def records(batch: WriteBatch, captured: datetime) -> list[tuple]:
        return [
            (
                org_id,
                captured,
                p.id,
                *(getattr(batch.results[p.external_id], name) for name in COUNTS),
            )
            for p in batch.posts
        ]

    async def copy_all() -> float:
        started = time.perf_counter()
        captured = datetime.now(UTC)
        everything = [record for batch in batches for record in records(batch, captured)]
        async with connection.transaction():
            await connection.copy_records_to_table(
                "post_snapshot", records=everything, columns=columns
            )
        return time.perf_counter() - started

    async def copy_batched(batch: WriteBatch) -> None:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "post_snapshot", records=records(batch, datetime.now(UTC)), columns=columns
            )

    variants: dict[str, Callable[[], Awaitable[float]]] = {
        "copy": copy_all,
        "copy_batched": lambda: _concurrently(batches, 1, copy_batched),
        "sway_insert_1": lambda: _concurrently(batches, 1, insert_only),
        f"sway_insert_{WRITE_CONCURRENCY}": lambda: _concurrently(
            batches, WRITE_CONCURRENCY, insert_only
        ),
        "sway_write_1": lambda: _concurrently(batches, 1, record),
        f"sway_write_{WRITE_CONCURRENCY}": lambda: _concurrently(
            batches, WRITE_CONCURRENCY, record
        ),
        f"sway_writer_{WRITE_CONCURRENCY}": lambda: _concurrently(
            batches, WRITE_CONCURRENCY, job_write
        ),
    }
    if only is not None:
        variants = {name: run for name, run in variants.items() if name in only}
    # Per variant and round: wall seconds, this process's CPU, Postgres's CPU (all of it: the
    # cluster is this benchmark's alone, and the worker has stopped).
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    client: dict[str, list[float]] = {name: [] for name in variants}
    server: dict[str, list[float]] = {name: [] for name in variants}
    transactions: dict[str, list[int]] = {name: [] for name in variants}  # the writer's
    try:
        await lease_all()
        await _concurrently(batches[:20], 5, record)  # warm the pool and statement caches
        for round_no in range(1, rounds + 1):
            for name, run in variants.items():
                if name.startswith("sway_write"):  # and sway_writer
                    await lease_all()
                client_before, server_before = time.process_time(), tree_cpu_s(postgres_pid)
                written_before = writer.transactions
                elapsed = await run()
                transactions[name].append(writer.transactions - written_before)
                seconds[name].append(elapsed)
                client[name].append(time.process_time() - client_before)
                server[name].append(tree_cpu_s(postgres_pid) - server_before)
                print(
                    f"{label}: write round {round_no} {name}: {rows / elapsed:,.0f} rows/s",
                    flush=True,
                )
    finally:
        await connection.close()
        await engine.dispose()
    return {
        name: {
            "rows": rows,
            "seconds": s,
            "rows_per_s": rows / statistics.median(s),
            "client_cpu_us_per_row": 1e6 * statistics.median(client[name]) / rows,
            "postgres_cpu_us_per_row": 1e6 * statistics.median(server[name]) / rows,
            "batches": len(batches),
            "writer_transactions": transactions[name],
        }
        for name, s in seconds.items()
    }


# Report ---------------------------------------------------------------------------------------


def markdown(result: dict[str, Any], args) -> str:
    e2e, write = result["end_to_end"], result["write_stage"]
    jobs, cpu = e2e["jobs"], e2e["cpu_pct_of_wall"]
    copy = write["copy"]["rows_per_s"]
    concurrent = f"sway_writer_{WRITE_CONCURRENCY}"
    from shared.config import Settings

    max_jobs = args.max_jobs or Settings.model_fields["worker_max_jobs"].default
    lines = [
        f"**End to end** (one worker process, max_jobs {max_jobs}):",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| posts refreshed | {e2e['refreshed']:,} of {e2e['posts']:,} |",
        f"| wall time, worker spawn → last snapshot | {e2e['wall_s']:.1f} s |",
        f"| **posts refreshed per second, end to end** | **{e2e['posts_per_s']:,.0f}** |",
        f"| worker spawn → first batch enqueued (start-up + claim of every post) | "
        f"{e2e['spawn_to_first_enqueue_s']:.1f} s |",
        f"| posts per second from the first batch enqueued | {e2e['refresh_posts_per_s']:,.0f} |",
    ]
    for platform, label in (("youtube", "YouTube (batch 50)"), ("x", "X (batch 100)")):
        figures = e2e["platforms"][platform]
        lines.append(
            f"| {label}: platform calls per refreshed post | **{figures['calls_per_post']:.4f}** "
            f"({figures['calls']:,} calls / {figures['posts']:,} posts; "
            f"target {1 / (50 if platform == 'youtube' else 100):.2f}) |"
        )
    lines += [
        f"| refresh jobs (failed, retried) | {jobs['refresh_jobs']:,} "
        f"({jobs['failed']}, {jobs['retried']}) |",
        f"| job duration p50 / p95 | {1000 * jobs['job_s_p50']:.0f} / "
        f"{1000 * jobs['job_s_p95']:.0f} ms |",
        f"| enqueueing the {jobs['refresh_jobs']:,} batches (first → last) | "
        f"{e2e['enqueue_span_s']:.1f} s |",
        f"| Postgres connections opened by the worker during the run | "
        f"{e2e['new_pg_connections']:,} |",
        f"| **worker peak memory (VmHWM)** | **{e2e['peak_rss_mb']:.0f} MiB** |",
        f"| CPU during the run, % of one core: worker / fake server / Postgres / Redis | "
        f"{cpu['worker']:.0f} / {cpu['fake']:.0f} / {cpu['postgres']:.0f} / {cpu['redis']:.0f} |",
        "| CPU seconds per 1,000 posts: worker / fake server / Postgres / Redis | "
        + " / ".join(
            f"{1000 * e2e['cpu_s'][k] / e2e['posts']:.2f}"
            for k in ("worker", "fake", "postgres", "redis")
        )
        + " |",
        "",
        f"**Snapshot write stage** ({write['copy']['rows']:,} rows, median of {args.rounds} "
        "interleaved rounds):",
        "",
        "| writer | rows/s | vs COPY | client CPU µs/row | Postgres CPU µs/row |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    n = WRITE_CONCURRENCY
    together = statistics.median(write[concurrent]["writer_transactions"])
    together_of = write[concurrent]["batches"]
    labels = {
        "copy": "raw asyncpg COPY, all rows in one transaction, 1 connection",
        "copy_batched": "raw asyncpg COPY, one transaction per batch (50/100), 1 connection",
        "sway_insert_1": "Sway `insert_snapshots` alone, a `unit_of_work` per batch, 1 connection",
        f"sway_insert_{n}": f"Sway `insert_snapshots` alone, per batch, {n} concurrent",
        "sway_write_1": "Sway write stage: `record_batch` (insert snapshots + update posts) per "
        "batch, 1 connection",
        f"sway_write_{n}": f"Sway write stage: `record_batch`, a transaction per batch, {n} "
        "concurrent",
        concurrent: f"Sway write stage as the job does it: {n} concurrent jobs through the "
        f"worker's `BatchWriter` ({together:,.0f} transactions for {together_of:,} batches)",
    }
    for name, label in labels.items():
        rate = write[name]["rows_per_s"]
        bold = "**" if name in (concurrent, f"sway_insert_{n}") else ""
        lines.append(
            f"| {label} | {bold}{rate:,.0f}{bold} | {bold}{rate / copy:.2f}{bold} | "
            f"{write[name]['client_cpu_us_per_row']:.1f} | "
            f"{write[name]['postgres_cpu_us_per_row']:.1f} |"
        )
    return "\n".join(lines)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench.run ingest",
        description="Posts refreshed by one arq worker against the fake platform server, and the "
        "snapshot write stage against raw asyncpg COPY.",
    )
    parser.add_argument("--posts", type=int, default=100_000, help="half YouTube, half X")
    parser.add_argument(
        "--write-rows", type=int, default=100_000, help="snapshot rows per write-stage variant"
    )
    parser.add_argument("--rounds", type=int, default=3, help="write-stage rounds, interleaved")
    parser.add_argument(
        "--max-jobs",
        type=int,
        default=0,
        help="SWAY_WORKER_MAX_JOBS for the worker (0: its default)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on the same Redis and database (they share the due posts)",
    )
    parser.add_argument(
        "--batch-limit",
        type=int,
        default=0,
        help="SWAY_SCHEDULER_BATCH_LIMIT (0: all posts in one tick)",
    )
    parser.add_argument(
        "--worker-settings",
        default=WORKER_SETTINGS,
        help="arq settings class to run (to try a variant; figures are for the default)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the worker")
    parser.add_argument(
        "--py-spy",
        default="",
        help="path to py-spy: profile the worker "
        "(bench/.out/ingest.worker.speedscope.json; skews the figures)",
    )
    parser.add_argument("--skip-write", action="store_true", help="end to end only")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"replace the {TITLE!r} section of docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    customised = (
        args.posts != 100_000
        or args.write_rows != 100_000
        or args.rounds != 3
        or args.max_jobs
        or args.workers != 1
        or args.batch_limit
        or args.worker_settings != WORKER_SETTINGS
        or args.py_spy
        or args.skip_write
    )
    if args.write_docs and customised:
        parser.error("--write-docs describes the issue's run: use the default options")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(sys.argv[1:] if argv is None else argv)
    from shared import migrate
    from shared.crypto import generate_key

    OUT.mkdir(parents=True, exist_ok=True)
    secret_key = generate_key()
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        print("ingest: starting embedded Postgres and Redis, migrating, seeding", flush=True)
        postgres = EmbeddedPostgres(DATA / PG_DIR).start()
        stack.callback(postgres.stop)
        database_url = postgres.ensure_database(DATABASE, fresh=True)
        wipe(DATA / "redis-ingest")
        redis = EmbeddedRedis(DATA / "redis-ingest", persistent=False).start()
        stack.callback(redis.stop)
        migrate.upgrade(database_url)
        started = time.perf_counter()
        seeded = asyncio.run(seed(database_url, args.posts, secret_key))
        print(
            f"ingest: seeded {len(seeded.posts):,} posts in {time.perf_counter() - started:.1f}s",
            flush=True,
        )

        e2e = end_to_end(
            args,
            seeded,
            database_url,
            redis.url,
            postgres._server.get_pid(),
            redis._process.pid,
            secret_key,
        )
        print(
            f"ingest: {e2e['refreshed']:,} posts in {e2e['wall_s']:.1f}s = "
            f"{e2e['posts_per_s']:,.0f} posts/s; calls/post youtube "
            f"{e2e['platforms']['youtube']['calls_per_post']:.4f}, x "
            f"{e2e['platforms']['x']['calls_per_post']:.4f}; worker peak "
            f"{e2e['peak_rss_mb']:.0f} MiB",
            flush=True,
        )
        write = {}
        if not args.skip_write:
            batches = write_batches(seeded, args.write_rows)
            write = asyncio.run(
                write_stage(
                    database_url, seeded.org_id, batches, args.rounds, postgres._server.get_pid()
                )
            )

    result = {
        "args": vars(args),
        "end_to_end": e2e,
        "write_stage": write,
        "commit": git_head(),
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "cores": os.cpu_count(),
        "load_average": [load_before, os.getloadavg()[0]],
    }
    (OUT / "ingest.json").write_text(json.dumps(result, indent=2, default=str))
    if write:
        table = markdown(result, args)
        copy = write["copy"]["rows_per_s"]
        print(f"\n{table}\n")
        insert = write[f"sway_insert_{WRITE_CONCURRENCY}"]["rows_per_s"] / copy
        stage = write[f"sway_writer_{WRITE_CONCURRENCY}"]["rows_per_s"] / copy
        print(
            f"ingest: vs COPY (target >= 0.5), {WRITE_CONCURRENCY} concurrent: snapshot insert "
            f"{insert:.2f}, write stage (insert + post update) {stage:.2f}",
            flush=True,
        )
        if args.write_docs:
            provenance = (
                f"Measured {result['date']} at commit `{result['commit']}` "
                f"(`git rev-parse --short HEAD`) on {result['cores']} cores; 1-minute "
                f"load average {load_before:.1f} before the run and "
                f"{result['load_average'][1]:.1f} after it."
            )
            body = "\n\n".join((SECTION_INTRO, table, SECTION_NOTES, provenance))
            report.write_section(TITLE, body)
            print("ingest: docs/benchmarks.md updated", flush=True)
    return result


SECTION_INTRO = (
    "100,000 tracked posts (50,000 YouTube, batches of 50; 50,000 X, batches of 100, four X "
    "credentials) refreshed by one real arq worker process against the local fake platform server "
    "(its own process), on embedded Postgres and Redis. The worker's own `post.schedule` cron "
    "claims and enqueues the batches, so the figure covers claim, enqueue, budget take, platform "
    "call, JSON parsing and the batch write. Request budgets are raised far above the load "
    "(`SWAY_BUDGET_YOUTUBE`/`SWAY_BUDGET_X` = 10^9 per second) so they never throttle, and "
    "`SWAY_SCHEDULER_BATCH_LIMIT` is raised to 100,000 so one tick may claim everything (at the "
    "default 20,000 per 10 s tick the scheduler alone caps ingestion at 2,000 posts/s). The write "
    "stage writes 100,000 snapshot rows of the same shape in the same run, as the job does and as "
    "raw COPY; the target is Sway at 0.5 of COPY or better. Reproduce with "
    "`python -m bench.run ingest --write-docs`."
)

SECTION_NOTES = (
    "Reading the figures. The machine is shared, so posts/s moves with whatever else runs (from "
    "under 2,000 to over 7,000 across runs); the worker's CPU seconds per 1,000 "
    "posts are steadier. Calls per post are 1/batch size whenever batches are full; a scheduler "
    "tick that overlaps the next one (the startup tick can take longer than 10 s) splits a few "
    "batches, as in production. "
    "COPY only inserts snapshots, so the like-for-like figure is `insert_snapshots` alone; the "
    "write stage (`write_refresh`: one statement for any number of an organization's batches) "
    "also updates each post's latest counts and its narrow `post_schedule` row. Most of a small "
    "batch's write is its transaction and statement rather than its rows (COPY itself, in a "
    "transaction per batch, runs at half to two thirds of one COPY): the job's path hands each "
    "batch to the worker's `BatchWriter`, which writes the batches that came back while its "
    "earlier writes ran in one transaction, at most `SWAY_WORKER_WRITE_FLUSHES` (4) at once; "
    "the row above it is the same write with a transaction per batch. The rounds' own ratios "
    "spread widely (COPY alone moves by a third between rounds), so a median of three. "
    "No index of `post` covers a column a refresh writes, so "
    'the post\'s update is HOT when its page has room (docs/scaling.md, "Cheap post updates"); '
    "here every round first leases all its posts in one statement, as a scheduler tick does, "
    "which fills pages faster than refreshes spread over a day would. "
    "Postgres CPU is the whole embedded cluster (backends, autovacuum, checkpointer, WAL "
    "writer), so it includes the background work the refresh causes."
)


if __name__ == "__main__":
    main()
