"""Tenancy of these routes: each test here proves one organization cannot read or change the
other's rows. WALKED names the (method, OpenAPI path) pairs proven here, which
test_tenancy.py's test_every_route_is_walked counts as covered.

Inbound events are the source's organization's only: ids in an event posted to A's source are
looked up in A alone, so B's ids are not found and nothing of B's changes."""

import pytest
from sqlalchemy import select

from services.worker.jobs.webhooks import process_webhook_event
from shared.models import Collaboration, Creator, WebhookEvent, WebhookSource
from tests.factories import bearer, create_campaign, create_creator, create_tenant, org_rows
from tests.factories_webhooks import create_source, store_event
from tests.worker import conftest as worker_conftest

# The worker's fixture, for the processing case below.
worker_ctx = worker_conftest.worker_ctx
MISSING = "0190f000-0000-7000-8000-000000000000"
# (method, path, body): {source} and {event} are A's.
CASES = [
    ("GET", "/v1/webhook-sources/{source}", None),
    ("PATCH", "/v1/webhook-sources/{source}", {"name": "hijacked"}),
    ("DELETE", "/v1/webhook-sources/{source}", None),
    ("POST", "/v1/webhook-sources/{source}/rotate-secret", {"grace_s": 0}),
    ("GET", "/v1/webhook-events/{event}", None),
    ("POST", "/v1/webhook-events/{event}/replay", None),
]
LISTS = ["/v1/webhook-sources", "/v1/webhook-events"]
WALKED: set[tuple[str, str]] = (
    {
        (method, path.replace("{source}", "{id}").replace("{event}", "{id}"))
        for method, path, _ in CASES
    }
    | {("GET", path) for path in LISTS}
    | {("POST", "/v1/webhook-sources")}
)


@pytest.fixture
async def world(session, settings):
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    source, secret = await create_source(session, a.org_id, settings, name="A's marketplace")
    event = await store_event(session, source, "lead.created", {"lead_id": "A-LEAD"})
    return a, b, {"source": source.id, "event": event.id}


# What A owns that these routes could touch.
OWNED = (WebhookSource, WebhookEvent, Creator, Collaboration)


class TestTenancy:
    @pytest.mark.parametrize(("method", "path", "body"), CASES)
    async def test_foreign_ids_are_404_and_change_nothing(
        self, client, session, redis, world, method, path, body
    ):
        a, b, ids = world
        before = await org_rows(session, a.org_id, OWNED)
        url = path.format(**ids)
        foreign = await client.request(method, url, json=body, headers=bearer(b.admin))
        assert foreign.status_code == 404, foreign.text
        own_id = next(str(v) for v in ids.values() if str(v) in url)
        missing = await client.request(
            method, url.replace(own_id, MISSING), json=body, headers=bearer(b.admin)
        )
        assert missing.status_code == 404
        assert foreign.json()["detail"].replace(own_id, MISSING) == missing.json()["detail"]
        assert await org_rows(session, a.org_id, OWNED) == before
        assert await redis.keys("arq:job:*") == []
        own = await client.request(method, url, json=body, headers=bearer(a.admin))
        assert own.status_code < 400, own.text

    @pytest.mark.parametrize("path", LISTS)
    async def test_lists_show_only_own_rows(self, client, world, path):
        _, b, ids = world
        text = (await client.get(path, headers=bearer(b.admin))).text
        assert all(str(id) not in text for id in ids.values())
        assert "A's marketplace" not in text
        query = f"{path}?source_id={ids['source']}" if "events" in path else path
        assert (await client.get(query, headers=bearer(b.admin))).json()["items"] == []

    async def test_created_source_is_the_callers(self, client, session, world):
        a, b, _ = world
        before = await org_rows(session, a.org_id, OWNED)
        response = await client.post(
            "/v1/webhook-sources",
            json={"kind": "marketplace", "name": "B's"},
            headers=bearer(b.admin),
        )
        assert response.status_code == 201
        assert (await session.get(WebhookSource, response.json()["id"])).org_id == b.org_id
        assert await org_rows(session, a.org_id, OWNED) == before


class TestInboundEventsStayInTheirOrganization:
    async def test_ids_of_another_organization_are_not_found(self, worker_ctx, session, settings):
        a = await create_tenant(session, "A")
        b = await create_tenant(session, "B")
        source, _ = await create_source(session, a.org_id, settings)
        b_campaign = await create_campaign(session, b.org_id)
        b_creator = await create_creator(session, b.org_id, email="bee@b.example")
        before = await org_rows(session, b.org_id, OWNED)
        events = [
            await store_event(
                session,
                source,
                "creator.applied",
                {"campaign_id": str(b_campaign.id), "creator": {"name": "Intruder"}},
            ),
            await store_event(
                session,
                source,
                "offer.accepted",
                {"campaign_id": str(b_campaign.id), "creator_id": str(b_creator.id)},
            ),
        ]
        for event in events:
            await process_webhook_event(worker_ctx, {"event_id": str(event.id)})
            await session.refresh(event)
            assert event.status == "dead"
            assert event.last_error.endswith("not found")
        assert await org_rows(session, b.org_id, OWNED) == before
        assert await session.scalar(select(Creator).where(Creator.org_id == a.org_id)) is None
