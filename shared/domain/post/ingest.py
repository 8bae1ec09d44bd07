"""Refreshing post statistics in batches: what to claim, how to group it, what to write.

A batch is the posts of one organization on one platform under one credential and one set of
request parameters, at most what one platform call carries and one bucket's burst pays for,
leased until `lease_until`. The lease is the fencing token: only a job holding the current lease
writes, so a job run twice, or run after the scheduler re-claimed its posts, does nothing the
second time."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs as job_names
from shared.budget import limit_for
from shared.config import Settings
from shared.crypto import decrypt_credentials
from shared.domain.deliverable import linking as deliverable_linking
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.post import disclosure_service
from shared.domain.post.cadence import next_refresh_at
from shared.domain.post.ingest_repository import (
    BatchPost,
    ClaimedPost,
    IngestRepository,
    Refresh,
    claim_due_posts,
)
from shared.jobs import JobPayload, JobQueue
from shared.models.post_snapshot import COUNTS
from shared.platforms.base import (
    Credentials,
    Platform,
    PlatformAdapter,
    PostDetails,
    PostRefused,
    PostStats,
)

EXPIRED_DETAIL = "the credential expired or was revoked; PUT new credentials to resume"


class RefreshBatch(JobPayload):
    """The payload of one `post.refresh_batch` job."""

    org_id: UUID
    platform: Platform
    credential_key: str | None
    params_key: str | None = None
    post_ids: tuple[UUID, ...]
    lease_until: datetime
    # Which try against a failing platform this is (the job re-enqueues itself with a renewed
    # lease rather than using arq's Retry, whose arguments cannot change).
    attempt: int = 1
    # The batch's budget is already reserved: spend it, do not ask again.
    reserved: bool = False

    @property
    def job_id(self) -> str:
        digest = hashlib.sha1(",".join(sorted(map(str, self.post_ids))).encode()).hexdigest()[:16]
        return f"{job_names.REFRESH_POSTS}:{self.platform}:{digest}:{self.lease_until.timestamp()}"

    @property
    def bucket(self) -> str:
        return self.credential_key or "app"

    def defer(self, jobs: JobQueue, *, defer_by: timedelta | None = None) -> str:
        jobs.defer(job_names.REFRESH_POSTS, self, job_id=self.job_id, defer_by=defer_by)
        return self.job_id

    def but(self, **changes: Any) -> "RefreshBatch":
        return self.model_copy(update=changes)


def batch_size(adapter: PlatformAdapter, settings: Settings) -> int:
    """The most posts one batch may carry: what one call takes, and what the bucket's burst can
    pay for (a Meta batch costs two calls a post), so a batch never waits on a cost it can never
    be given at once."""
    capacity = limit_for(settings, adapter.platform).capacity
    size = adapter.max_batch
    while size > 1 and adapter.quota_cost(size, 0) > capacity:
        size -= 1
    return size


def details_wanted(
    adapter: PlatformAdapter, posts: Sequence[BatchPost], settings: Settings
) -> list[str]:
    """The posts still without a publish time, as many as the burst can also pay lookups for
    (where the platform needs one); the rest learn theirs on a later refresh."""
    unknown = [post.external_id for post in posts if post.published_at is None]
    capacity = limit_for(settings, adapter.platform).capacity
    while unknown and adapter.quota_cost(len(posts), len(unknown)) > capacity:
        unknown.pop()
    return unknown


def group_into_batches(
    claimed: Sequence[ClaimedPost], lease_until: datetime, sizes: Mapping[str, int]
) -> list[RefreshBatch]:
    groups: dict[tuple[UUID, str, str | None, str | None], list[UUID]] = defaultdict(list)
    for post in claimed:
        key = (post.org_id, post.platform, post.credential_key, post.params_key)
        groups[key].append(post.id)
    batches = []
    for (org_id, platform, credential_key, params_key), ids in groups.items():
        size = sizes[platform]
        for start in range(0, len(ids), size):
            batch = RefreshBatch(
                org_id=org_id,
                platform=Platform(platform),
                credential_key=credential_key,
                params_key=params_key,
                post_ids=tuple(ids[start : start + size]),
                lease_until=lease_until,
            )
            batches.append(batch)
    return batches


async def schedule_due(
    session: AsyncSession,
    *,
    now: datetime,
    settings: Settings,
    adapters: Mapping[Platform, PlatformAdapter],
) -> list[RefreshBatch]:
    lease_until = now + timedelta(seconds=settings.refresh_lease_s)
    claimed = await claim_due_posts(
        session, now=now, lease_until=lease_until, limit=settings.scheduler_batch_limit
    )
    sizes = {str(p): batch_size(adapter, settings) for p, adapter in adapters.items()}
    batches = group_into_batches(claimed, lease_until, sizes)
    queue = JobQueue.of(session)
    for batch in batches:
        batch.defer(queue)
    return batches


async def load_batch(
    session: AsyncSession, batch: RefreshBatch, settings: Settings
) -> tuple[list[BatchPost], Credentials | None]:
    """The batch's posts still under its lease, and their credentials (CredentialsError when
    they do not decrypt under SWAY_SECRET_KEY)."""
    posts, token = await IngestRepository(session, batch.org_id).leased_with_credentials(
        batch.post_ids, batch.lease_until
    )
    if not posts:
        return [], None
    return posts, decrypt_credentials(token, settings.secret_key.get_secret_value())


@dataclass(frozen=True, slots=True)
class Fetched:
    """A batch as its platform call left it: the posts it still held, and what came back."""

    batch: RefreshBatch
    posts: Sequence[BatchPost]
    results: Mapping[str, PostStats | PostRefused]
    now: datetime


# How many posts were refreshed, the ids that just became gone, and the ids now in error.
Recorded = tuple[int, list[UUID], set[UUID]]


async def record_batch(
    session: AsyncSession,
    batch: RefreshBatch,
    posts: Sequence[BatchPost],
    results: Mapping[str, PostStats | PostRefused],
    *,
    now: datetime,
    settings: Settings,
) -> Recorded:
    [recorded] = await record_batches(
        session, [Fetched(batch, posts, results, now)], settings=settings
    )
    return recorded


async def record_batches(
    session: AsyncSession, fetched: Sequence[Fetched], *, settings: Settings
) -> list[Recorded]:
    """Batches in one transaction: one statement per organization for the posts' latest counts
    and their snapshots, then each batch's missing and refused posts, all fenced by each batch's
    lease. A batch run with others is written exactly as it would be alone."""
    outcomes = [_outcome(one, settings) for one in fetched]
    held = await _write_present(session, fetched, [outcome.present for outcome in outcomes])
    return [
        await _record_rest(session, one, written, outcome, settings)
        for one, written, outcome in zip(fetched, held, outcomes, strict=True)
    ]


@dataclass(slots=True)
class _Outcome:
    """A batch's posts as present (their rows to write), missing (their next try) and refused
    (the reason), and the present ones whose details (publish time, caption) arrive now."""

    present: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    refused: dict[UUID, str]
    learning: list[tuple[BatchPost, PostDetails]]


def _outcome(fetched: Fetched, settings: Settings) -> _Outcome:
    present, missing, refused, learning = [], [], {}, []
    platform = fetched.batch.platform
    for post in fetched.posts:
        result = fetched.results.get(post.external_id)
        if isinstance(result, PostRefused):
            refused[post.id] = f"{platform} refused this post: {result.reason}"
            continue
        details = result.details if result is not None else None
        due = _next_due(settings, platform, post, details, fetched.now)
        if result is None:
            missing.append({"id": post.id, "next_refresh_at": due})
            continue
        present.append({"id": post.id, **_counts(result), "next_refresh_at": due})
        if details is not None and post.published_at is None:
            learning.append((post, details))
    return _Outcome(present, missing, refused, learning)


async def _write_present(
    session: AsyncSession, fetched: Sequence[Fetched], present: Sequence[list[dict[str, Any]]]
) -> list[set[UUID]]:
    """Each batch's present posts that still held its lease, written: one statement for all of
    an organization's batches (a distributed table keeps each to one shard)."""
    held: list[set[UUID]] = [set() for _ in fetched]
    by_org: dict[UUID, list[int]] = defaultdict(list)
    for i, one in enumerate(fetched):
        if present[i]:
            by_org[one.batch.org_id].append(i)
    for org_id, indexes in by_org.items():
        refreshes = [
            Refresh(fetched[i].now, fetched[i].batch.lease_until, present[i]) for i in indexes
        ]
        written = await IngestRepository(session, org_id).write_refreshes(refreshes)
        for i, ids in zip(indexes, written, strict=True):
            held[i] = ids
    return held


async def _record_rest(
    session: AsyncSession,
    fetched: Fetched,
    held: set[UUID],
    outcome: _Outcome,
    settings: Settings,
) -> Recorded:
    batch, now = fetched.batch, fetched.now
    repository = IngestRepository(session, batch.org_id)
    if learning := [(post, details) for post, details in outcome.learning if post.id in held]:
        await _learn_details(session, repository, batch, learning, now)
    gone = await repository.mark_missing(batch.lease_until, outcome.missing)
    await events_service.emit_posts(
        session, batch.org_id, EventType.post_gone, gone, payloads.post, now=now
    )
    errors = await repository.mark_error(batch.lease_until, outcome.refused)
    campaigns = {post.campaign_id for post in fetched.posts}
    mark_kpis_stale(JobQueue.of(session), batch.org_id, campaigns, now, settings)
    return len(held), gone, errors


def _next_due(
    settings: Settings,
    platform: str,
    post: BatchPost,
    details: PostDetails | None,
    now: datetime,
) -> datetime | None:
    published = post.published_at or (details.published_at if details else None)
    return next_refresh_at(settings, platform, published, now, tracked_since=post.created_at)


def _counts(stats: PostStats) -> dict[str, Any]:
    return {name: getattr(stats, name) for name in COUNTS}


async def _learn_details(
    session: AsyncSession,
    repository: IngestRepository,
    batch: RefreshBatch,
    learning: Sequence[tuple[BatchPost, PostDetails]],
    now: datetime,
) -> None:
    # One query for the requirement of every post whose caption arrives now (after
    # write_refresh, so these rows are already locked against a concurrent recomputation).
    captioned = [post.id for post, details in learning if details.caption]
    required = await disclosure_service.requirements(session, batch.org_id, captioned)
    rows = [
        _details_row(post, batch.platform, details, required.get(post.id))
        for post, details in learning
    ]
    first_captions = await repository.learn_details(rows)
    # A caption arriving is the first real check of the post's disclosure.
    checks = {row["id"]: row["disclosure"] for row in rows if row["id"] in first_captions}
    await disclosure_service.announce_missing(session, batch.org_id, checks, now=now)
    # Now that its caption is known, a post tracked by id can fulfil a deliverable.
    learned = [post.id for post, _ in learning]
    await deliverable_linking.link_captured(session, batch.org_id, learned)


def _details_row(
    post: BatchPost,
    platform: str,
    details: PostDetails,
    requirement: disclosure_service.Requirement | None,
) -> dict[str, Any]:
    check = disclosure_service.check(
        details.caption, platform, requirement or disclosure_service.NOT_REQUIRED
    )
    return {
        "id": post.id,
        "published_at": details.published_at,
        "kind": details.kind,
        "caption": details.caption,
        "url": details.url,
        # JSON text: asyncpg cannot send an array of jsonb values.
        "disclosure": json.dumps(check) if details.caption else None,
    }


class RecomputeKpis(JobPayload):
    org_id: UUID
    campaign_id: UUID


def mark_kpis_stale(
    jobs: JobQueue,
    org_id: UUID,
    campaign_ids: set[UUID | None],
    now: datetime,
    settings: Settings,
) -> None:
    """At most one recomputation per campaign per debounce window: the job id names the window,
    and it runs at the window's end, so every batch inside the window is counted."""
    window = settings.kpi_debounce_s
    slot = int(now.timestamp() // window)
    delay = timedelta(seconds=(slot + 1) * window - now.timestamp())
    for campaign_id in campaign_ids - {None}:
        jobs.defer(
            job_names.RECOMPUTE_KPIS,
            RecomputeKpis(org_id=org_id, campaign_id=campaign_id),
            job_id=f"{job_names.RECOMPUTE_KPIS}:{campaign_id}:{slot}",
            defer_by=delay,
        )


async def mark_errors(session: AsyncSession, batch: RefreshBatch, reasons: dict[UUID, str]) -> None:
    await IngestRepository(session, batch.org_id).mark_error(batch.lease_until, reasons)


async def release(
    session: AsyncSession, batch: RefreshBatch, until: datetime, detail: str | None = None
) -> None:
    """Give the posts back to the due set at `until` (a throttle, an empty budget, a platform
    that kept failing), saying why where a user should know."""
    await IngestRepository(session, batch.org_id).release(
        batch.post_ids, batch.lease_until, until, detail
    )


async def continue_later(
    session: AsyncSession,
    batch: RefreshBatch,
    *,
    now: datetime,
    delay_s: float,
    settings: Settings,
    **changes: Any,
) -> RefreshBatch | None:
    """Run (what is left of) the batch again after `delay_s`, its lease renewed to cover the wait
    and the run; None when no post still holds the lease."""
    renewed = now + timedelta(seconds=delay_s + settings.refresh_lease_s)
    repository = IngestRepository(session, batch.org_id)
    held = await repository.renew_lease(batch.post_ids, batch.lease_until, renewed)
    if not held:
        return None
    later = batch.but(post_ids=tuple(held), lease_until=renewed, **changes)
    later.defer(JobQueue.of(session), defer_by=timedelta(seconds=delay_s))
    return later


async def split(
    session: AsyncSession,
    batch: RefreshBatch,
    post_ids: Sequence[UUID],
    *,
    now: datetime,
    settings: Settings,
) -> list[RefreshBatch]:
    """Two half batches in place of one that failed as a whole, to find the post at fault."""
    renewed = now + timedelta(seconds=settings.refresh_lease_s)
    repository = IngestRepository(session, batch.org_id)
    held = await repository.renew_lease(post_ids, batch.lease_until, renewed)
    middle = len(held) // 2
    halves = [
        batch.but(post_ids=tuple(part), lease_until=renewed, attempt=1, reserved=False)
        for part in (held[:middle], held[middle:])
        if part
    ]
    queue = JobQueue.of(session)
    for half in halves:
        half.defer(queue)
    return halves


async def expire_credential(session: AsyncSession, batch: RefreshBatch, error: str) -> int:
    """Stop this credential's work: its accounts become auth_expired and their posts leave the
    due set until a person renews it; other credentials carry on."""
    return await IngestRepository(session, batch.org_id).expire_credential(
        batch.platform, batch.credential_key, error, EXPIRED_DETAIL
    )
