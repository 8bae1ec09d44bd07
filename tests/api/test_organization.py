"""GET and PATCH /v1/organization: the tier boundaries setting."""

import pytest
from sqlalchemy import select

from shared.models import CreatorAccount
from tests.factories import bearer, create_account, create_creator, create_tenant


class TestTiersSetting:
    async def test_default_preset(self, client, session):
        tenant = await create_tenant(session)
        response = await client.get("/v1/organization", headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        assert response.json()["tiers"] == {"preset": "default"}

    async def test_admin_sets_a_preset_and_accounts_are_retiered(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        # 600,000 followers: mega by default (>= 500,000), macro in the industry preset.
        account = await create_account(
            session, tenant.org_id, creator.id, followers=600_000, tier="mega"
        )
        unknown = await create_account(session, tenant.org_id, creator.id, handle="new.one")
        response = await client.patch(
            "/v1/organization",
            json={"tiers": {"preset": "industry"}},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 200, response.text
        assert response.json()["tiers"] == {"preset": "industry"}
        tiers = dict((await session.execute(select(CreatorAccount.id, CreatorAccount.tier))).all())
        assert tiers[account.id] == "macro"
        assert tiers[unknown.id] is None  # no follower count yet: no tier
        again = await client.get("/v1/organization", headers=bearer(tenant.read))
        assert again.json()["tiers"] == {"preset": "industry"}

    async def test_custom_boundaries_are_kept_lowest_first(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, followers=20_000)
        boundaries = [
            {"tier": "micro", "min_followers": 20_000},
            {"tier": "nano", "min_followers": 2_000},
        ]
        response = await client.patch(
            "/v1/organization",
            json={"tiers": {"boundaries": boundaries}},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 200, response.text
        assert response.json()["tiers"] == {"boundaries": boundaries[::-1]}
        await session.refresh(account)
        assert account.tier == "micro"  # 20,000 >= micro's 20,000

    async def test_not_admin(self, client, session):
        tenant = await create_tenant(session)
        response = await client.patch(
            "/v1/organization",
            json={"tiers": {"preset": "industry"}},
            headers=bearer(tenant.read_write),
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "tiers",
        [
            {},
            {"preset": "industry", "boundaries": [{"tier": "nano", "min_followers": 1}]},
            {"preset": "big"},
            {"boundaries": []},
            {"boundaries": [{"tier": "emerging", "min_followers": 1}]},
            {"boundaries": [{"tier": "nano", "min_followers": 0}]},
            {
                "boundaries": [
                    {"tier": "nano", "min_followers": 5_000},
                    {"tier": "micro", "min_followers": 5_000},
                ]
            },
            {
                "boundaries": [
                    {"tier": "nano", "min_followers": 1_000},
                    {"tier": "nano", "min_followers": 2_000},
                ]
            },
            {"preset": "industry", "extra": 1},
        ],
    )
    async def test_invalid_changes_nothing(self, client, session, tiers):
        tenant = await create_tenant(session)
        response = await client.patch(
            "/v1/organization", json={"tiers": tiers}, headers=bearer(tenant.admin)
        )
        assert response.status_code == 422, response.text
        after = await client.get("/v1/organization", headers=bearer(tenant.read))
        assert after.json()["tiers"] == {"preset": "default"}
