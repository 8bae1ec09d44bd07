"""Account sync jobs: a follower snapshot, and the recent posts that content capture attaches
to campaigns."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from arq import Retry

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.account import sync
from shared.jobs import backoff
from shared.platforms.base import (
    AdapterError,
    AuthExpired,
    NotFound,
    PlatformUnavailable,
    RateLimited,
)

log = structlog.get_logger()


async def sync_account(ctx: WorkerContext, org_id: str, account_id: str) -> str:
    org, account = UUID(org_id), UUID(account_id)
    settings = ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        target = await sync.load_target(session, org, account, settings)
    if target is None:
        return "gone"
    platform, bucket = target.ref.platform, target.credential_key or "app"
    wait = await ctx["budget"].take(platform, bucket)
    if wait:
        async with unit_of_work(ctx["sessionmaker"]) as session:
            await sync.defer_sync(
                session, org, account, datetime.now(UTC) + timedelta(seconds=wait)
            )
        return f"postponed {round(wait, 1)}s (budget)"
    adapter = ctx["adapters"][platform]
    try:
        stats = await adapter.fetch_account(target.ref, target.credentials)
    except PlatformUnavailable as exc:
        log.warning("account sync transient failure", account_id=account_id, error=str(exc))
        raise Retry(defer=backoff(ctx.get("job_try", 1))) from exc
    except (RateLimited, AuthExpired, NotFound) as exc:
        if isinstance(exc, RateLimited):
            await ctx["budget"].pause(platform, bucket, exc.retry_after_s)
        return await _record_failure(ctx, org, account, exc)
    listed = await _list_posts(adapter, target)
    now = datetime.now(UTC)
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        captured = await sync.record_stats(
            session, org, account, stats, listed=listed, now=now, settings=settings
        )
    log.info("account synced", account_id=account_id, followers=stats.followers, captured=captured)
    return "ok"


async def _list_posts(adapter, target: sync.SyncTarget):
    """Recent posts for content capture. A failure here loses only this round's capture: the
    follower snapshot is still worth keeping, and the next sync lists again."""
    try:
        return await adapter.list_posts(target.ref, target.credentials, since=target.since)
    except AdapterError as exc:
        log.warning(
            "listing posts failed; capture skipped this round",
            account_id=str(target.account_id),
            error=str(exc),
        )
        return None


async def _record_failure(ctx: WorkerContext, org: UUID, account: UUID, exc: Exception) -> str:
    now = datetime.now(UTC)
    if isinstance(exc, RateLimited):
        status, retry_at = "rate_limited", now + timedelta(seconds=exc.retry_after_s)
    elif isinstance(exc, AuthExpired):
        status, retry_at = "auth_expired", None
    else:
        status, retry_at = "not_found", None
    async with unit_of_work(ctx["sessionmaker"]) as session:
        await sync.record_failure(
            session, org, account, status=status, error=str(exc), retry_at=retry_at
        )
    log.warning("account sync stopped", account_id=str(account), status=status, error=str(exc))
    return status


async def schedule_account_syncs(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        count = await sync.schedule_due(
            session, now=datetime.now(UTC), limit=ctx["settings"].scheduler_batch_limit
        )
    if count:
        log.info("account syncs scheduled", count=count)
    return count
