"""Instagram stories (docs/ingestion.md, "Stories"). A story and its insights leave the API 24 h
after it is posted, so connected accounts' stories are polled on a cadence of their own: each
poll lists the live stories, captures those matching a campaign by the same rules as posts
(content capture), and snapshots the insights of the tracked ones; within the last
SWAY_STORY_FINAL_CAPTURE_S before a story expires, one more poll keeps its final insights. At
expiry the story is stopped, its last snapshot its final one. The ordinary post refresh never
claims a story (ingest_repository.NOT_A_STORY)."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.domain.account import service as account_service
from shared.domain.account import sync as account_sync
from shared.domain.post import capture, ingest
from shared.domain.post.ingest_repository import IngestRepository
from shared.domain.story import repository
from shared.domain.story.repository import StoryRepository
from shared.jobs import JobPayload, JobQueue
from shared.models.post_snapshot import COUNTS
from shared.platforms.base import Platform, PostInfo, PostRefused, PostStats

POLL_STORIES = "story.poll"
EXPIRED_DETAIL = "the story expired 24 h after it was posted; its final insights are kept"


class PollStories(JobPayload):
    """The payload of one `story.poll` job."""

    org_id: UUID
    account_id: UUID
    final: bool = False


class TrackedStory(NamedTuple):
    id: UUID
    external_id: str
    campaign_id: UUID | None


async def schedule(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Stop the stories that expired; queue a poll per connected account once per
    SWAY_STORY_POLL_EVERY_S (the job id names the account's slot, so the ticks in between are
    no-ops), and a final poll for accounts with a story about to expire. Returns the polls
    queued (or already queued)."""
    await repository.stop_expired(session, now=now, detail=EXPIRED_DETAIL)
    every, limit = settings.story_poll_every_s, settings.scheduler_batch_limit
    queue = JobQueue.of(session)
    accounts = await repository.connected_accounts(session, limit=limit)
    for org_id, account_id in accounts:
        # Each account's slots start at an offset of its own, so the polls spread over the period
        # instead of all falling on its first minute.
        slot = int((now.timestamp() + account_id.int % every) // every)
        payload = PollStories(org_id=org_id, account_id=account_id)
        queue.defer(POLL_STORIES, payload, job_id=f"{POLL_STORIES}:{account_id}:{slot}")
    finals = await repository.final_due(
        session, now=now, window_s=settings.story_final_capture_s, limit=limit
    )
    minute = int(now.timestamp() // 60)
    for org_id, account_id in finals:
        payload = PollStories(org_id=org_id, account_id=account_id, final=True)
        queue.defer(POLL_STORIES, payload, job_id=f"{POLL_STORIES}:{account_id}:final:{minute}")
    return len(accounts) + len(finals)


async def load(
    session: AsyncSession, org_id: UUID, account_id: UUID, settings: Settings
) -> account_sync.SyncTarget | None:
    """The connected Instagram account to poll; None when it is gone, archived, another
    platform's or has no credentials."""
    target = await account_sync.load_target(session, org_id, account_id, settings)
    if target is None or target.ref.platform != Platform.instagram:
        return None
    if target.credential_key is None or target.unreadable is not None:
        return None
    return target


async def record_listing(
    session: AsyncSession,
    org_id: UUID,
    target: account_sync.SyncTarget,
    stories: Sequence[PostInfo],
    *,
    now: datetime,
    settings: Settings,
) -> list[TrackedStory]:
    """Capture the listed stories that match a campaign (a story listed again is a no-op) and
    return the account's tracked stories among those listed."""
    account = await account_service.get(session, org_id, target.account_id)
    if account.credential_key != target.credential_key:
        return []  # new credentials arrived meanwhile: their own poll reads the stories
    await capture.capture(session, account, list(stories), now=now)
    story_repository = StoryRepository(session, org_id)
    rows = await story_repository.tracked(account.id, [story.external_id for story in stories])
    tracked = [TrackedStory(*row) for row in rows]
    # What the API shows as the next refresh: the next poll.
    next_poll = now + timedelta(seconds=settings.story_poll_every_s)
    await story_repository.set_next([story.id for story in tracked], next_poll)
    return tracked


async def record_insights(
    session: AsyncSession,
    org_id: UUID,
    tracked: Sequence[TrackedStory],
    results: Mapping[str, PostStats | PostRefused],
    *,
    now: datetime,
    settings: Settings,
) -> int:
    """One snapshot per story with insights, and its latest counts, written by the same
    statements as a post refresh (the age-normalized engagements included). A story without
    insights this time (too few viewers) keeps the counts it had. Returns how many were
    written."""
    next_poll = now + timedelta(seconds=settings.story_poll_every_s)
    rows = [
        {
            "id": story.id,
            **{name: getattr(stats, name) for name in COUNTS},
            "next_refresh_at": next_poll,
        }
        for story in tracked
        if isinstance(stats := results.get(story.external_id), PostStats)
    ]
    if not rows:
        return 0
    lease = now + timedelta(seconds=settings.refresh_lease_s)
    held = await StoryRepository(session, org_id).lease([row["id"] for row in rows], lease, now)
    ingest_repository = IngestRepository(session, org_id)
    written = await ingest_repository.write_refresh(
        now, lease, [row for row in rows if row["id"] in held]
    )
    campaigns = {story.campaign_id for story in tracked if story.id in written}
    ingest.mark_kpis_stale(JobQueue.of(session), org_id, campaigns, now, settings)
    return len(written)
