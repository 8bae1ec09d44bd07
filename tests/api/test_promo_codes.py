"""Promo codes through the API: unique per organization ignoring case, validated."""

import pytest
from sqlalchemy import func, select

from shared.models import PromoCode
from tests.factories import bearer, create_campaign, create_creator, create_tenant


async def _setup(session, name="Acme"):
    tenant = await create_tenant(session, name)
    creator = await create_creator(session, tenant.org_id)
    campaign = await create_campaign(session, tenant.org_id)
    return tenant, creator, campaign


async def _post(client, tenant, campaign, creator, code, **extra):
    return await client.post(
        f"/v1/campaigns/{campaign.id}/promo-codes",
        json={"creator_id": str(creator.id), "code": code, **extra},
        headers=bearer(tenant.write),
    )


async def _count(session):
    return await session.scalar(select(func.count()).select_from(PromoCode))


class TestCreatePromoCode:
    async def test_created_as_given_and_keyed_case_free(self, client, session):
        tenant, creator, campaign = await _setup(session)
        response = await _post(client, tenant, campaign, creator, "  Ada-10.x_Y ", platform="x")
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["code"], body["platform"]) == ("Ada-10.x_Y", "x")
        assert (body["campaign_id"], body["creator_id"]) == (str(campaign.id), str(creator.id))
        stored = await session.get(PromoCode, body["id"])
        assert (stored.code_key, stored.org_id) == ("ada-10.x_y", tenant.org_id)

    @pytest.mark.parametrize("again", ["ADA10", "ada10", "Ada10"])
    async def test_same_code_in_any_case_is_409(self, client, session, again):
        tenant, creator, campaign = await _setup(session)
        assert (await _post(client, tenant, campaign, creator, "ADA10")).status_code == 201
        response = await _post(client, tenant, campaign, creator, again)
        assert response.status_code == 409
        assert response.json()["code"] == "conflict"
        assert await _count(session) == 1

    async def test_same_code_on_another_campaign_of_the_org_is_409(self, client, session):
        tenant, creator, campaign = await _setup(session)
        other = await create_campaign(session, tenant.org_id, name="Other")
        assert (await _post(client, tenant, campaign, creator, "ADA10")).status_code == 201
        assert (await _post(client, tenant, other, creator, "ada10")).status_code == 409

    async def test_same_code_in_another_organization_is_fine(self, client, session):
        tenant, creator, campaign = await _setup(session)
        b, b_creator, b_campaign = await _setup(session, "B")
        assert (await _post(client, tenant, campaign, creator, "ADA10")).status_code == 201
        assert (await _post(client, b, b_campaign, b_creator, "ada10")).status_code == 201
        assert await _count(session) == 2

    @pytest.mark.parametrize(
        "code",
        ["", "   ", "A" * 65, "ADA 10", "-ADA", "ÄDA10", "ADA\x0010", "ADA/10", "ADA%10", 10],
    )
    async def test_bad_code_is_422(self, client, session, code):
        tenant, creator, campaign = await _setup(session)
        response = await _post(client, tenant, campaign, creator, code)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "code"]
        assert await _count(session) == 0

    async def test_archived_campaign_or_creator_takes_no_code(self, client, session):
        from datetime import UTC, datetime

        tenant, creator, campaign = await _setup(session)
        for archived in (campaign, creator):
            archived.archived_at = datetime.now(UTC)
            await session.commit()
            assert (await _post(client, tenant, campaign, creator, "ADA10")).status_code == 409
            archived.archived_at = None
            await session.commit()
        assert await _count(session) == 0

    async def test_longest_code_is_64(self, client, session):
        tenant, creator, campaign = await _setup(session)
        assert (await _post(client, tenant, campaign, creator, "A" * 64)).status_code == 201

    async def test_unknown_platform_is_422(self, client, session):
        tenant, creator, campaign = await _setup(session)
        response = await _post(client, tenant, campaign, creator, "ADA10", platform="myspace")
        assert response.status_code == 422

    async def test_creator_of_another_org_is_404(self, client, session):
        tenant, _, campaign = await _setup(session)
        _, foreign, _ = await _setup(session, "B")
        response = await _post(client, tenant, campaign, foreign, "ADA10")
        assert response.status_code == 404
        assert await _count(session) == 0


class TestListPromoCodes:
    async def test_pages_newest_first(self, client, session):
        tenant, creator, campaign = await _setup(session)
        bo = await create_creator(session, tenant.org_id, name="Bo")
        ids = [
            (await _post(client, tenant, campaign, creator, f"C{i}")).json()["id"] for i in range(3)
        ]
        await _post(client, tenant, campaign, bo, "BO")
        url = f"/v1/campaigns/{campaign.id}/promo-codes?limit=2&creator_id={creator.id}"
        first = (await client.get(url, headers=bearer(tenant.read))).json()
        assert [p["id"] for p in first["items"]] == ids[::-1][:2]
        rest = await client.get(f"{url}&cursor={first['next_cursor']}", headers=bearer(tenant.read))
        assert [p["id"] for p in rest.json()["items"]] == [ids[0]]
        assert rest.json()["next_cursor"] is None
