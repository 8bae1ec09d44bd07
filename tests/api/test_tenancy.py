"""Two organizations: one's keys can neither read nor change the other's data, on every endpoint.

The table below names every /v1 route; `test_every_route_is_walked` fails when a route is added
without a tenancy case, so no endpoint can skip this proof."""

import re

import pytest
from sqlalchemy import select

from shared.models import (
    AccountSnapshot,
    ApiKey,
    Campaign,
    CampaignKpiSnapshot,
    Collaboration,
    CollaborationStageChange,
    Creator,
    CreatorAccount,
    Deliverable,
    EmvRateCard,
    Post,
    PostSnapshot,
)
from tests.api import (
    test_tenancy_attribution,
    test_tenancy_connections,
    test_tenancy_discovery,
    test_tenancy_import,
    test_tenancy_inbound,
    test_tenancy_listening,
    test_tenancy_outbound,
    test_tenancy_track_record,
    test_tenancy_vetting,
)
from tests.factories import (
    bearer,
    create_account,
    create_account_snapshot,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
    org_rows,
    utc,
)

# (method, path with {creator}/{account}/{campaign}/{key} placeholders, body)
BY_ID = [
    ("GET", "/v1/creators/{creator}", None),
    ("PATCH", "/v1/creators/{creator}", {"name": "hijacked"}),
    ("DELETE", "/v1/creators/{creator}", None),
    ("POST", "/v1/creators/{creator}/accounts", {"platform": "x", "handle": "intruder"}),
    ("GET", "/v1/accounts/{account}", None),
    ("GET", "/v1/accounts/{account}/snapshots", None),
    ("GET", "/v1/accounts/{account}/audience", None),
    ("POST", "/v1/accounts/{account}/refresh", None),
    ("GET", "/v1/campaigns/{campaign}", None),
    ("PATCH", "/v1/campaigns/{campaign}", {"name": "hijacked"}),
    ("DELETE", "/v1/campaigns/{campaign}", None),
    ("DELETE", "/v1/api-keys/{key}", None),
    ("PUT", "/v1/accounts/{account}/credentials", {"access_token": "stolen"}),
    (
        "POST",
        "/v1/campaigns/{campaign}/posts",
        {"url": "https://demo.sway.test/@a.handle/posts/a.handle-7"},
    ),
    ("GET", "/v1/campaigns/{campaign}/posts", None),
    ("GET", "/v1/posts/{post}", None),
    ("GET", "/v1/posts/{post}/snapshots", None),
    ("POST", "/v1/posts/{post}/refresh", None),
    ("POST", "/v1/campaigns/{campaign}/collaborations", {"creator_id": "{creator}"}),
    ("GET", "/v1/campaigns/{campaign}/collaborations", None),
    ("GET", "/v1/collaborations/{collaboration}", None),
    ("PATCH", "/v1/collaborations/{collaboration}", {"stage": "contacted"}),
    ("POST", "/v1/collaborations/{collaboration}/deliverables", {"platform": "x", "kind": "tweet"}),
    ("GET", "/v1/collaborations/{collaboration}/deliverables", None),
    ("GET", "/v1/deliverables/{deliverable}", None),
    ("PATCH", "/v1/deliverables/{deliverable}", {"status": "submitted"}),
    ("GET", "/v1/campaigns/{campaign}/kpis", None),
    ("GET", "/v1/campaigns/{campaign}/kpis/timeseries", None),
    ("GET", "/v1/campaigns/{campaign}/kpi-snapshots", None),
    ("GET", "/v1/campaigns/{campaign}/report.csv", None),
]
LISTS = [
    "/v1/creators",
    "/v1/campaigns",
    "/v1/api-keys",
    "/v1/organization",
    "/v1/organization/emv-rate-card",
    "/v1/organization/emv-rate-card/versions",
    "/v1/organization/exchange-rates",
]
# Organization-level: no id to reach across; test_emv_rate_card_is_the_callers_own walks them.
EMV_RATE_CARD = [
    ("PUT", "/v1/organization/emv-rate-card"),
    ("GET", "/v1/organization/emv-rate-card/versions/{version}"),
]
A_SOURCE = "A's own media plan"
# A's rate as a whole number in a response, not digits inside a timestamp such as
# "20:33:07.772486Z", which once made this check fail on a clean run.
A_RATE = re.compile(r"(?<![\d.])7\.770*(?!\d)")
CREATES = [
    ("POST", "/v1/creators", {"name": "Mine"}),
    ("POST", "/v1/campaigns", {"name": "Mine", "objective": "sales"}),
    ("POST", "/v1/api-keys", {"name": "mine", "scopes": ["read"]}),
]


@pytest.fixture
async def world(session):
    """Organization A with one of everything; organization B's admin key as the intruder."""
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    creator = await create_creator(session, a.org_id, name="A's creator")
    account = await create_account(session, a.org_id, creator.id, handle="a.handle")
    await create_account_snapshot(session, account, utc(2026, 11, 1), 100)
    campaign = await create_campaign(session, a.org_id, name="A's campaign")
    post = await create_post(session, account, campaign_id=campaign.id)
    # Its own collaboration is on another campaign, so the intruder's POST above for
    # {campaign} and {creator} is the owner's first.
    elsewhere = await create_campaign(session, a.org_id, name="A's other campaign")
    collaboration = await create_collaboration(session, a.org_id, elsewhere.id, creator.id)
    deliverable = await create_deliverable(session, collaboration)
    card = EmvRateCard(
        org_id=a.org_id,
        version=1,
        currency="EUR",
        rates={"x": {"clicks": "7.77"}},
        sources={"x": A_SOURCE},
    )
    session.add(card)
    await session.commit()
    key = await session.scalar(
        select(ApiKey).where(ApiKey.org_id == a.org_id, ApiKey.name == "read")
    )
    ids = {
        "creator": creator.id,
        "account": account.id,
        "campaign": campaign.id,
        "key": key.id,
        "post": post.id,
        "collaboration": collaboration.id,
        "deliverable": deliverable.id,
    }
    return a, b, ids


# Everything organization A owns.
OWNED = (Creator, CreatorAccount, Campaign, ApiKey, AccountSnapshot, Post, PostSnapshot)
OWNED += (Collaboration, CollaborationStageChange, Deliverable, EmvRateCard, CampaignKpiSnapshot)


class TestTenancy:
    @pytest.mark.parametrize(("method", "path", "body"), BY_ID)
    async def test_foreign_ids_are_404_and_change_nothing(
        self, client, session, redis, world, method, path, body
    ):
        a, b, ids = world
        before = await org_rows(session, a.org_id, OWNED)
        url = path.format(**ids)
        if body:  # ids in a body, e.g. a collaboration's creator_id
            body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
        foreign = await client.request(method, url, json=body, headers=bearer(b.admin))
        assert foreign.status_code == 404, foreign.text
        # Same body as an id that exists nowhere: no existence leak.
        missing = await client.request(
            method,
            url.replace(
                str(next(v for v in ids.values() if str(v) in url)),
                "0190f000-0000-7000-8000-000000000000",
            ),
            json=body,
            headers=bearer(b.admin),
        )
        assert foreign.json()["code"] == missing.json()["code"] == "not_found"
        assert await org_rows(session, a.org_id, OWNED) == before
        assert await redis.keys("arq:job:*") == []
        # The owner still can: the 404 above is tenancy, not a broken route.
        own = await client.request(method, url, json=body, headers=bearer(a.admin))
        assert own.status_code < 400, own.text

    @pytest.mark.parametrize("path", LISTS)
    async def test_lists_show_only_own_rows(self, client, session, world, path):
        a, b, ids = world
        body = (await client.get(path, headers=bearer(b.admin))).json()
        text = str(body)
        for id in ids.values():
            assert str(id) not in text
        assert str(a.org_id) not in text
        assert A_SOURCE not in text and not A_RATE.search(text)

    @pytest.mark.parametrize(("method", "path", "body"), CREATES)
    async def test_creates_land_in_callers_org(self, client, session, world, method, path, body):
        a, b, _ = world
        before = await org_rows(session, a.org_id, OWNED)
        response = await client.request(method, path, json=body, headers=bearer(b.admin))
        assert response.status_code == 201
        assert await org_rows(session, a.org_id, OWNED) == before

    async def test_cannot_track_with_another_orgs_account(self, client, session, world):
        a, b, ids = world
        own_campaign = await create_campaign(session, b.org_id, name="B's campaign")
        response = await client.post(
            f"/v1/campaigns/{own_campaign.id}/posts",
            json={"account_id": str(ids["account"]), "external_id": "x-1"},
            headers=bearer(b.admin),
        )
        assert response.status_code == 404
        by_url = await client.post(
            f"/v1/campaigns/{own_campaign.id}/posts",
            json={"url": "https://demo.sway.test/@a.handle/posts/a.handle-3"},
            headers=bearer(b.admin),
        )
        assert by_url.status_code == 422  # B has no such account: A's handle is invisible

    async def test_emv_rate_card_is_the_callers_own(self, client, session, world):
        a, b, _ = world
        before = await org_rows(session, a.org_id, OWNED)
        url = "/v1/organization/emv-rate-card"
        card = {"currency": "GBP", "rates": {"x": {"clicks": "1"}}}
        assert (await client.get(f"{url}/versions/1", headers=bearer(b.admin))).status_code == 404
        written = await client.put(url, json=card, headers=bearer(b.admin))
        assert written.status_code == 200, written.text
        assert written.json()["version"] == 1  # B's own first version, not after A's
        assert await org_rows(session, a.org_id, OWNED) == before
        for path in ("", "/versions", "/versions/1", "/versions/0"):
            text = (await client.get(url + path, headers=bearer(b.admin))).text
            assert A_SOURCE not in text and not A_RATE.search(text)
        own = (await client.get(url, headers=bearer(a.admin))).json()
        assert (own["version"], own["sources"]) == (1, {"x": A_SOURCE})

    async def test_filters_cannot_reach_across(self, client, world):
        _, b, _ = world
        for query in ("q=a.handle", "platform=demo", "q=A's"):
            body = (await client.get(f"/v1/creators?{query}", headers=bearer(b.admin))).json()
            assert body["items"] == []

    def test_every_route_is_walked(self, app):
        covered = {
            (
                m,
                p.replace("{creator}", "{id}")
                .replace("{account}", "{id}")
                .replace("{campaign}", "{id}")
                .replace("{key}", "{id}")
                .replace("{post}", "{id}")
                .replace("{collaboration}", "{id}")
                .replace("{deliverable}", "{id}"),
            )
            for m, p, _ in BY_ID + CREATES
        } | {("GET", p) for p in LISTS}
        # No id to reach across: a key changes only its own organization (test_organization.py).
        covered.add(("PATCH", "/v1/organization"))
        covered |= set(EMV_RATE_CARD)
        # Organization-level too: tests/api/test_exchange_rates.py shows each sees its own.
        covered.add(("PUT", "/v1/organization/exchange-rates"))
        # Webhooks, attribution, subscriptions and track records prove theirs in their own modules.
        for module in (
            test_tenancy_inbound,
            test_tenancy_attribution,
            test_tenancy_outbound,
            test_tenancy_track_record,
            test_tenancy_import,
            test_tenancy_discovery,
            test_tenancy_vetting,
            test_tenancy_connections,
            test_tenancy_listening,
        ):
            covered |= module.WALKED
        routes = {
            (method.upper(), path)
            for path, operations in app.openapi()["paths"].items()
            if path.startswith("/v1")
            for method in operations
        }
        assert len(routes) >= 20
        assert routes - covered == set()
