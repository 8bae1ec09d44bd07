from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlalchemy import select

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.promo.schemas import PromoCodeFilters
from shared.domain.repository import OrgRepository
from shared.metrics.attribution import CodeOwner
from shared.models import Campaign, PromoCode

NEWEST_FIRST = SortKey(PromoCode.created_at, descending=True, parse=parse_datetime)


class PromoCodeRepository(OrgRepository[PromoCode]):
    model = PromoCode

    async def by_key(self, code_key: str) -> PromoCode | None:
        return await self.session.scalar(self.select().where(PromoCode.code_key == code_key))

    async def for_campaign(
        self, campaign_id: UUID, filters: PromoCodeFilters
    ) -> Sequence[PromoCode]:
        statement = self.select().where(PromoCode.campaign_id == campaign_id)
        if filters.creator_id:
            statement = statement.where(PromoCode.creator_id == filters.creator_id)
        return await self.scalars(
            apply_keyset(statement, NEWEST_FIRST, PromoCode.id, filters.cursor, filters.limit)
        )

    async def owners(self, code_keys: Iterable[str]) -> dict[str, CodeOwner]:
        """The organization's codes among `code_keys`, with their campaigns' dates and currency."""
        keys = list(dict.fromkeys(code_keys))
        if not keys:
            return {}
        rows = await self.session.execute(
            select(
                PromoCode.code_key,
                PromoCode.campaign_id,
                PromoCode.creator_id,
                Campaign.starts_on,
                Campaign.ends_on,
                PromoCode.platform,
                Campaign.currency,
            )
            .join(
                Campaign, (Campaign.id == PromoCode.campaign_id) & (Campaign.org_id == self.org_id)
            )
            .where(PromoCode.org_id == self.org_id, PromoCode.code_key.in_(keys))
        )
        return {key: CodeOwner(*owner) for key, *owner in rows}
