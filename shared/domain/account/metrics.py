"""An account's own numbers (METRICS.md, "Account level"): its tier by followers, under the
organization's boundaries, and its engagement rate, the median over its recent settled posts.
Recomputed after every account sync; the creator's denormalized totals follow."""

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.account.repository import AccountRepository
from shared.domain.organization import service as organization_service
from shared.metrics.engagement import (
    ACCOUNT_POSTS,
    account_engagement_rate,
    engagements,
    ratio,
)
from shared.metrics.tiers import Tier, tier_for
from shared.models import CreatorAccount

# A post younger than this is still gathering engagement: it would pull the median down.
SETTLED = timedelta(hours=24)


async def recompute(session: AsyncSession, account: CreatorAccount, *, now: datetime) -> None:
    repository = AccountRepository(session, account.org_id)
    rows = await repository.recent_post_counts(account.id, now - SETTLED, ACCOUNT_POSTS)
    account.engagement_rate = account_engagement_rate(
        [
            ratio(engagements(r.likes, r.comments, r.shares, r.saves), r.followers_at_post)
            for r in rows
        ]
    )
    boundaries = await organization_service.tier_boundaries(session, account.org_id)
    account.tier = tier_for(account.followers, boundaries)
    await session.flush()
    await repository.refresh_creator_totals(account.creator_id)


async def retier(session: AsyncSession, org_id: UUID, boundaries: list[tuple[Tier, int]]) -> None:
    """Every account of the organization under new tier boundaries."""
    await AccountRepository(session, org_id).retier(boundaries)
