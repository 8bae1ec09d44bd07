"""Scale benchmark (issue 14): 1,000,000 tracked posts with 1M, 5M and 20M rows of snapshot
history, and what the hot paths cost at each depth. The figures should not move with depth.

    python -m bench.run scale [--posts 1000000] [--depths 1000000,5000000,20000000]
                              [--due 100000] [--write-rows 50000] [--repeats 15] [--write-docs]

A quick run while developing: `python -m bench.run scale --posts 20000 --depths 20000,100000`.

An embedded Postgres of its own (.sway/bench/pg-scale, database sway_scale_bench recreated each
run) migrated by Alembic, and a non-persistent embedded Redis (the app's API-key auth). Seeded by
COPY with bench/kpis.py's rows: one organization, --posts/50 creators with accounts on 2-3
platforms (20 posts an account), campaigns of 5,000 posts, the first of them the measured one
(50 creators, with goals, collaborations, a rate card and a month of KPI snapshots, as in the
KPIs benchmark). --due posts are due now; the rest are due in hours. The snapshot history is
spread over the last 12 months, whose month partitions are made first by the history service
itself (`ensure_partitions`, the daily cron's step), so every row lands in its month; one post
also gets a year of hourly snapshots (8,760). The history grows in place, depth by depth
(VACUUM ANALYZE after each load, outside every timing), and at each depth:

1. the claim of one scheduler tick (`claim_due_posts` at SWAY_SCHEDULER_BATCH_LIMIT's default),
   in a transaction rolled back after, so every repetition claims the same posts;
2. the batch write stage against raw COPY of the same rows (bench/ingest.py's `write_stage`, on
   --write-rows posts outside the campaign): 20 concurrent jobs through the worker's
   `BatchWriter`, `insert_snapshots` alone 20 concurrent, COPY in one transaction, interleaved
   rounds;
3. the campaign's KPIs and its 30-day daily timeseries, the service calls the endpoints make
   and the endpoints themselves (bench/kpis.py's probes and rounds);
4. a page of 50 of the deep post's snapshots, 8,700 rows into its history (near the oldest
   end), through `post_service.list_snapshots` with a cursor, as the snapshot-list endpoint
   reads it, and the buffers its statements touch (EXPLAIN ANALYZE, BUFFERS);
5. bytes per snapshot row on disk: heap, indexes and everything, summed over the partitions.

Raw results go to bench/.out/scale.json."""

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import psutil

from bench import ingest, kpis, report
from shared.db import asyncpg_dsn
from shared.embedded import EmbeddedPostgres, EmbeddedRedis, wipe

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".sway" / "bench"
OUT = ROOT / "bench" / ".out"
DATABASE = "sway_scale_bench"
PG_DIR = "pg-scale"
TITLE = "Scale: a million posts, 1M to 20M snapshots"
DEFAULT_POSTS = 1_000_000
DEFAULT_DEPTHS = (1_000_000, 5_000_000, 20_000_000)
CAMPAIGN_POSTS = 5_000
CAMPAIGN_CREATORS = 50
POSTS_PER_CREATOR = 50  # 2.5 accounts a creator: 20 posts an account
HISTORY = timedelta(days=365)
DEEP_ROWS = 8_760  # hourly for a year
DEEP_CURSOR_AT = 8_700  # rows before the page's cursor, newest first
PAGE_LIMIT = 50
COPY_CHUNK = 1_000_000
N = ingest.WRITE_CONCURRENCY
INSERT, WRITER = f"sway_insert_{N}", f"sway_writer_{N}"
WRITE_VARIANTS = (
    "copy",
    INSERT,
    WRITER,
)
KPI_PROBES = ("sql_latest", "kpis_service", "kpis_http", "series_service", "series_http")
# Below this, a change between depths is not told from the shared machine's drift.
NOISE_FLOOR = kpis.NOISE_FLOOR
# Low-discrepancy steps: the r-th snapshot of post j lands at frac(r·PHI + j·PSI) of the year, so
# every load spreads over the whole year and no post gets two rows at one instant.
PHI = (5**0.5 - 1) / 2
PSI = 2**0.5 - 1


@dataclass(frozen=True)
class Tenant:
    campaign: kpis.Seeded  # the organization, its API key, the measured campaign and its posts
    history_posts: list[UUID]  # every post but the deep one, which has a history of its own
    deep_post: UUID
    due: int
    writes: ingest.Seeded  # the posts the write stage writes, none of them due or the campaign's
    seeded_at: datetime


# Seeding --------------------------------------------------------------------------------------


def _due(row: tuple, at: datetime) -> tuple:
    index = kpis.POST_COLUMNS.index("next_refresh_at")
    return row[:index] + (at,) + row[index + 1 :]


async def _copy_posts(connection, rng, org_id, campaigns, team, accounts, args, now) -> dict:
    """Every campaign's posts by COPY: the first campaign's by the team, the rest by anyone;
    the first --due posts after the campaign's due now, then the write stage's sample."""
    external = kpis.POST_COLUMNS.index("external_id")
    account = kpis.POST_COLUMNS.index("account_id")
    picked: dict[str, Any] = {"campaign": [], "ids": [], "writes": [], "due": 0}
    last = len(campaigns) - 1
    for index, campaign in enumerate(campaigns):
        rows = []
        for n in range(CAMPAIGN_POSTS):
            pool = team if index == 0 else accounts
            row, post = kpis._post_row(rng, org_id, campaign[0], rng.choice(pool), n, now)
            if index == 0:
                picked["campaign"].append(post)
            elif picked["due"] < args.due:
                row = _due(row, now - timedelta(seconds=rng.uniform(60, 600)))
                picked["due"] += 1
            elif (
                post.platform in ingest.PLATFORM_PATHS
                and len(picked["writes"]) < args.write_rows
                and (index, n) != (last, CAMPAIGN_POSTS - 1)
            ):
                picked["writes"].append(
                    ingest.SeededPost(
                        post.id, post.platform, row[external], row[account], post.published_at
                    )
                )
            picked["ids"].append(post.id)
            rows.append(row)
        await connection.copy_records_to_table("post", records=rows, columns=kpis.POST_COLUMNS)
        if index % 20 == 19:
            print(f"scale: {(index + 1) * CAMPAIGN_POSTS:,} posts copied", flush=True)
    return picked


async def seed(database_url: str, args) -> Tenant:
    """The organization by COPY (none of it measured), then the campaign's KPI snapshots."""
    import asyncpg

    from shared.domain.post import schedule

    rng = random.Random(42)
    now, started = datetime.now(UTC), time.perf_counter()
    org_id, api_key = await kpis.organization(database_url, "Scale Agency", key=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            creators = max(CAMPAIGN_CREATORS, args.posts // POSTS_PER_CREATOR)
            creator_rows, accounts = await kpis.copy_creators(
                connection, rng, org_id, creators, now
            )
            team_ids = {row[0] for row in creator_rows[:CAMPAIGN_CREATORS]}
            team = [a for a in accounts if a[1] in team_ids]
            campaigns = [
                kpis._campaign_row(rng, org_id, f"Campaign {n:03d}", now.date())
                for n in range(args.posts // CAMPAIGN_POSTS)
            ]
            await connection.copy_records_to_table(
                "campaign", records=campaigns, columns=kpis.CAMPAIGN_COLUMNS
            )
            picked = await _copy_posts(
                connection, rng, org_id, campaigns, team, accounts, args, now
            )
            # The schedule rows the application writes with each post.
            await connection.execute(schedule.SYNC_ALL.text)
            await kpis._copy_terms(
                connection, rng, org_id, campaigns[0][0], creator_rows[:CAMPAIGN_CREATORS], now
            )
        rows = {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("creator", "creator_account", "campaign", "collaboration", "post")
        }
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    campaign = kpis.Seeded(org_id, campaigns[0][0], api_key, picked["campaign"], rows)
    print(f"scale: posts copied in {time.perf_counter() - started:.0f} s; KPI history", flush=True)
    await kpis.copy_kpi_history(database_url, campaign)
    ids = picked["ids"]
    return Tenant(
        campaign, ids[:-1], ids[-1], picked["due"], ingest.Seeded(org_id, picked["writes"]), now
    )


async def make_partitions(database_url: str, now: datetime) -> list[str]:
    """The month partitions of the last 12 months and the next, by the history service the daily
    cron runs: as if it had run every day of the year."""
    from shared.db import create_engine, create_sessionmaker, unit_of_work
    from shared.domain.history import service as history_service
    from shared.domain.history.partitions import add_months, month_start

    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            created = await history_service.ensure_partitions(
                session, now=add_months(month_start(now), -12), ahead=13
            )
    finally:
        await engine.dispose()
    return created.partitions


def _counts_pool(size: int = 997) -> list[tuple]:
    rng = random.Random(11)
    pool = []
    for _ in range(size):
        views = rng.randrange(100, 2_000_000)
        likes = views * rng.randrange(1, 9) // 100
        pool.append(
            (views, views * 13 // 10, views * 8 // 10, likes, likes // 40, likes // 60,
             likes // 50, views // 300)
        )  # fmt: skip
    return pool


def _history(tenant: Tenant, start: int, end: int, pool: list[tuple]) -> Iterator[tuple]:
    """Rows start..end of the history: row k is post k mod n's (k div n)-th snapshot."""
    ids, org_id = tenant.history_posts, tenant.campaign.org_id
    newest, span = tenant.seeded_at.timestamp(), HISTORY.total_seconds()
    n = len(ids)
    for k in range(start, end):
        r, j = divmod(k, n)
        at = datetime.fromtimestamp(newest - span * ((r * PHI + j * PSI) % 1.0), UTC)
        yield (ids[j], at, *pool[k % len(pool)], org_id)


def _deep_history(tenant: Tenant, pool: list[tuple]) -> Iterator[tuple]:
    newest = tenant.seeded_at.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for h in range(DEEP_ROWS):
        yield (tenant.deep_post, newest - timedelta(hours=h), *pool[h % len(pool)],
               tenant.campaign.org_id)  # fmt: skip


async def grow_history(database_url: str, tenant: Tenant, start: int, end: int) -> float:
    """COPY rows start..end of the history (and, first, the deep post's year), then VACUUM
    ANALYZE; returns the seconds the COPY took."""
    import asyncpg

    pool = _counts_pool()
    columns = ["post_id", "captured_at", *kpis.COUNTS, "org_id"]
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    started = time.perf_counter()
    try:
        if start == 0:
            await connection.copy_records_to_table(
                "post_snapshot", records=_deep_history(tenant, pool), columns=columns
            )
        for chunk in range(start, end, COPY_CHUNK):
            stop = min(end, chunk + COPY_CHUNK)
            await connection.copy_records_to_table(
                "post_snapshot", records=_history(tenant, chunk, stop, pool), columns=columns
            )
            elapsed = time.perf_counter() - started
            print(
                f"scale: history at {stop:,} rows ({(stop - start) / elapsed:,.0f} rows/s)",
                flush=True,
            )
        copied = time.perf_counter() - started
        # The whole database: the last depth's claims and writes left dead post rows behind.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return copied


# Measuring ------------------------------------------------------------------------------------


def _spread(values: list[float]) -> float:
    return max(values) / max(min(values), 1e-9) - 1


async def _statements(engine, call: Callable[[Any], Awaitable[Any]]) -> list[tuple[str, Any]]:
    """What `call(session)` sends, in order, run in a transaction rolled back after."""
    from sqlalchemy import event

    from shared.db import create_sessionmaker

    sent: list[tuple[str, Any]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        async with create_sessionmaker(engine)() as session:
            await call(session)
            await session.rollback()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    return sent


async def explain_call(engine, call: Callable[[Any], Awaitable[Any]]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement `call` sends, as the project builds them
    (so the figures follow its SQL as it changes), in one transaction rolled back after."""
    sent = await _statements(engine, call)
    plans = []
    async with engine.connect() as connection:
        transaction = await connection.begin()
        for statement, parameters in sent:
            raw = (await connection.exec_driver_sql(kpis.EXPLAIN + statement, parameters)).scalar()
            summary = kpis._plan_summary(json.loads(raw) if isinstance(raw, str) else raw)
            summary["relations"] = sorted(set(_relations(summary.pop("plan")[0]["Plan"])))
            plans.append({"statement": " ".join(statement.split())[:120], **summary})
        await transaction.rollback()
    return plans


def _relations(node: dict) -> Iterator[str]:
    """The tables a plan reads (each partition by its own name)."""
    if "Relation Name" in node:
        yield node["Relation Name"]
    for child in node.get("Plans", ()):
        yield from _relations(child)


async def _timed(engine, call: Callable[[Any], Awaitable[Any]], repeats: int) -> list[float]:
    """Milliseconds of `call(session)`, each in a fresh session rolled back after; one unmeasured
    call first warms the pool and the prepared statements."""
    from shared.db import create_sessionmaker

    sessionmaker = create_sessionmaker(engine)
    samples = []
    for n in range(repeats + 1):
        async with sessionmaker() as session:
            started = time.perf_counter()
            await call(session)
            elapsed = 1000 * (time.perf_counter() - started)
            await session.rollback()
        if n:
            samples.append(elapsed)
    return samples


async def claim_stage(engine, repeats: int) -> dict[str, Any]:
    from shared.config import Settings
    from shared.domain.post.ingest_repository import claim_due_posts

    settings = Settings(_env_file=None)
    limit = settings.scheduler_batch_limit
    claimed: list[int] = []

    async def claim(session) -> None:
        now = datetime.now(UTC)
        lease_until = now + timedelta(seconds=settings.refresh_lease_s)
        rows = await claim_due_posts(session, now=now, lease_until=lease_until, limit=limit)
        claimed.append(len(rows))

    samples = await _timed(engine, claim, repeats)
    plans = await explain_call(engine, claim)
    return {
        "limit": limit,
        "claimed": claimed[-1],
        "ms": samples,
        "p50_ms": statistics.median(samples),
        "shared_hit": sum(p["shared_hit"] or 0 for p in plans),
        "shared_read": sum(p["shared_read"] or 0 for p in plans),
        "plans": plans,
    }


async def page_stage(engine, tenant: Tenant, repeats: int) -> dict[str, Any]:
    from shared.domain.pagination import encode_cursor
    from shared.domain.post import service as post_service

    org_id, post_id = tenant.campaign.org_id, tenant.deep_post
    newest = tenant.seeded_at.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    cursor_at = newest - timedelta(hours=DEEP_CURSOR_AT - 1)  # the page's cursor: row 8,700
    cursor = encode_cursor(cursor_at, post_id)
    first: list[datetime] = []

    async def page(session) -> None:
        _, found = await post_service.list_snapshots(
            session, org_id, post_id, cursor=cursor, limit=PAGE_LIMIT
        )
        first.append(found.items[0].captured_at)
        if len(found.items) != PAGE_LIMIT:
            raise RuntimeError(f"deep page: {len(found.items)} snapshots, not {PAGE_LIMIT}")

    samples = await _timed(engine, page, repeats)
    if first[-1] != cursor_at - timedelta(hours=1):
        raise RuntimeError(f"deep page starts at {first[-1]}, not an hour before {cursor_at}")
    plans = await explain_call(engine, page)
    return {
        "ms": samples,
        "p50_ms": statistics.median(samples),
        "shared_hit": sum(p["shared_hit"] or 0 for p in plans),
        "shared_read": sum(p["shared_read"] or 0 for p in plans),
        "plans": plans,
    }


async def kpi_stage(database_url: str, redis_url: str, tenant: Tenant, args, backends) -> dict:
    """bench/kpis.py's probes, rounds and CPU accounting, on the scale tenant's campaign."""
    import asyncpg

    rounds = SimpleNamespace(warmup=10, rounds=args.kpi_rounds, iterations=40, cap=2.0)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with kpis.sway(database_url, redis_url) as (app, client):
            every = kpis.probes(app, client, connection, tenant.campaign)
            named = {name: every[name] for name in KPI_PROBES}
            figures = await kpis.measure(named, rounds, backends)
    finally:
        await connection.close()
    return figures


async def disk_stage(database_url: str) -> dict[str, Any]:
    """Rows per partition (one scan) and bytes over every partition of post_snapshot."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        partitions = {
            row[0]: row[1]
            for row in await connection.fetch(
                "SELECT tableoid::regclass::text, count(*) FROM post_snapshot GROUP BY 1"
            )
        }
        sizes = await connection.fetchrow(
            "SELECT sum(pg_relation_size(relid)) AS heap, sum(pg_indexes_size(relid)) AS indexes,"
            " sum(pg_total_relation_size(relid)) AS total"
            " FROM pg_partition_tree('post_snapshot') WHERE isleaf"
        )
    finally:
        await connection.close()
    rows = sum(partitions.values())
    default = sum(count for name, count in partitions.items() if name.endswith("_default"))
    return {
        "rows": rows,
        "partitions_with_rows": len(partitions),
        "rows_in_default": default,
        "partitions": partitions,
        **{f"{name}_bytes": int(sizes[name]) for name in ("heap", "indexes", "total")},
        **{f"{name}_per_row": int(sizes[name]) / rows for name in ("heap", "indexes", "total")},
    }


def write_figures(write: dict[str, Any]) -> dict[str, Any]:
    """Sway's write stage and its insert alone as shares of COPY, from every round but the first
    (a warm-up: the first round at 10 connections opens half of them and prepares their
    statements), per round and over the median round."""
    copy = write["copy"]["seconds"][1:]
    figures = {}
    for name in WRITE_VARIANTS[1:]:
        rows, seconds = write[name]["rows"], write[name]["seconds"][1:]
        figures[name] = {
            "rows_per_s": rows / statistics.median(seconds),
            "vs_copy": statistics.median(copy) / statistics.median(seconds),
            "round_rows_per_s": [rows / s for s in seconds],
            "round_vs_copy": [c / s for c, s in zip(copy, seconds, strict=True)],
        }
    return figures


async def measure_depth(database_url: str, redis_url: str, tenant: Tenant, args, pg_pid: int):
    from services.worker.context import create_worker_engine
    from shared.config import Settings

    # The worker's engine for the claim, an API-sized pool for the page: both the project's.
    engine = create_worker_engine(Settings(_env_file=None, database_url=database_url))
    result: dict[str, Any] = {}
    try:
        result["disk"] = await disk_stage(database_url)
        print(f"scale: {result['disk']['rows']:,} snapshot rows; claim", flush=True)
        result["claim"] = await claim_stage(engine, args.repeats)
        print(f"scale: claim p50 {result['claim']['p50_ms']:.1f} ms; deep page", flush=True)
        result["page"] = await page_stage(engine, tenant, args.repeats * 4)
        print(f"scale: deep page p50 {result['page']['p50_ms']:.2f} ms; KPIs", flush=True)
    finally:
        await engine.dispose()
    backends = kpis.BackendCpu(pg_pid, DATABASE)
    result["kpis"] = await kpi_stage(database_url, redis_url, tenant, args, backends)
    print(
        "scale: KPIs p50 "
        + ", ".join(f"{n} {result['kpis'][n]['p50_ms']:.2f} ms" for n in KPI_PROBES)
        + "; write stage",
        flush=True,
    )
    batches = ingest.write_batches(tenant.writes, args.write_rows)
    result["write_stage"] = await ingest.write_stage(
        database_url,
        tenant.campaign.org_id,
        batches,
        args.write_rounds + 1,
        pg_pid,
        only=WRITE_VARIANTS,
        label="scale",
    )
    result["write"] = write_figures(result["write_stage"])
    return result


# Reporting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    unit: str
    value: Callable[[dict], float]
    repeats: Callable[[dict], list[float]] | None  # what the noise is read from
    higher_is_better: bool = False
    digits: int = 2
    slack: float = 0.0  # a change this small, in the figure's own unit, is no change


FIGURES = {
    "claim": Figure(
        "claim of one tick (`claim_due_posts`, limit 20,000), p50",
        "ms",
        lambda d: d["claim"]["p50_ms"],
        lambda d: d["claim"]["ms"],
        digits=1,
    ),
    "claim_buffers": Figure(
        "claim: buffers hit + read (EXPLAIN)",
        "",
        lambda d: d["claim"]["shared_hit"] + d["claim"]["shared_read"],
        None,
        digits=0,
    ),
    "write_vs_copy": Figure(
        f"write stage: {N} concurrent jobs' `BatchWriter` / raw COPY",
        "×",
        lambda d: d["write"][WRITER]["vs_copy"],
        lambda d: d["write"][WRITER]["round_vs_copy"],
        higher_is_better=True,
    ),
    "insert_vs_copy": Figure(
        f"`insert_snapshots` alone {N} concurrent / raw COPY",
        "×",
        lambda d: d["write"][INSERT]["vs_copy"],
        lambda d: d["write"][INSERT]["round_vs_copy"],
        higher_is_better=True,
    ),
    "write_rows_per_s": Figure(
        f"write stage: {N} concurrent jobs' `BatchWriter`",
        "rows/s",
        lambda d: d["write"][WRITER]["rows_per_s"],
        lambda d: d["write"][WRITER]["round_rows_per_s"],
        higher_is_better=True,
        digits=0,
    ),
    **{
        name: Figure(
            label,
            "ms",
            lambda d, name=name: d["kpis"][name]["p50_ms"],
            lambda d, name=name: d["kpis"][name]["round_p50_ms"],
        )
        for name, label in (
            ("kpis_service", "campaign KPIs: `campaign_kpis` service call, p50"),
            ("kpis_http", "campaign KPIs: `GET /v1/campaigns/{id}/kpis`, p50"),
            ("series_service", "30-day timeseries: `timeseries` service call, p50"),
            ("series_http", "30-day timeseries: `GET …/kpis/timeseries`, p50"),
            ("sql_latest", "baseline: raw SQL sums of the campaign's 5,000 `post` rows, p50"),
        )
    },
    **{
        f"{name}_vs_sql": Figure(
            label,
            "×",
            lambda d, name=name: d["kpis"][name]["p50_ms"] / d["kpis"]["sql_latest"]["p50_ms"],
            lambda d, name=name: _per_round(d["kpis"], name, "sql_latest"),
        )
        for name, label in (
            ("kpis_http", "KPIs endpoint / baseline (same rounds)"),
            ("series_http", "timeseries endpoint / baseline (same rounds)"),
        )
    },
    "page": Figure(
        "deep snapshot page (row 8,700 of 8,760): `list_snapshots`, p50",
        "ms",
        lambda d: d["page"]["p50_ms"],
        lambda d: d["page"]["ms"],
    ),
    "page_buffers": Figure(
        "deep snapshot page: buffers hit + read (EXPLAIN)",
        "",
        lambda d: d["page"]["shared_hit"] + d["page"]["shared_read"],
        None,
        digits=0,
        slack=2,  # a page or two more of an index that has grown a level
    ),
    "bytes_total": Figure(
        "bytes per snapshot row: table + indexes (total)",
        "B",
        lambda d: d["disk"]["total_per_row"],
        None,
        digits=1,
    ),
    "bytes_heap": Figure(
        "bytes per snapshot row: heap", "B", lambda d: d["disk"]["heap_per_row"], None, digits=1
    ),
    "bytes_indexes": Figure(
        "bytes per snapshot row: indexes",
        "B",
        lambda d: d["disk"]["indexes_per_row"],
        None,
        digits=1,
    ),
}


def _per_round(figures: dict, name: str, baseline: str) -> list[float]:
    rounds = zip(figures[name]["round_p50_ms"], figures[baseline]["round_p50_ms"], strict=True)
    return [ms / base for ms, base in rounds]


def _repeat_noise(figure: Figure, depth: dict) -> float:
    """How far the figure's repetitions at one depth spread: round p50s for the KPIs, rounds'
    ratios for the write stage; for a median of many samples, its interquartile range."""
    if figure.repeats is None:
        return 0.0
    values = figure.repeats(depth)
    if len(values) >= 8:
        quartiles = statistics.quantiles(values, n=4)
        return (quartiles[2] - quartiles[0]) / max(statistics.median(values), 1e-9)
    return _spread(values)


def verdict(name: str, depths: dict[int, dict]) -> dict[str, Any]:
    """The deepest figure against the first depth's, and whether that is within noise: the
    spread of its repetitions at either end, at least NOISE_FLOOR (counts and sizes: exact)."""
    figure = FIGURES[name]
    ordered = [depths[d] for d in sorted(depths)]
    first, last = figure.value(ordered[0]), figure.value(ordered[-1])
    ratio = last / max(first, 1e-9)
    noise = max(
        NOISE_FLOOR,
        figure.slack / max(first, 1e-9),
        *(_repeat_noise(figure, d) for d in (ordered[0], ordered[-1])),
    )
    worse = ratio < 1 - noise if figure.higher_is_better else ratio > 1 + noise
    better = ratio > 1 + noise if figure.higher_is_better else ratio < 1 - noise
    return {
        "ratio": ratio,
        "noise": noise,
        "word": "worse" if worse else "better" if better else "flat",
    }


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def markdown(result: dict[str, Any]) -> str:
    depths = {int(d): s for d, s in result["depths"].items()}
    order = sorted(depths)
    head = " | ".join(f"{_rows(d)} rows" for d in order)
    ratios = " | ".join(f"{_rows(d)} / {_rows(order[0])}" for d in order[1:])
    lines = [
        f"| figure | {head} | {ratios} | noise (repeats) | verdict |",
        "| --- |" + " ---: |" * (2 * len(order) - 1) + " ---: | --- |",
    ]
    for name, figure in FIGURES.items():
        values = [figure.value(depths[d]) for d in order]
        unit = f" {figure.unit}" if figure.unit and figure.unit != "×" else ""
        cells = [_number(v, figure.digits) + unit for v in values]
        cells += [f"×{v / max(values[0], 1e-9):.2f}" for v in values[1:]]
        judged = verdict(name, depths)
        noise = f"±{judged['noise']:.0%}" if figure.repeats else _single(figure)
        if figure.slack:
            noise += f", ±{figure.slack:g}"
        word = f"**{judged['word']}**" if judged["word"] != "flat" else "flat"
        lines.append(f"| {figure.label} | {' | '.join(cells)} | {noise} | {word} |")
    return "\n".join(lines)


def _single(figure: Figure) -> str:
    return "exact" if figure.unit == "B" else "one EXPLAIN"


def _rows(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count:,}"


def setup(result: dict[str, Any]) -> str:
    args, rows = result["args"], result["rows"]
    deepest = result["depths"][str(max(map(int, result["depths"])))]
    disk = deepest["disk"]
    return (
        f"{rows['post']:,} tracked posts in one organization: {rows['creator']:,} creators with "
        f"{rows['creator_account']:,} accounts ({rows['post'] / rows['creator_account']:.0f} "
        f"posts an account), {rows['campaign']} campaigns of {CAMPAIGN_POSTS:,} posts; the "
        f"measured campaign is bench/kpis.py's (50 creators, {rows['collaboration']} "
        f"collaborations, goals, a rate card, {kpis.KPI_MINUTES:,} KPI snapshots). "
        f"{result['due']:,} posts due now, the rest due in 5-6 hours. Snapshot history by COPY "
        f"into the migrated schema on an embedded Postgres 16 (defaults: 128 MB shared_buffers), "
        f"spread over the last 12 months into month partitions that the history service "
        f"(`ensure_partitions`, the daily cron's step) made first: "
        f"{disk['partitions_with_rows']} partitions with rows, {disk['rows_in_default']:,} rows "
        f"in DEFAULT at the deepest load. One post has a year of hourly snapshots "
        f"({DEEP_ROWS:,}). The history grows in place to "
        f"{', '.join(_rows(int(d)) for d in sorted(map(int, result['depths'])))} rows, "
        f"VACUUM ANALYZE after each load (outside the timings); each write-stage round adds its "
        f"rows too, so the row counts measured are a little higher (bytes per row divide by the "
        f"exact count). At each depth: the claim of one scheduler tick, the real "
        f"`claim_due_posts` at the default limit of 20,000, in a transaction rolled back after "
        f"(median of {args['repeats']}, after one warm-up); the write stage of bench/ingest.py "
        f"on {args['write_rows']:,} posts outside the campaign (YouTube batches of 50, X of 100), "
        f"{args['write_rounds']} interleaved rounds (after one warm-up round) of raw COPY, "
        f"`insert_snapshots` {N} concurrent and {N} concurrent jobs through the worker's "
        f"`BatchWriter`; the KPIs and the daily timeseries with bench/kpis.py's "
        f"probes ({args['kpi_rounds']} interleaved rounds of up to 40 calls, 2 s each); a page "
        f"of {PAGE_LIMIT} of the deep post's snapshots with a cursor {DEEP_CURSOR_AT:,} rows "
        f"into its history through `post_service.list_snapshots` (median of "
        f"{4 * args['repeats']}) and EXPLAIN (ANALYZE, BUFFERS) of the statements it sends; "
        f"bytes on disk summed over the partitions (`pg_relation_size`, `pg_indexes_size`, "
        f"`pg_total_relation_size`). Noise is the spread of a figure's repetitions at a depth "
        f"(round p50s, round ratios, or the interquartile range of the samples), at least "
        f"{NOISE_FLOOR:.0%}; a figure is flat when its change from the first depth to the last "
        f"is within the noise at either end. Reproduce with "
        f"`python -m bench.run scale --write-docs`."
    )


def _anchor(title: str) -> str:
    slug = re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-")
    return f"#{slug}"


def quoted() -> str:
    """The ingestion and API read figures, quoted from their own sections of the document (not
    rerun here): whatever those sections say now."""
    text = report.DOC.read_text() if report.DOC.exists() else ""
    workers = re.search(
        r"posts per second from the first batch enqueued[^|]*\| ([\d,]+), ([\d,]+) \| "
        r"([\d,]+), ([\d,]+) \| (×[\d.]+)",
        text,
    )
    api = re.search(r"\*\*Sway / bare\*\* \| \*\*([\d.]+)\*\*", text)
    parts = []
    if workers:
        parts.append(
            f"ingestion end to end, from the first batch enqueued, {workers[1]} and {workers[2]} "
            f"posts/s with one worker process and {workers[3]} and {workers[4]} with two "
            f"({workers[5]}; [Ingestion with 1 and 2 worker processes]"
            f"({_anchor('Ingestion with 1 and 2 worker processes')}))"
        )
    if api:
        parts.append(
            f"the authenticated creator read at {api[1]} of the bare Starlette + asyncpg "
            f"endpoint ([API read]({_anchor('API read')}))"
        )
    if not parts:
        return ""
    return "Quoted from their own sections, not rerun here: " + "; ".join(parts) + "."


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench.run scale",
        description="A million posts with 1M, 5M and 20M snapshot rows: claim, write stage, "
        "KPIs, a deep snapshot page and bytes per row at each depth",
    )
    parser.add_argument("--posts", type=int, default=DEFAULT_POSTS)
    parser.add_argument(
        "--depths",
        default=",".join(map(str, DEFAULT_DEPTHS)),
        help="snapshot rows at each measurement, comma-separated, growing",
    )
    parser.add_argument("--due", type=int, default=0, help="posts due now (0: a tenth of them)")
    parser.add_argument(
        "--write-rows", type=int, default=0, help="write-stage rows (0: 50,000 or a twentieth)"
    )
    parser.add_argument(
        "--write-rounds", type=int, default=3, help="measured, after one warm-up round"
    )
    parser.add_argument("--kpi-rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15, help="claims per depth")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    args.depths = [int(d) for d in args.depths.split(",")]
    if args.depths != sorted(set(args.depths)) or args.depths[0] <= 0:
        parser.error("--depths must grow")
    if args.posts % CAMPAIGN_POSTS or args.posts < 3 * CAMPAIGN_POSTS:
        parser.error(f"--posts must be a multiple of {CAMPAIGN_POSTS:,}, at least 3 campaigns")
    args.due = args.due or args.posts // 10
    args.write_rows = args.write_rows or min(50_000, args.posts // 20)
    if args.due + 4 * args.write_rows > args.posts - CAMPAIGN_POSTS:
        parser.error("--due and --write-rows leave too few posts (the sample is half of them)")
    default = args.posts == DEFAULT_POSTS and args.depths == list(DEFAULT_DEPTHS)
    if args.write_docs and not default:
        parser.error("--write-docs describes the issue's run: use the default --posts and --depths")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(sys.argv[1:] if argv is None else argv)
    from shared import migrate

    OUT.mkdir(parents=True, exist_ok=True)
    load_before, busy_before = os.getloadavg()[0], psutil.cpu_times()
    run_started = time.perf_counter()
    timings: dict[str, float] = {}
    depths: dict[str, dict] = {}
    with ExitStack() as stack:
        print("scale: starting embedded Postgres and Redis, migrating, seeding", flush=True)
        postgres = EmbeddedPostgres(DATA / PG_DIR).start()
        stack.callback(postgres.stop)
        database_url = postgres.ensure_database(DATABASE, fresh=True)
        wipe(DATA / "redis-scale")
        redis = EmbeddedRedis(DATA / "redis-scale", persistent=False).start()
        stack.callback(redis.stop)
        migrate.upgrade(database_url)
        started = time.perf_counter()
        tenant = asyncio.run(seed(database_url, args))
        timings["seed_s"] = time.perf_counter() - started
        partitions = asyncio.run(make_partitions(database_url, tenant.seeded_at))
        print(
            f"scale: seeded {tenant.campaign.rows} in {timings['seed_s']:.0f} s; "
            f"{len(partitions)} month partitions made",
            flush=True,
        )
        loaded = 0
        for depth in args.depths:
            started = time.perf_counter()
            timings[f"copy_{depth}_s"] = asyncio.run(
                grow_history(database_url, tenant, loaded, depth)
            )
            timings[f"load_{depth}_s"] = time.perf_counter() - started
            loaded = depth
            print(f"scale: history at {depth:,} rows, analysed; measuring", flush=True)
            depths[str(depth)] = asyncio.run(
                measure_depth(database_url, redis.url, tenant, args, postgres.pid)
            )
    result = {
        "args": vars(args),
        "rows": tenant.campaign.rows,
        "due": tenant.due,
        "partitions_made": partitions,
        "timings": timings,
        "depths": depths,
        "run_s": time.perf_counter() - run_started,
        "machine_busy_pct": report.busy_pct(busy_before, psutil.cpu_times()),
        "load_average": [load_before, os.getloadavg()[0]],
        "commit": ingest.git_head(),
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "cores": os.cpu_count(),
    }
    (OUT / "scale.json").write_text(json.dumps(result, indent=2, default=str))
    table = markdown(result)
    print(f"\n{table}\n\nscale: run took {result['run_s'] / 60:.1f} min", flush=True)
    if args.write_docs:
        report.write_section(TITLE, section(result))
        print("scale: docs/benchmarks.md updated", flush=True)
    return result


def section(result: dict[str, Any]) -> str:
    """The docs/benchmarks.md section of a run (bench/.out/scale.json holds the last one)."""
    provenance = (
        f"Measured {result['date']} at commit `{result['commit']}` on {result['cores']} cores "
        f"in {result['run_s'] / 60:.0f} minutes; 1-minute load average "
        f"{result['load_average'][0]:.1f} before the run and {result['load_average'][1]:.1f} "
        f"after it, the machine {result['machine_busy_pct']:.0f}% busy over the run."
    )
    parts = (setup(result), markdown(result), reading(result), quoted(), provenance)
    return "\n\n".join(part for part in parts if part)


def _month_partitions(plans: list[dict]) -> list[str]:
    """The month partitions a page's plans read (from plan nodes' index names in runs that did
    not record relations)."""
    names = set()
    for plan in plans:
        found = plan.get("relations") or [
            node.rsplit(" ", 1)[-1].removesuffix("_pkey") for node in plan["nodes"]
        ]
        names |= {name for name in found if re.fullmatch(r"post_snapshot_y\d{4}m\d{2}", name)}
    return sorted(names)


def reading(result: dict[str, Any]) -> str:
    """What the figures show: the numbers are the run's, the explanation is the read and write
    paths' as they stand (update it when they change)."""
    order = sorted(result["depths"], key=int)
    last = result["depths"][order[-1]]
    claim, page = last["claim"], last["page"]
    per_post = (claim["shared_hit"] + claim["shared_read"]) / max(claim["claimed"], 1)
    months = _month_partitions(page["plans"])
    baseline = [FIGURES["sql_latest"].value(result["depths"][depth]) for depth in order]
    swing = max(baseline) / min(baseline)
    depths = {int(d): figures for d, figures in result["depths"].items()}
    flagged = [
        f"{figure.label} ({judged['word']}, ×{judged['ratio']:.2f} beyond ±{judged['noise']:.0%})"
        for name, figure in FIGURES.items()
        if (judged := verdict(name, depths))["word"] != "flat"
    ]
    buffers = [FIGURES["page_buffers"].value(depth) for depth in result["depths"].values()]
    copy = [
        depth["write_stage"]["copy"]["rows"] / seconds
        for depth in result["depths"].values()
        for seconds in depth["write_stage"]["copy"]["seconds"][1:]
    ]
    return (
        "Reading the figures. Times on this shared machine move with whatever else runs: the "
        "noise column is how far a figure's own repetitions spread at one depth, and buffers "
        "and bytes do not depend on the machine. Only two figures touch `post_snapshot`: the "
        "write stage, whose inserts land in the current month's partition, and the deep page. "
        "The claim reads `post_schedule` and leases `post` rows "
        f"(the tick's {claim['claimed']:,} of {result['due']:,} due posts; "
        f"about {per_post:.0f} buffers per claimed post), and the "
        "KPIs and the timeseries read the campaign's `post` rows and its KPI snapshots, so the "
        "history's depth does not reach them: the raw-SQL baseline, which reads only `post`, "
        f"swung up to ×{swing:.1f} between depths in the same rounds. The deep page reads the "
        "post by its key and "
        f"then the cursor's month alone ({', '.join(f'`{m}`' for m in months)}, and the "
        "DEFAULT partition, empty here, which no bound prunes): the cursor's bound prunes "
        "every other month and the row-value comparison starts the index scan at the cursor, "
        f"so the page touches {min(buffers):,.0f} to {max(buffers):,.0f} buffers at every "
        f"depth. Raw COPY itself ran at {min(copy):,.0f} to {max(copy):,.0f} rows/s "
        "across the measured rounds, so the write stage's ratios to it are the noisiest "
        "figures; the write stage's own rows/s is steadier."
        + (f" Not flat in this run: {'; '.join(flagged)}." if flagged else "")
    )


if __name__ == "__main__":
    main()
