"""Content capture: an account sync lists the creator's recent posts; those that carry an
active campaign's hashtags or mentions, or all the hashtags and mentions one of the creator's
deliverables requires, are attached to the campaign, so nobody has to paste URLs. The same
listing resolves posts tracked by a URL whose id the platform's API does not take."""

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign.repository import CampaignRepository
from shared.domain.deliverable import linking as deliverable_linking
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.post import disclosure, disclosure_service
from shared.domain.post.repository import PostRepository
from shared.models import Campaign, CreatorAccount
from shared.models.status import PostStatus
from shared.platforms.base import PostInfo
from shared.platforms.urls import UnrecognizedURL, parse_post_url


def matching_campaign(campaigns: list[Campaign], info: PostInfo) -> Campaign | None:
    tags, handles = disclosure.hashtags(info.caption), disclosure.mentions(info.caption)
    for campaign in campaigns:
        if not _within(campaign, info.published_at):
            continue
        if tags & set(campaign.hashtags) or handles & set(campaign.mentions):
            return campaign
    return None


def _within(campaign: Campaign, published_at: datetime | None) -> bool:
    if published_at is None:
        return True
    day: date = published_at.date()
    if campaign.starts_on and day < campaign.starts_on:
        return False
    # A post on the last day, published late in a creator's time zone, still counts.
    return not (campaign.ends_on and day > campaign.ends_on + timedelta(days=1))


async def capture(
    session: AsyncSession, account: CreatorAccount, posts: list[PostInfo], *, now: datetime
) -> list[UUID]:
    """Attach matching posts to their campaign; returns the ids of newly tracked posts."""
    campaigns = await CampaignRepository(session, account.org_id).capturing(account.platform)
    wanted = await deliverable_linking.wanted(session, account)
    rows = []
    for info in posts:
        campaign = matching_campaign(campaigns, info)
        campaign = campaign or deliverable_linking.campaign_wanting(wanted, info.caption)
        # A post from before (or well after) its campaign is not the campaign's, whichever way
        # it matched.
        if campaign is not None and _within(campaign, info.published_at):
            rows.append(await _row(session, account, campaign, info, now))
    captured = await PostRepository(session, account.org_id).insert_captured(rows)
    # A captured post may be a collaboration's deliverable: link it (deliverable/linking.py).
    await deliverable_linking.link_captured(session, account.org_id, captured)
    await disclosure_service.recompute_posts(session, account.org_id, captured)
    await events_service.emit_posts(
        session, account.org_id, EventType.post_captured, captured, _captured, now=now
    )
    return captured


def _captured(post) -> dict[str, Any]:
    return payloads.post_captured(post, source="capture")


async def _row(
    session: AsyncSession,
    account: CreatorAccount,
    campaign: Campaign,
    info: PostInfo,
    now: datetime,
) -> dict[str, Any]:
    followers = await PostRepository(session, account.org_id).followers_at(
        account.id, info.published_at
    )
    return {
        "account_id": account.id,
        "creator_id": account.creator_id,
        "campaign_id": campaign.id,
        "platform": account.platform,
        "external_id": info.external_id,
        "url": info.url,
        "kind": info.kind,
        "caption": info.caption,
        "published_at": info.published_at,
        "status": PostStatus.tracking,
        "missing_count": 0,
        "source": "capture",
        # Checked once inserted and linked: whether it must disclose depends on both.
        "disclosure": None,
        "followers_at_post": followers,
        "next_refresh_at": now,
    }


async def resolve_pending(
    session: AsyncSession, account: CreatorAccount, posts: list[PostInfo], *, now: datetime
) -> int:
    """Posts tracked by URL wait as "pending" until a listing shows which API id their URL
    names (its permalink parses to the same id); then they are tracked under the API's id, and
    a post already tracked under that id is merged into them. Call before `capture`, so capture
    finds the id taken instead of adding the post a second time."""
    by_url_id = {}
    for info in posts:
        try:
            by_url_id[parse_post_url(info.url or "").external_id] = info
        except UnrecognizedURL:
            continue
    resolved = await PostRepository(session, account.org_id).resolve_pending(
        account.id, by_url_id, now=now
    )
    # The listing brought their captions: a missing disclosure is news now, whatever was
    # stored while the caption was unknown.
    await disclosure_service.recompute_posts(
        session, account.org_id, resolved, captions_new=True, now=now
    )
    return len(resolved)
