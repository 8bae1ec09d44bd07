from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.models import AccountSnapshot, Creator, CreatorAccount

SNAPSHOT_ORDER = SortKey(AccountSnapshot.captured_at, descending=True, parse=parse_datetime)


class AccountRepository(OrgRepository[CreatorAccount]):
    model = CreatorAccount

    async def by_handle(self, platform: str, handle: str) -> CreatorAccount | None:
        return await self.session.scalar(
            self.select().where(
                CreatorAccount.platform == platform,
                func.lower(CreatorAccount.handle) == handle.lower(),
            )
        )

    async def creators_with_handle(self, handle: str) -> list[UUID]:
        """Creators who use this handle on any platform (to place a new account by URL)."""
        rows = await self.session.scalars(
            select(CreatorAccount.creator_id)
            .distinct()
            .where(
                CreatorAccount.org_id == self.org_id,
                func.lower(CreatorAccount.handle) == handle.lower(),
            )
        )
        return list(rows.all())

    async def snapshots(
        self, account_id: UUID, cursor: str | None, limit: int
    ) -> Sequence[AccountSnapshot]:
        statement = select(AccountSnapshot).where(
            AccountSnapshot.org_id == self.org_id, AccountSnapshot.account_id == account_id
        )
        # captured_at is unique per account, so it doubles as the tie-breaker.
        statement = apply_keyset(
            statement, SNAPSHOT_ORDER, AccountSnapshot.account_id, cursor, limit
        )
        return (await self.session.scalars(statement)).all()

    async def add_snapshot(
        self, account_id: UUID, captured_at: datetime, followers, following, posts_count
    ) -> None:
        await self.session.execute(
            insert(AccountSnapshot)
            .values(
                org_id=self.org_id,
                account_id=account_id,
                captured_at=captured_at,
                followers=followers,
                following=following,
                posts_count=posts_count,
            )
            .on_conflict_do_nothing()
        )

    async def set_sync_state(self, account_id: UUID, **values: Any) -> None:
        await self.session.execute(
            self.update().where(CreatorAccount.id == account_id).values(**values)
        )

    async def refresh_creator_totals(self, creator_id: UUID) -> None:
        """Keep the creator's denormalized reach and best engagement rate in step with accounts."""
        totals = (
            select(
                func.sum(CreatorAccount.followers).label("followers"),
                func.max(CreatorAccount.engagement_rate).label("engagement_rate"),
            )
            .where(CreatorAccount.org_id == self.org_id, CreatorAccount.creator_id == creator_id)
            .subquery()
        )
        await self.session.execute(
            Creator.__table__.update()
            .where(Creator.org_id == self.org_id, Creator.id == creator_id)
            .values(
                total_followers=select(totals.c.followers).scalar_subquery(),
                engagement_rate=select(totals.c.engagement_rate).scalar_subquery(),
            )
        )


async def due_accounts(session, now: datetime, limit: int) -> Sequence[CreatorAccount]:
    """All organizations' accounts whose sync is due, locked for this claim. The scheduler is the
    one caller that spans tenants; it only reads ids and hands each job its own org_id."""
    return (
        await session.scalars(
            select(CreatorAccount)
            .where(CreatorAccount.next_sync_at <= now)
            .order_by(CreatorAccount.next_sync_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
