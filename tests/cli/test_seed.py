"""The demo seed `sway run` makes on a first start goes through the same schemas as the API."""

from sqlalchemy import func, select

from services.cli.seed import needs_seed, seed_demo
from shared.models import Campaign, CreatorAccount


class TestSeedDemo:
    async def test_seeds_creators_accounts_and_an_active_campaign(self, session):
        assert await needs_seed(session)
        org_id, key = await seed_demo(session)
        await session.flush()
        accounts = await session.scalar(select(func.count()).select_from(CreatorAccount))
        campaign = await session.scalar(select(Campaign))
        assert accounts >= 4
        assert (campaign.status, str(campaign.budget)) == ("active", "12000.00")
        assert campaign.starts_on < campaign.ends_on
        assert key.startswith("sway_") and not await needs_seed(session)
