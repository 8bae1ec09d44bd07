from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.domain.account import service as account_service
from shared.domain.campaign import service as campaign_service
from shared.domain.deliverable import linking as deliverable_linking
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.pagination import Page, page_of
from shared.domain.post import by_url as by_url_service
from shared.domain.post import disclosure_service, schedule
from shared.domain.post.ingest import RefreshBatch
from shared.domain.post.repository import PostRepository
from shared.domain.post.schemas import PostById, PostByUrl
from shared.errors import Conflict, NotFound
from shared.jobs import JobQueue
from shared.models import Post, PostSnapshot
from shared.models.status import PostStatus
from shared.platforms.base import Platform

# A URL names these platforms' posts by an id their APIs do not take (an Instagram shortcode, a
# Facebook post id without its page). Such a post waits as "pending" until the account's next
# sync lists it and matches the URL to the API's id.
RESOLVED_BY_SYNC = {Platform.instagram, Platform.facebook}


async def track(
    session: AsyncSession,
    org_id: UUID,
    campaign_id: UUID,
    data: PostByUrl | PostById,
    *,
    jobs: JobQueue,
    now: datetime,
    lookups: by_url_service.PostLookups | None = None,
) -> tuple[Post, bool]:
    """Returns the post and whether it is new (tracking it again is a no-op). With `lookups`, a
    URL may be a short link or name no account: both are resolved over the network, before
    anything is written."""
    campaign = await campaign_service.get(session, org_id, campaign_id)
    if isinstance(data, PostByUrl):
        parsed, account = await by_url_service.post_and_account(
            session, org_id, data.url, lookups=lookups, jobs=jobs
        )
        external_id, kind, url = parsed.external_id, parsed.kind, data.url
    else:
        account = await account_service.get(session, org_id, data.account_id)
        external_id, kind, url = data.external_id, None, None
    repository = PostRepository(session, org_id)
    existing = await repository.by_external_id(account.platform, external_id)
    if existing is not None:
        post = _already_tracked(existing, campaign.id)
        await deliverable_linking.on_tracked(session, org_id, post, data.deliverable_id)
        return post, False
    by_url = isinstance(data, PostByUrl)
    pending = by_url and account.platform in RESOLVED_BY_SYNC
    post = repository.add(
        Post(
            account_id=account.id,
            creator_id=account.creator_id,
            campaign_id=campaign.id,
            platform=account.platform,
            external_id=external_id,
            url=url,
            kind=kind,
            status=PostStatus.pending if pending else PostStatus.tracking,
            missing_count=0,
            source="url" if by_url else "api",
            followers_at_post=await repository.followers_at(account.id, None),
            next_refresh_at=None if pending else now,
        )
    )
    try:
        async with session.begin_nested():
            await repository.flush()
    except IntegrityError as exc:
        raise Conflict(f"{account.platform} post {external_id} is already tracked") from exc
    await schedule.sync(session, org_id, [post.id])
    await deliverable_linking.on_tracked(session, org_id, post, data.deliverable_id)
    await disclosure_service.recompute_posts(session, org_id, [post.id], now=now)
    data = payloads.post_captured(post, source=post.source)
    await events_service.emit(session, org_id, EventType.post_captured, data, now=now)
    if pending:
        account_service.request_sync(jobs, org_id, account.id)
    return post, True


def _already_tracked(post: Post, campaign_id: UUID) -> Post:
    if post.campaign_id == campaign_id:
        return post  # tracking the same post twice is a no-op
    raise Conflict(
        f"{post.platform} post {post.external_id} is already tracked by campaign {post.campaign_id}"
    )


async def get(session: AsyncSession, org_id: UUID, post_id: UUID) -> Post:
    post = await PostRepository(session, org_id).get(post_id)
    if post is None:
        raise NotFound(f"post {post_id} not found")
    return post


async def get_many(session: AsyncSession, org_id: UUID, post_ids: Sequence[UUID]) -> list[Post]:
    """The organization's posts among these ids, in id order, one query."""
    return list(await PostRepository(session, org_id).many(post_ids))


async def list_for_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, cursor: str | None, limit: int
) -> Page[Post]:
    campaign = await campaign_service.get(session, org_id, campaign_id)
    rows = await PostRepository(session, org_id).for_campaign(campaign.id, cursor, limit)
    return page_of(rows, limit, lambda p: (p.created_at, p.id))


async def list_snapshots(
    session: AsyncSession, org_id: UUID, post_id: UUID, *, cursor: str | None, limit: int
) -> tuple[Post, Page[PostSnapshot]]:
    post = await get(session, org_id, post_id)
    rows = await PostRepository(session, org_id).snapshots(post.id, cursor, limit)
    return post, page_of(rows, limit, lambda s: (s.captured_at, s.post_id))


async def refresh(
    session: AsyncSession,
    org_id: UUID,
    post_id: UUID,
    *,
    jobs: JobQueue,
    now: datetime,
    settings: Settings,
) -> str:
    """Lease the post to a one-post batch now, whatever its cadence says. A post in error is
    given another try."""
    post = await get(session, org_id, post_id)
    if post.status not in (PostStatus.tracking, PostStatus.error):
        detail = f" ({post.status_detail})" if post.status_detail else ""
        raise Conflict(
            f"post {post_id} is {post.status}{detail}; only tracked posts can be refreshed"
        )
    account = await account_service.get(session, org_id, post.account_id)
    lease_until = now + timedelta(seconds=settings.refresh_lease_s)
    post.status, post.status_detail, post.lease_until = PostStatus.tracking, None, lease_until
    await schedule.sync(session, org_id, [post.id])
    batch = RefreshBatch(
        org_id=org_id,
        platform=Platform(post.platform),
        credential_key=account.credential_key,
        params_key=account.params_key,
        post_ids=(post.id,),
        lease_until=lease_until,
    )
    return batch.defer(jobs)
