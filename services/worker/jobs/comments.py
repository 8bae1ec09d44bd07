"""Comments of tracked posts (shared/domain/comment): a cron queues a read per post due one, each
read spends its platform's budget on one post's newest comments and upserts them. A read that
cannot run is skipped: a throttle pauses the bucket, an outage or an empty budget waits for the
next cron (10 minutes on), and a refused token or setting waits a whole refresh period, since the
account's own sync reports token problems and retrying sooner only repeats the refusal."""

from datetime import UTC, datetime
from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.crypto import CredentialsError
from shared.db import unit_of_work
from shared.domain.comment import service as comment_service
from shared.platforms.base import AdapterError, PlatformUnavailable, RateLimited
from shared.platforms.comments import CommentSource

log = structlog.get_logger()


async def schedule_comment_reads(ctx: WorkerContext) -> int:
    platforms = [
        str(p) for p, adapter in ctx["adapters"].items() if isinstance(adapter, CommentSource)
    ]
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        queued = await comment_service.schedule(
            session,
            redis=ctx["redis"],
            now=datetime.now(UTC),
            settings=ctx["settings"],
            platforms=platforms,
        )
    if queued:
        log.info("comment reads scheduled", posts=queued)
    return queued


async def read_comments(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    request = comment_service.ReadComments.read(payload)
    settings = ctx["settings"]
    try:
        async with unit_of_work(ctx["sessionmaker"]) as session:
            target = await comment_service.load(
                session, request.org_id, request.post_id, now=datetime.now(UTC), settings=settings
            )
    except CredentialsError as exc:
        log.warning("comments not read", post_id=str(request.post_id), error=str(exc))
        return "skipped: credentials unreadable"
    if target is None:
        return "not read: the post's comments are no longer followed"
    adapter = ctx["adapters"][target.platform]
    if not isinstance(adapter, CommentSource):
        return "comments not supported"
    limit = settings.comments_per_post
    if wait := await ctx["budget"].take(
        target.platform, target.bucket, adapter.comments_cost(limit)
    ):
        return f"skipped: budget free in {round(wait, 1)}s"
    try:
        page = await adapter.list_comments(target.external_id, target.credentials, limit=limit)
    except AdapterError as exc:
        return await _skip(ctx, target, exc)
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        stored = await comment_service.record(session, target, page, now=datetime.now(UTC))
    await comment_service.mark_read(
        ctx["redis"], target.post_id, now=datetime.now(UTC), settings=settings
    )
    log.info(
        "comments read",
        post_id=str(target.post_id),
        platform=target.platform,
        fetched=len(page.comments),
        new=stored.new,
        changed=stored.changed,
        disabled=page.disabled,
    )
    return f"fetched {len(page.comments)}, new {stored.new}, changed {stored.changed}" + (
        ", comments disabled" if page.disabled else ""
    )


async def _skip(
    ctx: WorkerContext, target: comment_service.CommentTarget, exc: AdapterError
) -> str:
    if isinstance(exc, RateLimited):
        await ctx["budget"].pause(target.platform, target.bucket, exc.retry_after_s)
    elif not isinstance(exc, PlatformUnavailable):
        # Refused (token, setting, post): asking again before the next period only repeats it.
        await comment_service.mark_read(
            ctx["redis"], target.post_id, now=datetime.now(UTC), settings=ctx["settings"]
        )
    log.warning(
        "comments not read",
        post_id=str(target.post_id),
        platform=target.platform,
        reason=type(exc).__name__,
        error=str(exc),
    )
    return f"skipped: {type(exc).__name__}"
