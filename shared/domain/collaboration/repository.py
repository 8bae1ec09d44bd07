from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.orm import selectinload

from shared.domain.collaboration.schemas import CollaborationFilters
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.models import Collaboration

NEWEST_FIRST = SortKey(Collaboration.created_at, descending=True, parse=parse_datetime)


class CollaborationRepository(OrgRepository[Collaboration]):
    model = Collaboration

    def with_history(self):
        return selectinload(Collaboration.stage_history)

    async def by_pair(self, campaign_id: UUID, creator_id: UUID) -> Collaboration | None:
        return await self.session.scalar(
            self.select().where(
                Collaboration.campaign_id == campaign_id, Collaboration.creator_id == creator_id
            )
        )

    async def for_campaign(
        self, campaign_id: UUID, filters: CollaborationFilters
    ) -> Sequence[Collaboration]:
        statement = self.select(self.with_history()).where(Collaboration.campaign_id == campaign_id)
        if filters.stage:
            statement = statement.where(Collaboration.stage == filters.stage)
        if filters.creator_id:
            statement = statement.where(Collaboration.creator_id == filters.creator_id)
        return await self.scalars(
            apply_keyset(statement, NEWEST_FIRST, Collaboration.id, filters.cursor, filters.limit)
        )
