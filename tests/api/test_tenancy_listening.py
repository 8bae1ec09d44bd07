"""Tenancy of brand listening: another organization's key sees none of A's brand profile,
mentions, comments or brand history, and its profile change restarts only its own scan. WALKED
names the (method, OpenAPI path) pairs proven here, which test_tenancy.py's
test_every_route_is_walked counts as covered."""

import pytest
from sqlalchemy import select

from shared.models import BrandProfile, Comment, ListeningScan, Mention, PostListening
from tests.factories import bearer, create_tenant, org_rows
from tests.factories_listening import BRAND, listening_world, scan_all

WALKED: set[tuple[str, str]] = {
    ("GET", "/v1/organization/brand"),
    ("PUT", "/v1/organization/brand"),
    ("GET", "/v1/campaigns/{id}/mentions"),
    ("GET", "/v1/mentions"),
    ("GET", "/v1/posts/{id}/comments"),
    ("GET", "/v1/creators/{id}/brand-history"),
}
OWNED = (BrandProfile, Comment, Mention, PostListening, ListeningScan)


@pytest.fixture
async def world(session, sessionmaker, settings):
    a, b = await create_tenant(session, "A"), await create_tenant(session, "B")
    scanned = await listening_world(session, a.org_id)
    await scan_all(sessionmaker, a.org_id, settings)
    return a, b, scanned


class TestListeningTenancy:
    async def test_foreign_ids_are_404(self, client, world):
        a, b, scanned = world
        for url in (
            f"/v1/campaigns/{scanned.campaign_id}/mentions",
            f"/v1/posts/{scanned.posts['p1'].id}/comments",
            f"/v1/creators/{scanned.ada}/brand-history",
        ):
            foreign = await client.get(url, headers=bearer(b.admin))
            assert foreign.status_code == 404, (url, foreign.text)
            own = await client.get(url, headers=bearer(a.read))
            assert own.status_code == 200, (url, own.text)

    async def test_the_organizations_lists_are_its_own(self, client, world):
        a, b, scanned = world
        profile = (await client.get("/v1/organization/brand", headers=bearer(b.read))).json()
        assert profile["keywords"] == [] and profile["updated_at"] is None
        for url in ("/v1/mentions", "/v1/mentions?competitors=true"):
            assert (await client.get(url, headers=bearer(b.read))).json()["items"] == []
            assert (await client.get(url, headers=bearer(a.read))).json()["items"] != []

    async def test_a_profile_change_touches_only_its_organization(self, client, session, world):
        a, b, _ = world
        before = await org_rows(session, a.org_id, OWNED)
        response = await client.put(
            "/v1/organization/brand", json={"keywords": ["mine"]}, headers=bearer(b.admin)
        )
        assert response.status_code == 200, response.text
        assert await org_rows(session, a.org_id, OWNED) == before
        a_profile = await session.get(BrandProfile, a.org_id, populate_existing=True)
        assert a_profile.keywords == BRAND["keywords"]
        states = dict(
            (
                await session.execute(select(ListeningScan.org_id, ListeningScan.comments_after))
            ).all()
        )
        assert states[a.org_id] is None and states[b.org_id] is not None

    async def test_a_scan_of_one_organization_writes_nothing_of_the_other(
        self, session, sessionmaker, settings, world
    ):
        a, b, _ = world
        await listening_world(session, b.org_id)
        await scan_all(sessionmaker, b.org_id, settings)
        mentions = await session.execute(select(Mention.org_id, Mention.creator_id))
        creators = {org: set() for org in (a.org_id, b.org_id)}
        for org_id, creator_id in mentions:
            creators[org_id].add(creator_id)
        assert creators[a.org_id].isdisjoint(creators[b.org_id])
