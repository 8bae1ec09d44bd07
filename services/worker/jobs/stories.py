"""Instagram story polls (shared/domain/story): a cron queues them, each lists one connected
account's live stories, captures the campaign ones and snapshots their insights. A poll that
cannot run (budget, throttle, outage, expired token) is skipped: the next slot polls again, and
the account's own sync reports a token that stopped working."""

from datetime import UTC, datetime
from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.story import service as story_service
from shared.platforms.base import AdapterError, PlatformAdapter, RateLimited
from shared.platforms.stories import StorySource

log = structlog.get_logger()


async def schedule_story_polls(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        return await story_service.schedule(
            session, now=datetime.now(UTC), settings=ctx["settings"]
        )


async def poll_stories(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    request = story_service.PollStories.read(payload)
    settings = ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        target = await story_service.load(session, request.org_id, request.account_id, settings)
    if target is None:
        return "not a connected instagram account"
    adapter: PlatformAdapter = ctx["adapters"][target.ref.platform]
    if not isinstance(adapter, StorySource):
        return "stories not supported"
    bucket = target.credential_key or "app"
    try:
        if wait := await ctx["budget"].take(adapter.platform, bucket, adapter.story_cost(0)):
            return f"skipped: budget free in {round(wait, 1)}s"
        stories = await adapter.list_stories(target.ref, target.credentials)
        async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
            tracked = await story_service.record_listing(
                session, request.org_id, target, stories, now=datetime.now(UTC), settings=settings
            )
        results = await _insights(ctx, adapter, bucket, target, tracked)
    except AdapterError as exc:
        if isinstance(exc, RateLimited):
            await ctx["budget"].pause(adapter.platform, bucket, exc.retry_after_s)
        log.warning("story poll failed", account_id=str(target.account_id), error=str(exc))
        return f"skipped: {type(exc).__name__}"
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        written = await story_service.record_insights(
            session, request.org_id, tracked, results, now=datetime.now(UTC), settings=settings
        )
    log.info(
        "stories polled",
        account_id=str(target.account_id),
        listed=len(stories),
        tracked=len(tracked),
        snapshots=written,
        final=request.final,
    )
    return f"listed {len(stories)}, tracked {len(tracked)}, snapshots {written}"


async def _insights(ctx: WorkerContext, adapter, bucket: str, target, tracked) -> dict[str, Any]:
    """The tracked stories' insights, a batch at a time while the budget lasts."""
    results: dict[str, Any] = {}
    ids = [story.external_id for story in tracked]
    size = adapter.max_story_batch
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        # story_cost counts the listing too, already paid above.
        if await ctx["budget"].take(adapter.platform, bucket, adapter.story_cost(len(chunk)) - 1):
            log.info("story insights left for the next poll (budget)", stories=len(ids) - start)
            break
        results |= await adapter.fetch_story_insights(chunk, target.credentials)
    return results
