"""GET /v1/campaigns/{id}/conversions: what was attributed to the campaign, with the rule and
the rate used."""

from datetime import date
from decimal import Decimal

from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.commands import Lead, Order, Refund
from tests.factories import bearer, create_campaign, create_creator, create_tenant, utc
from tests.factories_attribution import create_link, create_promo, create_source, set_rates

AT = utc(2026, 10, 10, 12)


async def _world(session):
    tenant = await create_tenant(session)
    campaign = await create_campaign(
        session, tenant.org_id, starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31)
    )
    ada = await create_creator(session, tenant.org_id, name="Ada")
    bo = await create_creator(session, tenant.org_id, name="Bo")
    await create_promo(session, tenant.org_id, campaign.id, ada.id, "ADA10")
    await create_link(session, tenant.org_id, campaign.id, bo.id, "bo-link")
    await set_rates(session, tenant.org_id, "USD", EUR="0.8")
    source = await create_source(session, tenant.org_id)
    record = {"org_id": tenant.org_id, "source_id": source.id, "event_id": None, "now": AT}
    await conversion_service.record_order(
        session, order=Order("o1", Decimal("40"), "EUR", AT, ("ADA10",)), **record
    )
    await conversion_service.record_refund(
        session, refund=Refund("r1", "o1", Decimal("8"), utc(2026, 10, 11)), **record
    )
    await conversion_service.record_lead(
        session, lead=Lead("l1", utc(2026, 10, 12), link_code="bo-link"), **record
    )
    await conversion_service.record_order(
        session, order=Order("o2", Decimal("5"), "USD", AT, ("NOPE",)), **record
    )
    await session.commit()
    return tenant, campaign, ada, bo


class TestListConversions:
    async def test_lists_the_campaigns_with_rule_and_rate(self, client, session):
        tenant, campaign, ada, bo = await _world(session)
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/conversions", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        # Newest first; the unattributed order is nobody's campaign's.
        assert [(i["kind"], i["external_id"]) for i in items] == [
            ("lead", "l1"),
            ("refund", "r1"),
            ("purchase", "o1"),
        ]
        lead, refund, purchase = items
        assert (lead["attributed_by"], lead["creator_id"], lead["amount"]) == (
            "link_code",
            str(bo.id),
            None,
        )
        assert purchase | {"id": None, "created_at": None, "source_id": None} == {
            "id": None,
            "kind": "purchase",
            "source_id": None,
            "event_id": None,
            "external_id": "o1",
            "purchase_id": None,
            "occurred_at": "2026-10-10T12:00:00Z",
            "amount": "40.00",
            "currency": "EUR",
            "promo_code": "ADA10",
            "link_code": None,
            "campaign_id": str(campaign.id),
            "creator_id": str(ada.id),
            "platform": None,
            "attributed_by": "promo_code",
            "converted_amount": "50.00",  # 40 EUR at 1 / 0.8 = 1.25
            "converted_currency": "USD",
            "exchange_rate": "1.25",
            "created_at": None,
        }
        assert (refund["purchase_id"], refund["converted_amount"]) == (purchase["id"], "10.00")

    async def test_filters_and_pages(self, client, session):
        tenant, campaign, ada, bo = await _world(session)
        base = f"/v1/campaigns/{campaign.id}/conversions"
        by_kind = await client.get(f"{base}?kind=refund", headers=bearer(tenant.read))
        assert [i["external_id"] for i in by_kind.json()["items"]] == ["r1"]
        by_creator = await client.get(f"{base}?creator_id={ada.id}", headers=bearer(tenant.read))
        assert [i["external_id"] for i in by_creator.json()["items"]] == ["r1", "o1"]
        first = (await client.get(f"{base}?limit=2", headers=bearer(tenant.read))).json()
        rest = await client.get(
            f"{base}?limit=2&cursor={first['next_cursor']}", headers=bearer(tenant.read)
        )
        assert [i["external_id"] for i in rest.json()["items"]] == ["o1"]

    async def test_bad_filter_is_422(self, client, session):
        tenant, campaign, _, _ = await _world(session)
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/conversions?kind=gift", headers=bearer(tenant.read)
        )
        assert response.status_code == 422
