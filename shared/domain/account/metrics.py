"""An account's own numbers (METRICS.md, "Account level"): its tier by followers, under the
organization's boundaries, and its engagement rate, the median over its recent settled posts;
then its vetting (docs/vetting.md): authenticity and influence. Recomputed after every account
sync; the creator's denormalized totals and influence follow.

An account's posts are the ones Sway tracks and the ones its syncs listed (account_recent_post),
so an account with no campaign post still has "its last 12 posts" (docs/metrics.md)."""

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings, get_settings
from shared.domain.account.repository import RECENT_POSTS, AccountRepository
from shared.domain.organization import service as organization_service
from shared.domain.vetting import service as vetting_service
from shared.metrics.engagement import ACCOUNT_POSTS, account_engagement_rate
from shared.metrics.tiers import Tier, tier_for
from shared.metrics.vetting import PostFigures
from shared.models import CreatorAccount

# A post younger than this is still gathering engagement: it would pull the median down.
SETTLED = timedelta(hours=24)


def _figures(row: Row) -> PostFigures:
    return PostFigures(
        published_at=row.published_at,
        likes=row.likes,
        comments=row.comments,
        shares=row.shares,
        saves=row.saves,
        followers=row.followers,
        caption=row.caption,
    )


async def recompute(
    session: AsyncSession,
    account: CreatorAccount,
    *,
    now: datetime,
    settings: Settings | None = None,
) -> None:
    repository = AccountRepository(session, account.org_id)
    settled = [
        _figures(row)
        for row in await repository.settled_posts(account.id, now - SETTLED, ACCOUNT_POSTS)
    ]
    account.engagement_rate = account_engagement_rate([post.rate for post in settled])
    boundaries = await organization_service.tier_boundaries(session, account.org_id)
    account.tier = tier_for(account.followers, boundaries)
    account.last_posted_at = await repository.newest_published(account.id, now)
    recent = [_figures(row) for row in await repository.recent_posts(account.id, now, RECENT_POSTS)]
    await vetting_service.assess_account(
        session,
        account,
        settled=settled,
        recent=recent,
        now=now,
        settings=settings or get_settings(),
    )
    await session.flush()
    await repository.refresh_creator_totals(account.creator_id)
    await vetting_service.assess_creator(session, account.org_id, account.creator_id, now=now)


async def retier(session: AsyncSession, org_id: UUID, boundaries: list[tuple[Tier, int]]) -> None:
    """Every account of the organization under new tier boundaries."""
    await AccountRepository(session, org_id).retier(boundaries)
