from collections.abc import Sequence
from uuid import UUID

from shared.domain.conversion.schemas import ConversionFilters
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.models import Conversion

NEWEST_FIRST = SortKey(Conversion.occurred_at, descending=True, parse=parse_datetime)


class ConversionRepository(OrgRepository[Conversion]):
    model = Conversion

    async def by_external_id(self, source_id: UUID, kind: str, external_id: str):
        return await self.session.scalar(
            self.select().where(
                Conversion.source_id == source_id,
                Conversion.kind == kind,
                Conversion.external_id == external_id,
            )
        )

    async def for_campaign(
        self, campaign_id: UUID, filters: ConversionFilters
    ) -> Sequence[Conversion]:
        statement = self.select().where(Conversion.campaign_id == campaign_id)
        if filters.kind:
            statement = statement.where(Conversion.kind == filters.kind)
        if filters.creator_id:
            statement = statement.where(Conversion.creator_id == filters.creator_id)
        return await self.scalars(
            apply_keyset(statement, NEWEST_FIRST, Conversion.id, filters.cursor, filters.limit)
        )
