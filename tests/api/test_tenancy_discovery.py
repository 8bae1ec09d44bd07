"""Tenancy of discovery: each test proves one organization cannot find, rank by or compare with
the other's creators and campaigns. WALKED names the (method, OpenAPI path) pairs proven here,
which test_tenancy.py's test_every_route_is_walked counts as covered."""

import pytest

from shared.domain.discovery import documents
from shared.models import Campaign, Creator, CreatorAccount
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_creator,
    create_tenant,
    org_rows,
)

WALKED: set[tuple[str, str]] = {
    ("GET", "/v1/discover/creators"),
    ("GET", "/v1/creators/{id}/similar"),
}
MODELS = (Creator, CreatorAccount, Campaign)


@pytest.fixture
async def world(session):
    """Two organizations with look-alike creators: the same niches, tags and handles' words."""
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    found = {}
    for tenant, handle in ((a, "ada.brews"), (b, "ada.brews.b")):
        creator = await create_creator(
            session, tenant.org_id, name="Ada", niches=["coffee"], tags=["latte"], country="GB"
        )
        await create_account(session, tenant.org_id, creator.id, handle=handle)
        await documents.refresh_creators(session, tenant.org_id, [creator.id])
        found[tenant.org_id] = creator
    campaign = await create_campaign(session, a.org_id, niches=["coffee"], countries=["GB"])
    await session.commit()
    return a, b, found[a.org_id], found[b.org_id], campaign


class TestDiscoveryTenancy:
    async def test_discovery_finds_only_own_creators(self, client, world):
        a, b, mine, theirs, _ = world
        for query in ("", "?q=ada", "?q=ada.brews", "?niche=coffee&country=GB"):
            response = await client.get(f"/v1/discover/creators{query}", headers=bearer(b.read))
            assert [item["id"] for item in response.json()["items"]] == [str(theirs.id)], query
        own = await client.get("/v1/discover/creators?q=ada", headers=bearer(a.read))
        assert [item["id"] for item in own.json()["items"]] == [str(mine.id)]

    async def test_another_organizations_campaign_is_404_and_changes_nothing(
        self, client, session, world
    ):
        a, b, _, _, campaign = world
        before = await org_rows(session, a.org_id, MODELS)
        response = await client.get(
            f"/v1/discover/creators?campaign_id={campaign.id}", headers=bearer(b.read)
        )
        assert response.status_code == 404, response.text
        unknown = await client.get(
            "/v1/discover/creators?campaign_id=0192f9d0-0000-7000-8000-000000000000",
            headers=bearer(b.read),
        )
        assert unknown.status_code == 404
        assert unknown.json()["detail"].split()[0] == response.json()["detail"].split()[0]
        assert await org_rows(session, a.org_id, MODELS) == before
        own = await client.get(
            f"/v1/discover/creators?campaign_id={campaign.id}", headers=bearer(a.read)
        )
        assert own.status_code == 200

    async def test_similar_of_another_organizations_creator_is_404(self, client, world):
        _, b, mine, _, _ = world
        response = await client.get(f"/v1/creators/{mine.id}/similar", headers=bearer(b.read))
        assert response.status_code == 404, response.text

    async def test_lookalikes_come_only_from_own_organization(self, client, session, world):
        a, _, mine, theirs, _ = world
        twin = await create_creator(session, a.org_id, name="Twin", niches=["coffee"])
        other = await create_creator(session, a.org_id, name="Other", niches=["food"])
        await documents.refresh_creators(session, a.org_id, [twin.id, other.id])
        await session.commit()
        response = await client.get(f"/v1/creators/{mine.id}/similar", headers=bearer(a.read))
        # B's Ada has exactly the same terms, A's twin only one of them: only the twin is found
        # (and B's creators weigh nothing in A's term weights).
        assert [item["id"] for item in response.json()["items"]] == [str(twin.id)]

    async def test_refresh_ignores_another_organizations_ids(self, session, world):
        a, _, _, theirs, _ = world
        theirs.name = "Renamed"
        await session.flush()
        await documents.refresh_creators(session, a.org_id, [theirs.id])
        await session.refresh(theirs)
        # Its document is still the one its own organization built, from the old name.
        assert "'ada':1A" in theirs.search_document
        assert "renamed" not in theirs.search_document
