"""Tenancy of these routes: each test here proves one organization cannot read or change the
other's rows. WALKED names the (method, OpenAPI path) pairs proven here, which
test_tenancy.py's test_every_route_is_walked counts as covered."""

from decimal import Decimal

import pytest

from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.commands import Order
from shared.models import Conversion, LinkClick, PromoCode, TrackingLink
from tests.factories import (
    bearer,
    create_campaign,
    create_creator,
    create_tenant,
    org_rows,
    utc,
)
from tests.factories_attribution import create_click, create_link, create_promo, create_source

MISSING = "0190f000-0000-7000-8000-000000000000"
# (method, path, body): {campaign}, {creator}, {link} are A's; {own_campaign} is B's own.
CASES = [
    ("POST", "/v1/campaigns/{campaign}/links", {"creator_id": "{own_creator}"}),
    ("POST", "/v1/campaigns/{own_campaign}/links", {"creator_id": "{creator}"}),
    ("GET", "/v1/campaigns/{campaign}/links", None),
    ("GET", "/v1/links/{link}", None),
    ("POST", "/v1/campaigns/{campaign}/promo-codes", {"creator_id": "{own_creator}"}),
    ("POST", "/v1/campaigns/{own_campaign}/promo-codes", {"creator_id": "{creator}"}),
    ("GET", "/v1/campaigns/{campaign}/promo-codes", None),
    ("GET", "/v1/campaigns/{campaign}/conversions", None),
]
BODIES = {
    "links": {"destination_url": "https://intruder.example/"},
    "promo-codes": {"code": "INTRUDER"},
}
WALKED: set[tuple[str, str]] = {
    (method, path.replace("{campaign}", "{id}").replace("{link}", "{id}"))
    for method, path, _ in CASES
    if "{own_campaign}" not in path
}


@pytest.fixture
async def world(session):
    """A with a link (one click), a promo code and an attributed order; B with its own campaign
    and creator, and B's admin key as the intruder."""
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    creator = await create_creator(session, a.org_id, name="A's creator")
    campaign = await create_campaign(session, a.org_id, name="A's campaign")
    link = await create_link(session, a.org_id, campaign.id, creator.id, "a-link")
    await create_click(session, link, utc(2026, 11, 2), "a1")
    await create_promo(session, a.org_id, campaign.id, creator.id, "ACODE")
    source = await create_source(session, a.org_id)
    await conversion_service.record_order(
        session,
        a.org_id,
        source.id,
        Order("o1", Decimal("12.34"), "USD", utc(2026, 11, 2), ("ACODE",)),
        event_id=None,
        now=utc(2026, 11, 2),
    )
    own_campaign = await create_campaign(session, b.org_id, name="B's campaign")
    own_creator = await create_creator(session, b.org_id, name="B's creator")
    await session.commit()
    ids = {
        "campaign": campaign.id,
        "creator": creator.id,
        "link": link.id,
        "own_campaign": own_campaign.id,
        "own_creator": own_creator.id,
    }
    return a, b, ids


def _request(path: str, body: dict | None, ids: dict) -> tuple[str, dict | None]:
    if body is not None:
        body = {k: v.format(**ids) for k, v in body.items()}
        body |= BODIES[path.rsplit("/", 1)[-1]]
    return path.format(**ids), body


# What A owns that these routes could touch.
OWNED = (TrackingLink, LinkClick, PromoCode, Conversion)


class TestAttributionTenancy:
    @pytest.mark.parametrize(("method", "path", "body"), CASES)
    async def test_foreign_ids_are_404_and_change_nothing(
        self, client, session, redis, world, method, path, body
    ):
        a, b, ids = world
        before = await org_rows(session, a.org_id, OWNED)
        url, sent = _request(path, body, ids)
        foreign = await client.request(method, url, json=sent, headers=bearer(b.admin))
        assert foreign.status_code == 404, foreign.text
        # The same answer as for an id that exists nowhere.
        foreign_id = next(
            str(ids[k]) for k in ("link", "campaign", "creator") if str(ids[k]) in url + str(sent)
        )
        missing_url = url.replace(foreign_id, MISSING)
        missing_body = sent and {k: v.replace(foreign_id, MISSING) for k, v in sent.items()}
        missing = await client.request(
            method, missing_url, json=missing_body, headers=bearer(b.admin)
        )
        assert missing.status_code == 404
        assert foreign.json()["code"] == missing.json()["code"] == "not_found"
        assert await org_rows(session, a.org_id, OWNED) == before
        assert await redis.keys("arq:job:*") == []
        if "{own_campaign}" not in path:
            # The owner can: the 404 is tenancy, not a broken route.
            own_body = (
                body and {"creator_id": str(ids["creator"])} | BODIES[path.rsplit("/", 1)[-1]]
            )
            own = await client.request(method, url, json=own_body, headers=bearer(a.admin))
            assert own.status_code < 400, own.text

    async def test_owner_sees_its_rows_the_intruder_its_own_empty_lists(self, client, world):
        a, b, ids = world
        for kind in ("links", "promo-codes", "conversions"):
            own = await client.get(
                f"/v1/campaigns/{ids['campaign']}/{kind}", headers=bearer(a.admin)
            )
            assert len(own.json()["items"]) == 1
            theirs = await client.get(
                f"/v1/campaigns/{ids['own_campaign']}/{kind}", headers=bearer(b.admin)
            )
            assert theirs.json() == {"items": [], "next_cursor": None}

    async def test_a_code_taken_in_one_organization_is_free_in_another(self, client, world):
        _, b, ids = world
        response = await client.post(
            f"/v1/campaigns/{ids['own_campaign']}/promo-codes",
            json={"creator_id": str(ids["own_creator"]), "code": "acode"},
            headers=bearer(b.admin),
        )
        assert response.status_code == 201
