"""Refreshing post statistics in batches: what to claim, how to group it, what to write.

A batch is the posts of one organization on one platform under one credential, at most the
adapter's `max_batch`, leased until `lease_until`. The lease is the fencing token: only a job
holding the current lease writes, so a job run twice, or run after the scheduler re-claimed its
posts, does nothing the second time."""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs as job_names
from shared.config import Settings
from shared.crypto import decrypt_credentials
from shared.domain.post.cadence import next_refresh_at
from shared.domain.post.ingest_repository import (
    BatchPost,
    ClaimedPost,
    IngestRepository,
    claim_due_posts,
)
from shared.jobs import JobQueue
from shared.models.post_snapshot import COUNTS
from shared.platforms.base import Credentials, Platform, PostStats
from shared.platforms.registry import adapter_class


@dataclass(frozen=True)
class Batch:
    org_id: UUID
    platform: str
    credential_key: str | None
    post_ids: tuple[UUID, ...]
    lease_until: datetime

    @property
    def job_id(self) -> str:
        digest = hashlib.sha1(",".join(sorted(map(str, self.post_ids))).encode()).hexdigest()[:16]
        return f"{job_names.REFRESH_POSTS}:{self.platform}:{digest}:{self.lease_until.timestamp()}"

    def defer(self, jobs: JobQueue) -> str:
        jobs.defer(
            job_names.REFRESH_POSTS,
            str(self.org_id),
            self.platform,
            self.credential_key,
            [str(id) for id in self.post_ids],
            self.lease_until.isoformat(),
            job_id=self.job_id,
        )
        return self.job_id


def group_into_batches(claimed: Sequence[ClaimedPost], lease_until: datetime) -> list[Batch]:
    groups: dict[tuple[UUID, str, str | None], list[UUID]] = defaultdict(list)
    for post in claimed:
        groups[(post.org_id, post.platform, post.credential_key)].append(post.id)
    batches = []
    for (org_id, platform, credential_key), ids in groups.items():
        size = adapter_class(Platform(platform)).max_batch
        for start in range(0, len(ids), size):
            chunk = tuple(ids[start : start + size])
            batches.append(Batch(org_id, platform, credential_key, chunk, lease_until))
    return batches


async def schedule_due(session: AsyncSession, *, now: datetime, settings: Settings) -> list[Batch]:
    lease_until = now + timedelta(seconds=settings.refresh_lease_s)
    claimed = await claim_due_posts(
        session, now=now, lease_until=lease_until, limit=settings.scheduler_batch_limit
    )
    batches = group_into_batches(claimed, lease_until)
    queue = JobQueue.of(session)
    for batch in batches:
        batch.defer(queue)
    return batches


async def load_batch(
    session: AsyncSession,
    org_id: UUID,
    post_ids: Sequence[UUID],
    lease_until: datetime,
    settings: Settings,
) -> tuple[list[BatchPost], Credentials | None]:
    posts, token = await IngestRepository(session, org_id).leased_with_credentials(
        post_ids, lease_until
    )
    if not posts:
        return [], None
    return posts, decrypt_credentials(token, settings.secret_key.get_secret_value())


async def record_batch(
    session: AsyncSession,
    org_id: UUID,
    platform: str,
    posts: Sequence[BatchPost],
    results: dict[str, PostStats],
    *,
    now: datetime,
    settings: Settings,
) -> list[UUID]:
    """One insert of snapshots, one update of the posts' latest counts, one update of the
    missing ones; returns the ids that just became gone."""
    repository = IngestRepository(session, org_id)
    present, missing = [], []
    for post in posts:
        due = next_refresh_at(settings, platform, post.published_at, now)
        stats = results.get(post.external_id)
        if stats is None:
            missing.append({"id": post.id, "next_refresh_at": due})
        else:
            counts = {name: getattr(stats, name) for name in COUNTS}
            present.append({"id": post.id, **counts, "next_refresh_at": due})
    if present:
        await repository.insert_snapshots(now, present)
        await repository.update_latest(now, present)
    gone = await repository.mark_missing(missing)
    mark_kpis_stale(JobQueue.of(session), org_id, {p.campaign_id for p in posts}, now, settings)
    return gone


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
            str(org_id),
            str(campaign_id),
            job_id=f"{job_names.RECOMPUTE_KPIS}:{campaign_id}:{slot}",
            defer_by=delay,
        )


async def postpone(
    session: AsyncSession,
    org_id: UUID,
    post_ids: Sequence[UUID],
    lease_until: datetime,
    until: datetime,
) -> None:
    await IngestRepository(session, org_id).postpone(post_ids, lease_until, until)


async def expire_credential(
    session: AsyncSession, org_id: UUID, platform: str, credential_key: str | None, error: str
) -> int:
    """Stop this credential's work (its accounts' posts drop out of the scheduler) until a
    person renews it; other credentials carry on."""
    return await IngestRepository(session, org_id).expire_credential(
        platform, credential_key, error
    )
