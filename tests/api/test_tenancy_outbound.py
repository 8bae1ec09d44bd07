"""Tenancy of these routes: each test here proves one organization cannot read or change the
other's rows. WALKED names the (method, OpenAPI path) pairs proven here, which
test_tenancy.py's test_every_route_is_walked counts as covered."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.models import Delivery, Subscription
from tests.factories import bearer, create_tenant

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)

# (method, path with {subscription} / {delivery}, body)
BY_ID = [
    ("GET", "/v1/subscriptions/{subscription}", None),
    ("PATCH", "/v1/subscriptions/{subscription}", {"url": "https://evil.example.com/x"}),
    ("DELETE", "/v1/subscriptions/{subscription}", None),
    ("POST", "/v1/subscriptions/{subscription}/rotate-secret", None),
    ("GET", "/v1/subscriptions/{subscription}/deliveries", None),
    ("GET", "/v1/deliveries/{delivery}", None),
    ("POST", "/v1/deliveries/{delivery}/redeliver", None),
]

WALKED: set[tuple[str, str]] = {
    (method, path.replace("{subscription}", "{id}").replace("{delivery}", "{id}"))
    for method, path, _ in BY_ID
} | {("GET", "/v1/subscriptions"), ("POST", "/v1/subscriptions")}


def _snapshot(subscription: Subscription, delivery: Delivery) -> tuple:
    return (
        subscription.url,
        subscription.events,
        subscription.secret_sealed,
        subscription.status,
        delivery.status,
        delivery.attempts,
        delivery.next_attempt_at,
    )


@pytest.fixture
async def world(session):
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    subscription = Subscription(
        org_id=a.org_id,
        url="https://a.example.com/hooks",
        events=["post.gone"],
        secret_sealed="sealed",
        status="active",
        consecutive_failures=0,
    )
    session.add(subscription)
    await session.flush()
    delivery = Delivery(
        org_id=a.org_id,
        subscription_id=subscription.id,
        event_type="post.gone",
        message_id="msg_a",
        payload={"type": "post.gone", "timestamp": "2026-11-20T09:00:00Z", "data": {}},
        status="failed",
        attempts=8,
    )
    session.add(delivery)
    await session.commit()
    return a, b, subscription, delivery


class TestOutboundTenancy:
    @pytest.mark.parametrize(("method", "path", "body"), BY_ID)
    async def test_foreign_ids_are_404_and_change_nothing(
        self, client, session, world, method, path, body
    ):
        a, b, subscription, delivery = world
        before = _snapshot(subscription, delivery)
        url = path.format(subscription=subscription.id, delivery=delivery.id)
        response = await client.request(method, url, json=body, headers=bearer(b.admin))
        assert response.status_code == 404, response.text
        missing = path.format(
            subscription="0192f9d0-0000-7000-8000-000000000000",
            delivery="0192f9d0-0000-7000-8000-000000000000",
        )
        unknown = await client.request(method, missing, json=body, headers=bearer(b.admin))
        assert unknown.json()["detail"].split()[0] == response.json()["detail"].split()[0]
        await session.refresh(subscription)
        await session.refresh(delivery)
        assert _snapshot(subscription, delivery) == before
        # The owner still reaches them.
        own = await client.get(f"/v1/subscriptions/{subscription.id}", headers=bearer(a.admin))
        assert own.status_code == 200

    async def test_lists_show_only_own_rows(self, client, world):
        a, b, subscription, _ = world
        theirs = await client.get("/v1/subscriptions", headers=bearer(b.admin))
        assert theirs.json()["items"] == []
        own = await client.get("/v1/subscriptions", headers=bearer(a.admin))
        assert [s["id"] for s in own.json()["items"]] == [str(subscription.id)]

    async def test_creates_land_in_callers_org(self, client, session, world):
        a, b, *_ = world
        response = await client.post(
            "/v1/subscriptions",
            json={"url": "https://b.example.com/hooks", "events": ["post.gone"]},
            headers=bearer(b.admin),
        )
        assert response.status_code == 201
        stored = await session.get(Subscription, response.json()["id"])
        assert stored.org_id == b.org_id

    async def test_events_reach_only_their_own_organizations_subscriptions(self, session, world):
        a, b, subscription, _ = world
        theirs = Subscription(
            org_id=b.org_id,
            url="https://b.example.com/hooks",
            events=["post.gone"],
            secret_sealed="sealed",
            status="active",
            consecutive_failures=0,
        )
        session.add(theirs)
        await session.commit()
        await events_service.emit(session, a.org_id, EventType.post_gone, {"p": 1}, now=NOW)
        await session.commit()
        rows = (await session.scalars(select(Delivery).where(Delivery.message_id != "msg_a"))).all()
        assert [(d.org_id, d.subscription_id) for d in rows] == [(a.org_id, subscription.id)]
