"""A campaign driven end to end by webhooks alone, through the HTTP API and a real arq worker:
a marketplace's applications and offers become a collaboration, its published post is tracked,
a Shopify shop's order and refund and the marketplace's own order and lead turn into attributed
revenue in the KPIs, and an internal tool receives each stage change, signed.

Every figure is worked out by hand in the comments from the payloads sent."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from shared.config import get_settings
from tests.factories import bearer, create_tenant
from tests.factories_events import Receiver
from tests.factories_webhooks import SHOPIFY_KEY, marketplace_delivery, shopify_headers
from tests.worker.conftest import run_burst

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def settings(settings, monkeypatch):
    """KPI recomputation debounced by a second, not a minute: the burst worker waits for it
    (services that ask for it read the process settings, hence the environment too)."""
    monkeypatch.setenv("SWAY_KPI_DEBOUNCE_S", "1")
    get_settings.cache_clear()
    yield settings.model_copy(update={"kpi_debounce_s": 1})
    monkeypatch.delenv("SWAY_KPI_DEBOUNCE_S")
    get_settings.cache_clear()


@pytest.fixture
async def shop(client, session):
    """An organization with a USD campaign, a marketplace source and a Shopify source."""
    tenant = await create_tenant(session)
    admin = bearer(tenant.admin)
    campaign = await client.post(
        "/v1/campaigns",
        json={
            "name": "Autumn launch",
            "objective": "sales",
            "currency": "USD",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
        },
        headers=admin,
    )
    assert campaign.status_code == 201, campaign.text
    marketplace = await client.post(
        "/v1/webhook-sources", json={"kind": "marketplace", "name": "Collabs"}, headers=admin
    )
    shopify = await client.post(
        "/v1/webhook-sources",
        json={"kind": "shopify", "name": "Ada Coffee", "secret": SHOPIFY_KEY},
        headers=admin,
    )
    assert marketplace.status_code == shopify.status_code == 201, marketplace.text + shopify.text
    return tenant, campaign.json()["id"], marketplace.json(), shopify.json()["id"]


async def _marketplace(client, source, type, data, msg_id):
    body, headers = marketplace_delivery(source["secret"], type, data, msg_id=msg_id)
    answer = await client.post(f"/webhooks/{source['id']}", content=body, headers=headers)
    assert answer.status_code == 202, answer.text


async def _shopify(client, source_id, topic, payload, webhook_id):
    body = json.dumps(payload).encode()
    headers = shopify_headers(SHOPIFY_KEY, body, topic=topic, webhook_id=webhook_id)
    answer = await client.post(f"/webhooks/{source_id}", content=body, headers=headers)
    assert answer.status_code == 202, answer.text


def _shopify_order(link_code: str) -> dict:
    order = json.loads((FIXTURES / "orders_create.json").read_text())
    # 112.20 EUR with the code ADA10, landing on the creator's tracked link.
    order["landing_site"] = f"/products/espresso-blend?utm_content={link_code}"
    return order


async def test_a_marketplace_and_a_shop_drive_a_campaign(
    client, session, worker_ctx, redis, settings, shop
):
    tenant, campaign_id, marketplace, shopify_id = shop
    admin, write = bearer(tenant.admin), bearer(tenant.read_write)
    async with Receiver() as receiver:
        subscription = await client.post(
            "/v1/subscriptions",
            json={"url": receiver.url, "events": ["collaboration.stage_changed"]},
            headers=admin,
        )
        assert subscription.status_code == 201, subscription.text
        receiver.secret = subscription.json()["secret"]

        # Applications and offers become a contracted collaboration.
        applicant = {
            "name": "Ada Brews",
            "email": "ada@brews.example",
            "accounts": [{"platform": "demo", "handle": "ada.brews"}],
        }
        applied = {"campaign_id": campaign_id, "creator": applicant}
        await _marketplace(client, marketplace, "creator.applied", applied, "msg_applied")
        await run_burst(worker_ctx, redis)
        offer = {
            "campaign_id": campaign_id,
            "creator_email": "ada@brews.example",
            "compensation": {"model": "hybrid", "fee": "200.00", "commission_rate": "0.10"},
        }
        await _marketplace(client, marketplace, "offer.accepted", offer, "msg_offer")
        await run_burst(worker_ctx, redis)
        [collaboration] = (
            await client.get(f"/v1/campaigns/{campaign_id}/collaborations", headers=write)
        ).json()["items"]
        assert collaboration["stage"] == "contracted"
        creator_id = collaboration["creator_id"]

        # The published post is tracked.
        published = {
            "campaign_id": campaign_id,
            "platform": "demo",
            "url": "https://demo.sway.test/@ada.brews/posts/ada.brews-7",
        }
        await _marketplace(client, marketplace, "post.published", published, "msg_post")
        await run_burst(worker_ctx, redis)
        posts = (await client.get(f"/v1/campaigns/{campaign_id}/posts", headers=write)).json()
        assert [p["external_id"] for p in posts["items"]] == ["ada.brews-7"]

        # The creator's code and link; two clicks by one person, one by a crawler.
        code = await client.post(
            f"/v1/campaigns/{campaign_id}/promo-codes",
            json={"creator_id": creator_id, "code": "ADA10"},
            headers=write,
        )
        link = await client.post(
            f"/v1/campaigns/{campaign_id}/links",
            json={"creator_id": creator_id, "destination_url": "https://ada.example/espresso"},
            headers=write,
        )
        assert code.status_code == link.status_code == 201, code.text + link.text
        link_code = link.json()["code"]
        for agent in (BROWSER, BROWSER, GOOGLEBOT):
            follow = await client.get(f"/r/{link_code}", headers={"User-Agent": agent})
            assert follow.status_code == 302
            assert follow.headers["location"] == link.json()["tracked_url"]

        # One USD is 0.5 EUR: EUR amounts count double in USD.
        rates = await client.put(
            "/v1/organization/exchange-rates",
            json={"base": "USD", "rates": {"EUR": "0.5"}},
            headers=admin,
        )
        assert rates.status_code == 200, rates.text

        # Shopify: 112.20 EUR with ADA10 (the code beats the link) = 224.40 USD; its refund's
        # successful transactions 50.00 + 3.10 = 53.10 EUR = 106.20 USD (the failed one is no
        # refund). The marketplace: 80.00 USD through the link alone; a lead with the code.
        order = _shopify_order(link_code)
        await _shopify(client, shopify_id, "orders/create", order, "shop-order")
        await _shopify(client, shopify_id, "orders/paid", order, "shop-paid")
        refund = json.loads((FIXTURES / "refunds_create.json").read_text())
        await _shopify(client, shopify_id, "refunds/create", refund, "shop-refund")
        sale = {
            "order_id": "MKT-1042",
            "amount": "80.00",
            "currency": "USD",
            "occurred_at": "2026-11-12T10:00:00Z",
            "link_code": link_code,
        }
        await _marketplace(client, marketplace, "order.created", sale, "msg_sale")
        lead = {"lead_id": "L-7", "occurred_at": "2026-11-13T10:00:00Z", "promo_code": "ada10"}
        await _marketplace(client, marketplace, "lead.created", lead, "msg_lead")
        await run_burst(worker_ctx, redis)

        events = (await client.get("/v1/webhook-events?limit=200", headers=admin)).json()
        assert {e["status"] for e in events["items"]} == {"processed"}, events
        conversions = (
            await client.get(f"/v1/campaigns/{campaign_id}/conversions", headers=write)
        ).json()["items"]
        rules = sorted((c["kind"], c["attributed_by"]) for c in conversions)
        assert rules == [
            ("lead", "promo_code"),
            ("purchase", "link_code"),
            ("purchase", "promo_code"),
            ("refund", "promo_code"),
        ]

        kpis = (await client.get(f"/v1/campaigns/{campaign_id}/kpis", headers=write)).json()
    totals = kpis["totals"]
    # revenue 224.40 − 106.20 + 80.00 = 198.20; cost = fee 200 + 0.10 × 198.20 = 219.82
    revenue, cost = Decimal("198.20"), Decimal("219.82")
    assert (totals["revenue"], totals["cost"]) == (str(revenue), str(cost))
    assert (totals["clicks"], totals["unique_clicks"]) == (2, 1)
    assert (totals["conversions"], totals["leads"]) == (2, 1)
    assert totals["cpc"] == pytest.approx(float(cost / 2))
    assert totals["cpa"] == pytest.approx(float(cost / 2))
    assert totals["cpl"] == pytest.approx(float(cost))
    assert totals["roi"] == pytest.approx(float((revenue - cost) / cost))
    assert totals["roas"] == pytest.approx(float(revenue / cost))
    [by_creator] = kpis["by_creator"]
    assert (by_creator["creator_id"], by_creator["revenue"]) == (creator_id, str(revenue))

    # The internal tool heard every move, each signed: created at prospect, then the walk
    # to contracted.
    assert all(r.verified for r in receiver.received)
    moves = [(r.json["data"]["from"], r.json["data"]["to"]) for r in receiver.received]
    assert moves[0] == (None, "prospect")
    assert moves[-1][1] == "contracted"
    assert datetime.now(UTC) > datetime(2026, 11, 30, tzinfo=UTC)  # the campaign's window is past
