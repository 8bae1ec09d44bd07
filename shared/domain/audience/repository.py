"""Audience snapshots and collection state: statements only, always by organization."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on, insert

from shared.domain.repository import OrgRepository
from shared.models import AudienceCollection, AudienceSnapshot, CreatorAccount
from shared.platforms.audience import AudienceBreakdown


class AudienceRepository(OrgRepository[AudienceSnapshot]):
    model = AudienceSnapshot

    async def collection(self, account_id: UUID) -> AudienceCollection | None:
        return await self.session.scalar(
            select(AudienceCollection).where(
                AudienceCollection.org_id == self.org_id,
                AudienceCollection.account_id == account_id,
            )
        )

    async def add_snapshots(
        self, account_id: UUID, breakdowns: Sequence[AudienceBreakdown], captured_at: datetime
    ) -> None:
        if not breakdowns:
            return
        rows = [
            {
                "org_id": self.org_id,
                "account_id": account_id,
                "dimension": b.dimension,
                "captured_at": captured_at,
                "source": b.source,
                "shares": b.shares,
                "total": b.total,
            }
            for b in breakdowns
        ]
        await self.session.execute(insert(AudienceSnapshot).values(rows).on_conflict_do_nothing())

    async def mark(
        self, account_id: UUID, *, attempted_at: datetime, collected: bool, error: str | None
    ) -> None:
        values = {"attempted_at": attempted_at, "error": error}
        if collected:
            values["collected_at"] = attempted_at
        statement = insert(AudienceCollection).values(
            org_id=self.org_id, account_id=account_id, **values
        )
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["account_id", "org_id"], set_=values)
        )

    async def latest(self, account_ids: Sequence[UUID]) -> list[AudienceSnapshot]:
        """The newest snapshot of each dimension of each account (the primary key's order)."""
        if not account_ids:
            return []
        statement = (
            self.select()
            .where(AudienceSnapshot.account_id.in_(account_ids))
            .ext(distinct_on(AudienceSnapshot.account_id, AudienceSnapshot.dimension))
            .order_by(
                AudienceSnapshot.account_id,
                AudienceSnapshot.dimension,
                AudienceSnapshot.captured_at.desc(),
            )
        )
        return list(await self.scalars(statement))

    async def creators_accounts(
        self, creator_ids: Sequence[UUID]
    ) -> list[tuple[UUID, UUID, str, int | None]]:
        """(creator id, account id, platform, followers) of the creators' accounts that have an
        audience snapshot."""
        if not creator_ids:
            return []
        has_audience = (
            select(AudienceSnapshot.account_id)
            .where(
                AudienceSnapshot.org_id == self.org_id,
                AudienceSnapshot.account_id == CreatorAccount.id,
            )
            .exists()
        )
        statement = select(
            CreatorAccount.creator_id,
            CreatorAccount.id,
            CreatorAccount.platform,
            CreatorAccount.followers,
        ).where(
            CreatorAccount.org_id == self.org_id,
            CreatorAccount.creator_id.in_(creator_ids),
            has_audience,
        )
        return [tuple(row) for row in await self.session.execute(statement)]
