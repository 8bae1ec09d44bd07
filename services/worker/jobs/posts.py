"""Post refresh: a cron claims due posts into batches; each batch job spends one platform call
on up to a batch's posts and writes the result in one transaction (with the batches of other
jobs that came back at the same time, services/worker/batch_writer.py).

Every way a batch can end leaves its posts somewhere a user can see (docs/ingestion.md, "When a
refresh fails"): refreshed, gone, in error with the reason, paused until new credentials, or back
in the due set at a stated time."""

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from arq import Retry
from sqlalchemy.exc import SQLAlchemyError

from services.worker.batch_writer import BatchWriter
from services.worker.context import WorkerContext
from shared import config_problems
from shared.crypto import CredentialsError
from shared.db import unit_of_work
from shared.domain.post import ingest
from shared.domain.post.ingest import RefreshBatch
from shared.jobs import backoff
from shared.platforms.base import (
    AdapterError,
    AuthExpired,
    NotConfigured,
    PlatformUnavailable,
    RateLimited,
)

log = structlog.get_logger()


async def schedule_post_refreshes(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        batches = await ingest.schedule_due(
            session, now=datetime.now(UTC), settings=ctx["settings"], adapters=ctx["adapters"]
        )
    if batches:
        log.info(
            "post refreshes scheduled",
            batches=len(batches),
            posts=sum(len(b.post_ids) for b in batches),
        )
    return len(batches)


async def refresh_posts(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    batch = RefreshBatch.read(payload)
    settings = ctx["settings"]
    try:
        async with unit_of_work(ctx["sessionmaker"]) as session:
            posts, credentials = await ingest.load_batch(session, batch, settings)
    except CredentialsError as exc:
        return await _misconfigured(ctx, batch, "secret_key", f"{exc}; fix SWAY_SECRET_KEY")
    if not posts:
        return "nothing to do"  # already written by an earlier run, or re-claimed since
    adapter = ctx["adapters"][batch.platform]
    details_for = ingest.details_wanted(adapter, posts, settings)
    if not batch.reserved:
        cost = adapter.quota_cost(len(posts), len(details_for))
        waiting = await _reserve(ctx, batch, cost)
        if waiting is not None:
            return waiting
    ids = [post.external_id for post in posts]
    try:
        results = await adapter.fetch_post_stats(ids, credentials, details_for=details_for)
    except RateLimited as exc:
        await ctx["budget"].pause(batch.platform, batch.bucket, exc.retry_after_s)
        return await _release(ctx, batch, exc.retry_after_s, "rate_limited")
    except AuthExpired as exc:
        return await _expire(ctx, batch, exc)
    except NotConfigured as exc:
        return await _misconfigured(ctx, batch, batch.platform, str(exc))
    except PlatformUnavailable as exc:
        return await _transient(ctx, batch, exc)
    except Exception as exc:  # anything else is this batch's own: find the post at fault
        return await _isolate(ctx, batch, posts, exc)
    if credentials is None:
        await config_problems.clear(ctx["redis"], batch.platform)
    return await _write(ctx, batch, posts, results)


async def _reserve(ctx: WorkerContext, batch: RefreshBatch, cost: int) -> str | None:
    """Reserve the batch's budget. Free now: None, go ahead. Free later: the job runs again
    then, holding its reservation, so waiting batches drain in order. Too far off (or paused):
    the posts go back to the due set for then."""
    settings = ctx["settings"]
    reservation = await ctx["budget"].reserve(
        batch.platform, batch.bucket, cost, max_wait_s=settings.budget_max_reserve_s
    )
    if reservation.reserved and reservation.delay_s == 0:
        return None
    if not reservation.reserved:
        return await _release(ctx, batch, reservation.delay_s, "budget")
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        later = await ingest.continue_later(
            session,
            batch,
            now=datetime.now(UTC),
            delay_s=reservation.delay_s,
            settings=settings,
            reserved=True,
        )
    wait = round(reservation.delay_s, 1)
    return f"reserved; runs in {wait}s" if later else "nothing to do"


async def _write(ctx: WorkerContext, batch: RefreshBatch, posts, results) -> str:
    fetched = ingest.Fetched(batch, posts, results, now=datetime.now(UTC))
    try:
        refreshed, gone, errors = await BatchWriter.of(ctx).write(fetched)
    except SQLAlchemyError as exc:
        # Nothing of the batch was written (one transaction); while the lease holds, the retry
        # picks up exactly these posts, and once it ran out the scheduler claims them again.
        log.warning("batch write failed; retrying", platform=batch.platform, error=str(exc))
        raise Retry(defer=backoff(ctx.get("job_try", 1))) from exc
    log.info(
        "posts refreshed",
        platform=batch.platform,
        posts=refreshed,
        gone=len(gone),
        errors=len(errors),
    )
    summary = f"refreshed {refreshed}, gone {len(gone)}"
    return summary + (f", error {len(errors)}" if errors else "")


async def _release(
    ctx: WorkerContext, batch: RefreshBatch, wait_s: float, reason: str, detail: str | None = None
) -> str:
    until = datetime.now(UTC) + timedelta(seconds=wait_s)
    async with unit_of_work(ctx["sessionmaker"]) as session:
        await ingest.release(session, batch, until, detail)
    log.info(
        "post refresh postponed", reason=reason, posts=len(batch.post_ids), wait_s=round(wait_s, 1)
    )
    return f"postponed {round(wait_s, 1)}s ({reason})"


async def _expire(ctx: WorkerContext, batch: RefreshBatch, exc: AuthExpired) -> str:
    async with unit_of_work(ctx["sessionmaker"]) as session:
        accounts = await ingest.expire_credential(session, batch, str(exc))
    log.warning(
        "credential expired; its work stops until renewed",
        platform=batch.platform,
        accounts=accounts,
        error=str(exc),
    )
    return "auth_expired"


async def _misconfigured(ctx: WorkerContext, batch: RefreshBatch, what: str, error: str) -> str:
    """Sway's own configuration is at fault: nobody's credential is expired. Report it, and try
    again later by itself, so fixing the setting is all it takes."""
    await config_problems.report(ctx["redis"], what, error)
    detail = f"waiting for Sway's configuration to be fixed: {error}"
    return await _release(ctx, batch, ctx["settings"].config_retry_s, "config", detail)


async def _transient(ctx: WorkerContext, batch: RefreshBatch, exc: PlatformUnavailable) -> str:
    settings = ctx["settings"]
    log.warning("platform unavailable", platform=batch.platform, error=str(exc))
    if batch.attempt >= settings.refresh_max_attempts:
        detail = f"the platform kept failing ({batch.attempt} tries): {exc}"
        return await _release(ctx, batch, settings.cadence_hourly_every_s, "unavailable", detail)
    delay = backoff(batch.attempt)
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        await ingest.continue_later(
            session,
            batch,
            now=datetime.now(UTC),
            delay_s=delay,
            settings=settings,
            attempt=batch.attempt + 1,
            reserved=False,
        )
    return f"retrying in {round(delay, 1)}s (try {batch.attempt + 1})"


async def _isolate(ctx: WorkerContext, batch: RefreshBatch, posts, exc: Exception) -> str:
    """A failure no post of the batch is known for: halve the batch until the one post that
    causes it stands alone, then put that post in error with the reason; the others carry on."""
    reason = f"{type(exc).__name__}: {exc}"
    log.warning(
        "batch failed; isolating the post at fault",
        platform=batch.platform,
        posts=len(posts),
        error=reason,
        # A platform's odd answer is expected here; anything else is a bug worth its traceback.
        exc_info=not isinstance(exc, AdapterError),
    )
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        if len(posts) == 1:
            await ingest.mark_errors(session, batch, {posts[0].id: reason})
            return "error 1"
        halves = await ingest.split(
            session,
            batch,
            [post.id for post in posts],
            now=datetime.now(UTC),
            settings=ctx["settings"],
        )
    return f"split into {len(halves)}"
