"""Post refresh: a cron claims due posts into batches; each batch job spends one platform call
on up to `max_batch` posts and writes the result in one transaction."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from arq import Retry
from sqlalchemy.exc import SQLAlchemyError

from services.worker.context import WorkerContext
from shared.budget import limit_for
from shared.db import unit_of_work
from shared.domain.post import ingest
from shared.jobs import backoff
from shared.platforms.base import AuthExpired, Platform, PlatformUnavailable, RateLimited

log = structlog.get_logger()
# Meta's batch API counts every sub-request as one call against the quota, and its adapters send
# two rounds per batch (fields, then insights).
PER_ID_COST = {Platform.instagram: 2, Platform.facebook: 2}


async def schedule_post_refreshes(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        batches = await ingest.schedule_due(
            session, now=datetime.now(UTC), settings=ctx["settings"]
        )
    if batches:
        log.info(
            "post refreshes scheduled",
            batches=len(batches),
            posts=sum(len(b.post_ids) for b in batches),
        )
    return len(batches)


async def refresh_posts(
    ctx: WorkerContext,
    org_id: str,
    platform: str,
    credential_key: str | None,
    post_ids: list[str],
    lease_until: str,
) -> str:
    org, lease = UUID(org_id), datetime.fromisoformat(lease_until)
    ids = [UUID(id) for id in post_ids]
    settings = ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        posts, credentials = await ingest.load_batch(session, org, ids, lease, settings)
    if not posts:
        return "nothing to do"  # already written by an earlier run, or re-claimed since
    bucket = credential_key or "app"
    wait = await ctx["budget"].take(platform, bucket, _cost(settings, platform, len(posts)))
    if wait:
        return await _postpone(ctx, org, ids, lease, wait, "budget")
    adapter = ctx["adapters"][Platform(platform)]
    try:
        results = await adapter.fetch_post_stats([p.external_id for p in posts], credentials)
    except RateLimited as exc:
        await ctx["budget"].pause(platform, bucket, exc.retry_after_s)
        return await _postpone(ctx, org, ids, lease, exc.retry_after_s, "rate_limited")
    except AuthExpired as exc:
        return await _expire(ctx, org, platform, credential_key, exc)
    except PlatformUnavailable as exc:
        log.warning("platform unavailable", platform=platform, error=str(exc))
        raise Retry(defer=backoff(ctx.get("job_try", 1))) from exc
    return await _write(ctx, org, platform, posts, results)


async def _write(ctx: WorkerContext, org: UUID, platform: str, posts, results) -> str:
    now = datetime.now(UTC)
    try:
        async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
            gone = await ingest.record_batch(
                session, org, platform, posts, results, now=now, settings=ctx["settings"]
            )
    except SQLAlchemyError as exc:
        # Nothing of the batch was written (one transaction); the lease still holds, so the
        # retry picks up exactly these posts.
        log.warning("batch write failed; retrying", platform=platform, error=str(exc))
        raise Retry(defer=backoff(ctx.get("job_try", 1))) from exc
    log.info("posts refreshed", platform=platform, posts=len(posts), gone=len(gone))
    return f"refreshed {len(posts) - len(gone)}, gone {len(gone)}"


def _cost(settings, platform: str, count: int) -> int:
    if platform not in PER_ID_COST:
        return 1
    return min(count * PER_ID_COST[platform], limit_for(settings, platform).capacity)


async def _postpone(
    ctx: WorkerContext, org: UUID, ids: list[UUID], lease: datetime, wait_s: float, reason: str
) -> str:
    until = datetime.now(UTC) + timedelta(seconds=wait_s)
    async with unit_of_work(ctx["sessionmaker"]) as session:
        await ingest.postpone(session, org, ids, lease, until)
    log.info("post refresh postponed", reason=reason, posts=len(ids), wait_s=round(wait_s, 1))
    return f"postponed {round(wait_s, 1)}s ({reason})"


async def _expire(
    ctx: WorkerContext, org: UUID, platform: str, credential_key: str | None, exc: AuthExpired
) -> str:
    async with unit_of_work(ctx["sessionmaker"]) as session:
        accounts = await ingest.expire_credential(session, org, platform, credential_key, str(exc))
    log.warning(
        "credential expired; its work stops until renewed",
        platform=platform,
        accounts=accounts,
        error=str(exc),
    )
    return "auth_expired"
