"""Account sync jobs: a follower snapshot, and the recent posts that content capture attaches
to campaigns.

Every way a sync can end leaves the account in a state the user sees (`sync_status`,
`sync_error`) with `next_sync_at` set (docs/ingestion.md, "Account sync failures"); only a
platform outage is retried inside the job first."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from arq import Retry

from services.worker.context import WorkerContext
from services.worker.jobs import audience
from shared import config_problems
from shared.db import unit_of_work
from shared.domain.account import sync
from shared.jobs import backoff
from shared.platforms.base import (
    AdapterError,
    Credentials,
    NotConfigured,
    PlatformUnavailable,
    RateLimited,
)

log = structlog.get_logger()

# The tries services/worker/main.py registers sync_account with: the last one records the outage
# instead of asking arq for another.
MAX_TRIES = 5


async def sync_account(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    request = sync.SyncAccount.read(payload)
    org, account_id = request.org_id, str(request.account_id)
    async with unit_of_work(ctx["sessionmaker"]) as session:
        target = await sync.load_target(session, org, request.account_id, ctx["settings"])
    if target is None:
        return "gone"  # deleted, another organization's, or its creator is archived
    try:
        return await _sync(ctx, org, target)
    except Retry:
        raise
    except Exception as exc:
        # Recorded for the user, then raised for arq's own record of the failed job.
        log.exception("account sync failed unexpectedly", account_id=account_id)
        await _fail(ctx, org, target, exc)
        raise


async def _sync(ctx: WorkerContext, org: UUID, target: sync.SyncTarget) -> str:
    if target.unreadable is not None:
        return await _fail(ctx, org, target, target.unreadable)
    platform = target.ref.platform
    wait = await ctx["budget"].take(platform, _bucket(target))
    if wait:
        return await _postpone(ctx, org, target, wait)
    adapter = ctx["adapters"][platform]
    try:
        stats = await adapter.fetch_account(target.ref, target.credentials)
    except AdapterError as exc:
        return await _adapter_failure(ctx, org, target, exc)
    if _uses_app_config(target.credentials):
        await config_problems.clear(ctx["redis"], platform)
    listed = await _list_posts(adapter, target)
    now = datetime.now(UTC)
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        captured = await sync.record_stats(
            session, org, target, stats, listed=listed, now=now, settings=ctx["settings"]
        )
    if captured is None:
        return _superseded(target)
    log.info(
        "account synced",
        account_id=str(target.account_id),
        followers=stats.followers,
        captured=captured,
    )
    # A connected account's audience, at most once a day; never fails the sync.
    await audience.collect(ctx, org, target)
    return "ok"


def _bucket(target: sync.SyncTarget) -> str:
    return target.credential_key or "app"


def _uses_app_config(credentials: Credentials | None) -> bool:
    """The call had no secret of the account's own, so it ran on Sway's settings (an app-level
    API key, say): its success proves them."""
    return credentials is None or not (credentials.access_token or credentials.api_key)


async def _adapter_failure(
    ctx: WorkerContext, org: UUID, target: sync.SyncTarget, exc: AdapterError
) -> str:
    platform, job_try = target.ref.platform, ctx.get("job_try", 1)
    if isinstance(exc, PlatformUnavailable) and job_try < MAX_TRIES:
        log.warning(
            "account sync transient failure", account_id=str(target.account_id), error=str(exc)
        )
        raise Retry(defer=backoff(job_try)) from exc
    if isinstance(exc, RateLimited):
        await ctx["budget"].pause(platform, _bucket(target), exc.retry_after_s)
    if isinstance(exc, NotConfigured):
        await config_problems.report(ctx["redis"], platform, str(exc))
    return await _fail(ctx, org, target, exc)


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


async def _fail(ctx: WorkerContext, org: UUID, target: sync.SyncTarget, exc: Exception) -> str:
    now = datetime.now(UTC)
    failure = sync.failure_for(exc, target, settings=ctx["settings"], now=now)
    async with unit_of_work(ctx["sessionmaker"]) as session:
        applied = await sync.record_failure(session, org, target, failure, now=now)
    if not applied:
        return _superseded(target)
    log.warning(
        "account sync failed",
        account_id=str(target.account_id),
        status=failure.status.value,
        error=failure.error,
        next_sync_at=failure.retry_at.isoformat() if failure.retry_at else None,
    )
    return failure.status.value


async def _postpone(ctx: WorkerContext, org: UUID, target: sync.SyncTarget, wait: float) -> str:
    now = datetime.now(UTC)
    async with unit_of_work(ctx["sessionmaker"]) as session:
        applied = await sync.defer_sync(
            session, org, target, now + timedelta(seconds=wait), now=now
        )
    return f"postponed {round(wait, 1)}s (budget)" if applied else _superseded(target)


def _superseded(target: sync.SyncTarget) -> str:
    log.info(
        "account changed during its sync (new credentials, or archived); result dropped",
        account_id=str(target.account_id),
    )
    return "superseded"


async def schedule_account_syncs(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        count = await sync.schedule_due(
            session, now=datetime.now(UTC), limit=ctx["settings"].scheduler_batch_limit
        )
    if count:
        log.info("account syncs scheduled", count=count)
    return count
