"""Scheduler benchmark: what the claim and the budget cost when work cannot go ahead.

    python -m bench.run scheduler [--expired 200000] [--due 20000] [--limit 2000]
                                  [--batches 2000] [--rounds 5] [--write-docs]

Claim with many expired posts: one embedded Postgres, two databases seeded alike (--expired
posts of an expired credential, due first; --due healthy posts due after them). `before` is the
claim as it was (the expired posts stay `tracking`; the claim joins their account and skips
`auth_expired`, over an index of every tracked post's due time); `after` is the claim now (the
expired posts are `paused`, outside the claim's index). Each claim of --limit posts runs in a
transaction that is rolled back, so every round claims the same rows; rounds alternate and the
median is reported, with the post rows each claim read (EXPLAIN ANALYZE).

Drain of n waiting batches: --batches one-post X batches meet an empty bucket (X: 3,500 calls per
900 s, a burst of 58), on the real claim, release and lease statements and the real Redis budget,
with a simulated clock ticking every 10 s. `before` takes a token or postpones the posts until
the bucket has one, as the job did: every waiting batch is postponed to the same instant and
claimed again on every tick. `after` reserves its tokens and waits, leased, for its turn. The
figure is the post-row writes it takes until every batch has had its call (deterministic), and
the wall time of the whole drain."""

import argparse
import asyncio
import json
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import text

from bench import report
from shared.embedded import EmbeddedPostgres, EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".sway" / "bench"
TITLE = "Scheduler: expired credentials and empty budgets"
TICK_S = 10.0
FAR = datetime(2100, 1, 1, tzinfo=UTC)

# The claim before expired posts left the due set, and the index it walked.
OLD_INDEX = text(
    "CREATE INDEX ix_post_due_before ON post (next_refresh_at) WHERE status = 'tracking'"
)
OLD_CLAIM = text("""
WITH due AS (
    SELECT p.id FROM post p
    JOIN creator_account a ON a.id = p.account_id
    WHERE p.status = 'tracking' AND p.next_refresh_at <= :now AND a.sync_status <> 'auth_expired'
    ORDER BY p.next_refresh_at
    LIMIT :limit
    FOR UPDATE OF p SKIP LOCKED
)
UPDATE post SET next_refresh_at = :lease_until
FROM due, creator_account a
WHERE post.id = due.id AND a.id = post.account_id
RETURNING post.id
""")


async def seed(url: str, expired: int, due: int, *, before: bool) -> UUID:
    import asyncpg

    from shared.db import asyncpg_dsn, new_id
    from shared.domain.post import schedule

    org, creator, dead, alive = new_id(), new_id(), new_id(), new_id()
    start = datetime.now(UTC) - timedelta(hours=2)
    rows = [
        (
            new_id(), org, dead if n < expired else alive, creator, "x", f"p{n}",
            "tracking" if n >= expired or before else "paused", 0, "api",
            start + timedelta(milliseconds=n),
        )
        for n in range(expired + due)
    ]  # fmt: skip
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO organization (id, name, default_currency, settings) "
                "VALUES ($1, 'Scheduler bench', 'USD', '{}')",
                org,
            )
            await connection.execute(
                "INSERT INTO creator (id, org_id, name, niches, tags) "
                "VALUES ($1, $2, 'c', '{}', '{}')",
                creator,
                org,
            )
            for account, status in ((dead, "auth_expired"), (alive, "ok")):
                await connection.execute(
                    "INSERT INTO creator_account (id, org_id, creator_id, platform, handle, "
                    "handle_key, sync_status, credential_key) "
                    "VALUES ($1, $2, $3, 'x', $4, $5, $6, $7)",
                    account,
                    org,
                    creator,
                    status,
                    status,
                    status,
                    status,
                )
            await connection.copy_records_to_table(
                "post",
                records=rows,
                columns=[
                    "id", "org_id", "account_id", "creator_id", "platform", "external_id",
                    "status", "missing_count", "source", "next_refresh_at",
                ],
            )  # fmt: skip
            # The schedule rows the application writes with each post.
            await connection.execute(schedule.SYNC_ALL.text)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return org


async def claim_once(engine, limit: int, *, before: bool) -> tuple[float, int, int]:
    """Seconds, rows claimed and post rows read by one claim, rolled back."""
    from shared.domain.post.ingest_repository import CLAIM

    now = datetime.now(UTC)
    params = {"now": now, "limit": limit, "lease_until": now + timedelta(minutes=4)}
    statement = OLD_CLAIM if before else CLAIM
    async with engine.connect() as connection:
        transaction = await connection.begin()
        started = time.perf_counter()
        claimed = len((await connection.execute(statement, params)).all())
        elapsed = time.perf_counter() - started
        await transaction.rollback()
        transaction = await connection.begin()
        explain = text("EXPLAIN (ANALYZE, FORMAT JSON) " + statement.text)
        plan = (await connection.execute(explain, params)).scalar()
        await transaction.rollback()
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return elapsed, claimed, _post_rows_scanned(top)


def _post_rows_scanned(node: dict) -> int:
    """Rows the plan's scans of `post` produced (before joins filter them): what a claim reads."""
    own = 0
    if node.get("Relation Name") == "post" and "Scan" in node.get("Node Type", ""):
        own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        own += node.get("Rows Removed by Filter", 0)
    return own + sum(_post_rows_scanned(child) for child in node.get("Plans", []))


async def claim_stage(urls: dict[str, str], args) -> dict:
    from shared.db import create_engine

    engines = {name: create_engine(url) for name, url in urls.items()}
    runs: dict[str, list[tuple[float, int, int]]] = {name: [] for name in urls}
    try:
        for name, engine in engines.items():  # warm the caches and the plans
            await claim_once(engine, args.limit, before=name == "before")
        for _ in range(args.rounds):
            for name, engine in engines.items():
                runs[name].append(await claim_once(engine, args.limit, before=name == "before"))
    finally:
        for engine in engines.values():
            await engine.dispose()
    return {
        name: {
            "seconds": statistics.median(r[0] for r in rounds),
            "claimed": rounds[0][1],
            "rows_scanned": statistics.median(r[2] for r in rounds),
        }
        for name, rounds in runs.items()
    }


class SimulatedClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> float:
        return self.now.timestamp()


async def drain(url: str, redis_url: str, batches: int, *, reserve: bool) -> dict:
    """Every batch has its call; count the post-row writes (claims, postponements, renewed
    leases) it took."""
    from arq import create_pool
    from arq.connections import RedisSettings

    from shared.budget import Budget
    from shared.config import Settings
    from shared.db import create_engine, create_sessionmaker
    from shared.domain.post.ingest_repository import IngestRepository, claim_due_posts

    settings = Settings(_env_file=None, database_url=url, redis_url=redis_url)
    org = await seed(url, 0, batches, before=False)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    await redis.flushdb()
    clock = SimulatedClock()
    budget = Budget(redis, settings, clock=clock)
    await budget.reserve("x", "app", 58, max_wait_s=0)  # the burst is already spent
    writes, served, ticks, waiting = 0, 0, 0, {}
    started = time.perf_counter()
    while served < batches:
        async with sessionmaker() as session:
            repository = IngestRepository(session, org)
            lease = clock.now + timedelta(seconds=settings.refresh_lease_s)
            claimed = await claim_due_posts(session, now=clock.now, lease_until=lease, limit=10**6)
            writes += len(claimed)
            for post in claimed:
                if reserve:
                    got = await budget.reserve("x", "app", 1, max_wait_s=3600)
                    wait = got.delay_s
                else:
                    wait = await budget.take("x", "app")
                if wait == 0:
                    await repository.release([post.id], lease, FAR, None)  # the write
                    writes, served = writes + 1, served + 1
                elif reserve:
                    renewed = clock.now + timedelta(seconds=wait + settings.refresh_lease_s)
                    await repository.renew_lease([post.id], lease, renewed)
                    waiting[post.id] = (clock.now + timedelta(seconds=wait), renewed)
                    writes += 1
                else:
                    until = clock.now + timedelta(seconds=wait)
                    await repository.release([post.id], lease, until, None)
                    writes += 1
            # Reserved batches whose turn came within this tick run (their write).
            for post_id, (at, held) in list(waiting.items()):
                if at <= clock.now + timedelta(seconds=TICK_S):
                    await repository.release([post_id], held, FAR, None)
                    writes, served = writes + 1, served + 1
                    del waiting[post_id]
            await session.commit()
        clock.now += timedelta(seconds=TICK_S)
        ticks += 1
    elapsed = time.perf_counter() - started
    await redis.aclose()
    await engine.dispose()
    return {
        "writes": writes,
        "writes_per_batch": writes / batches,
        "ticks": ticks,
        "wall_s": elapsed,
    }


def markdown(claim: dict, drains: dict, args) -> str:
    before, after = claim["before"], claim["after"]
    lines = [
        f"**Claim of {args.limit:,} due posts behind {args.expired:,} posts of an expired "
        f"credential** (median of {args.rounds} interleaved rounds):",
        "",
        "| claim | ms | posts claimed | post rows the claim read |",
        "| --- | ---: | ---: | ---: |",
        f"| before: expired posts stay `tracking`, skipped by a join | "
        f"{before['seconds'] * 1000:,.1f} | {before['claimed']:,} | "
        f"{before['rows_scanned']:,.0f} |",
        f"| after: expired posts `paused`, outside the claim's index | "
        f"{after['seconds'] * 1000:,.1f} | {after['claimed']:,} | {after['rows_scanned']:,.0f} |",
        f"| **after / before** | **{after['seconds'] / before['seconds']:.3f}** | | "
        f"{after['rows_scanned'] / max(before['rows_scanned'], 1):.3f} |",
        "",
        f"**Drain of {args.batches:,} one-post batches waiting on an empty X bucket** (3,500 calls "
        "per 900 s, burst 58; simulated 10 s ticks, real Postgres and Redis):",
        "",
        "| waiting batches | post-row writes | writes per batch | ticks to drain | wall s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (
        ("before", "before: postponed to when a token is free, claimed again every tick"),
        ("after", "after: reserve their turn and wait leased"),
    ):
        d = drains[name]
        lines.append(
            f"| {label} | {d['writes']:,} | {d['writes_per_batch']:.1f} | {d['ticks']} | "
            f"{d['wall_s']:.1f} |"
        )
    ratio = drains["after"]["writes"] / drains["before"]["writes"]
    lines.append(f"| **after / before** | **{ratio:.3f}** | | | |")
    return "\n".join(lines)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run scheduler")
    parser.add_argument("--expired", type=int, default=200_000)
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    from shared import migrate

    args = parse(sys.argv[1:] if argv is None else argv)
    with ExitStack() as stack:
        postgres = EmbeddedPostgres(DATA / "pg-scheduler").start()
        stack.callback(postgres.stop)
        redis = EmbeddedRedis(DATA / "redis-scheduler", persistent=False).start()
        stack.callback(redis.stop)
        urls = {}
        for name in ("before", "after", "drain_before", "drain_after"):
            urls[name] = postgres.ensure_database(f"sway_scheduler_{name}", fresh=True)
            migrate.upgrade(urls[name])
        print("scheduler: seeding", flush=True)
        for name in ("before", "after"):
            asyncio.run(seed(urls[name], args.expired, args.due, before=name == "before"))
        asyncio.run(_old_index(urls["before"]))
        claim = asyncio.run(claim_stage({n: urls[n] for n in ("before", "after")}, args))
        print(f"scheduler: claim {claim}", flush=True)
        drains = {
            name: asyncio.run(
                drain(urls[f"drain_{name}"], redis.url, args.batches, reserve=name == "after")
            )
            for name in ("before", "after")
        }
        print(f"scheduler: drain {drains}", flush=True)
    table = markdown(claim, drains, args)
    print("\n" + table + "\n")
    if args.write_docs:
        body = "\n\n".join((__doc__.split("\n\n", 2)[2].strip(), table, report.provenance() + "."))
        report.write_section(TITLE, body)
        print("scheduler: docs/benchmarks.md updated", flush=True)
    return {"claim": claim, "drain": drains}


async def _old_index(url: str) -> None:
    from shared.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(OLD_INDEX)
        await connection.execute(text("ANALYZE post"))
    await engine.dispose()
