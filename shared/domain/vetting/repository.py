from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, select, text
from sqlalchemy.dialects.postgresql import insert

from shared.domain.repository import OrgRepository
from shared.models import AccountSnapshot, Creator, CreatorAccount, EngagementBenchmark


class BenchmarkRepository(OrgRepository[EngagementBenchmark]):
    model = EngagementBenchmark

    async def overrides(self) -> Sequence[EngagementBenchmark]:
        return await self.scalars(
            self.select().order_by(EngagementBenchmark.platform, EngagementBenchmark.tier)
        )

    async def one(self, platform: str, tier: str) -> EngagementBenchmark | None:
        return await self.session.scalar(
            self.select().where(
                EngagementBenchmark.platform == platform, EngagementBenchmark.tier == tier
            )
        )

    async def replace_all(self, rows: Sequence[dict[str, Any]]) -> None:
        """The organization's overrides become exactly `rows`."""
        await self.session.execute(
            delete(EngagementBenchmark).where(EngagementBenchmark.org_id == self.org_id)
        )
        if rows:
            await self.session.execute(
                insert(EngagementBenchmark).values([{**r, "org_id": self.org_id} for r in rows])
            )


# The last follower count of each UTC day since :since, oldest first.
_DAILY_FOLLOWERS = text("""
SELECT DISTINCT ON (day) (captured_at AT TIME ZONE 'UTC')::date AS day, followers
  FROM account_snapshot
 WHERE org_id = :org AND account_id = :account AND followers IS NOT NULL
   AND captured_at >= :since AND captured_at <= :now
 ORDER BY day, captured_at DESC
""")


class VettingRepository:
    """The reads and writes of vetting outside the benchmark table: follower history, a
    creator's niches, and the scores on accounts and creators."""

    def __init__(self, session, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def daily_followers(
        self, account_id: UUID, since: datetime, now: datetime
    ) -> list[tuple[date, int]]:
        params = {"org": self.org_id, "account": account_id, "since": since, "now": now}
        rows = await self.session.execute(_DAILY_FOLLOWERS, params)
        return [(row.day, row.followers) for row in rows]

    async def followers_history(
        self, account_id: UUID, since: datetime, now: datetime
    ) -> list[tuple[datetime, int]]:
        """Every follower count from the latest one at or before `since` on, oldest first."""
        base = select(AccountSnapshot.captured_at, AccountSnapshot.followers).where(
            AccountSnapshot.org_id == self.org_id,
            AccountSnapshot.account_id == account_id,
            AccountSnapshot.followers.is_not(None),
            AccountSnapshot.captured_at <= now,
        )
        anchor = await self.session.execute(
            base.where(AccountSnapshot.captured_at <= since)
            .order_by(AccountSnapshot.captured_at.desc())
            .limit(1)
        )
        after = await self.session.execute(
            base.where(AccountSnapshot.captured_at > since).order_by(AccountSnapshot.captured_at)
        )
        return [(at, count) for at, count in [*anchor.all(), *after.all()]]

    async def niches(self, creator_id: UUID) -> list[str]:
        niches = await self.session.scalar(
            select(Creator.niches).where(Creator.org_id == self.org_id, Creator.id == creator_id)
        )
        return list(niches or [])

    async def scored_accounts(self, creator_id: UUID) -> Sequence[Row]:
        """The creator's accounts with an influence score, largest first."""
        statement = (
            select(
                CreatorAccount.id,
                CreatorAccount.platform,
                CreatorAccount.handle,
                CreatorAccount.followers,
                CreatorAccount.influence_score,
            )
            .where(
                CreatorAccount.org_id == self.org_id,
                CreatorAccount.creator_id == creator_id,
                CreatorAccount.influence_score.is_not(None),
            )
            .order_by(CreatorAccount.followers.desc().nulls_last(), CreatorAccount.id)
        )
        return (await self.session.execute(statement)).all()

    async def set_creator_influence(
        self, creator_id: UUID, score: float | None, influence: dict[str, Any]
    ) -> None:
        await self.session.execute(
            Creator.__table__.update()
            .where(Creator.org_id == self.org_id, Creator.id == creator_id)
            .values(influence_score=score, influence=influence)
        )
