from sqlalchemy import Select, or_
from sqlalchemy.orm import selectinload

from shared.domain.campaign.schemas import CampaignFilters, CampaignStatus
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository, escape_like
from shared.models import Campaign

NEWEST_FIRST = SortKey(Campaign.created_at, descending=True, parse=parse_datetime)


class CampaignRepository(OrgRepository[Campaign]):
    model = Campaign

    def with_goals(self):
        return selectinload(Campaign.goals)

    def filtered(self, filters: CampaignFilters) -> Select[tuple[Campaign]]:
        statement = self.select(self.with_goals())
        # Archived campaigns are out of the way unless asked for by status.
        statement = statement.where(
            Campaign.status == filters.status
            if filters.status
            else Campaign.status != CampaignStatus.archived
        )
        if filters.objective:
            statement = statement.where(Campaign.objective == filters.objective)
        if filters.platform:
            statement = statement.where(Campaign.platforms.contains([filters.platform.value]))
        if filters.q:
            statement = statement.where(Campaign.name.ilike(f"%{escape_like(filters.q)}%"))
        return statement

    async def capturing(self, platform: str) -> list[Campaign]:
        """Active campaigns that name hashtags or mentions and run on this platform."""
        statement = (
            self.select()
            .where(
                Campaign.status == CampaignStatus.active,
                or_(Campaign.hashtags != [], Campaign.mentions != []),
                or_(Campaign.platforms == [], Campaign.platforms.contains([platform])),
            )
            .order_by(Campaign.created_at)
        )
        return list(await self.scalars(statement))

    async def list(self, filters: CampaignFilters) -> list[Campaign]:
        statement = apply_keyset(
            self.filtered(filters), NEWEST_FIRST, Campaign.id, filters.cursor, filters.limit
        )
        return list(await self.scalars(statement))
