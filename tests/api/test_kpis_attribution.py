"""Campaign KPIs from tracking links, promo codes and conversions, on a campaign built by hand:
every figure is worked out in the comments from the fixture, never taken from the code.

The USD campaign runs 2026-11-01 through 2026-11-20, read at 2026-11-11. One USD is 0.80 EUR
in the organization's table (so 1 EUR = 1.25 USD); no JPY rate.
- A (Ada): an Instagram post (10,000 impressions, 40 clicks reported by Instagram); hybrid deal
  fee 100.00 + 10 % commission; link LA (instagram); code ADA10 (instagram).
  LA clicks: visitor v1 twice, v2 once, two bots -> clicks 3, unique 2.
  Orders: o1 100.00 USD (refunded 30.00 + 20.00), o2 80.00 EUR = 100.00 USD, o4 3,000 JPY
  (refunded 1,000 JPY, no rate: 2,000 JPY unconverted); lead l1 through LA.
  -> conversions 3, leads 1, revenue 100 - 50 + 100 = 150.00, cost 100 + 0.1 x 150 = 115.00.
- B (Ben): a TikTok post (5,000 impressions, no clicks reported); flat fee 200.00; link LB with
  no platform. LB clicks: v1, v3 -> clicks 2, unique 2. Order o3 60.00 USD through LB, refunded
  in full -> conversions 0, revenue 0.00.
- C (Cy): code CY5 with no platform, no post, no collaboration. Order o5 50.00 USD, lead l2.
- Not counted: o6 with ADA10 after the window; o7 with another organization's code.
Totals: clicks 5, unique 4, conversions 4, leads 2, revenue 200.00, cost 315.00.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from shared.db import reads_in
from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.commands import Lead, Order, Refund
from shared.domain.kpi import service as kpi_service
from shared.models import CampaignKpiSnapshot
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_post,
    create_tenant,
    utc,
)
from tests.factories_attribution import (
    create_click,
    create_link,
    create_promo,
    create_source,
    set_rates,
)

NOW = utc(2026, 11, 11)
AT = utc(2026, 11, 5, 10)


def d(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session, "Hand")
    org = tenant.org_id
    a, b, c = [await create_creator(session, org, name=n) for n in ("Ada", "Ben", "Cy")]
    campaign = await create_campaign(
        session,
        org,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 20),
        goals=[{"metric": "revenue", "target": Decimal(400), "direction": "at_least"}],
    )
    for creator, platform, counts in (
        (a, "instagram", {"impressions": 10_000, "clicks": 40, "likes": 100}),
        (b, "tiktok", {"impressions": 5000, "likes": 50}),
    ):
        account = await create_account(
            session, org, creator.id, platform=platform, handle=f"{creator.name}.{platform}"
        )
        await create_post(session, account, campaign_id=campaign.id, published_at=AT, **counts)
    await create_collaboration(
        session, org, campaign.id, a.id, stage="contracted", compensation_model="hybrid",
        fee=d("100.00"), commission_rate=d("0.1"),
    )  # fmt: skip
    await create_collaboration(
        session, org, campaign.id, b.id, stage="contracted", compensation_model="flat_fee",
        fee=d("200.00"),
    )  # fmt: skip
    la = await create_link(session, org, campaign.id, a.id, "LA", platform="instagram")
    lb = await create_link(session, org, campaign.id, b.id, "LB")
    await create_promo(session, org, campaign.id, a.id, "ADA10", platform="instagram")
    await create_promo(session, org, campaign.id, c.id, "CY5")
    for link, visitor, bot in (
        (la, "v1", False), (la, "v1", False), (la, "v2", False), (la, "b1", True),
        (la, "b2", True), (lb, "v1", False), (lb, "v3", False),
    ):  # fmt: skip
        await create_click(session, link, AT, visitor, is_bot=bot)
    await set_rates(session, org, "USD", EUR="0.80")
    other = await create_tenant(session, "Other")
    other_campaign = await create_campaign(session, other.org_id)
    other_creator = await create_creator(session, other.org_id)
    await create_promo(session, other.org_id, other_campaign.id, other_creator.id, "THEIRS")
    source = await create_source(session, org)
    record = {"org_id": org, "source_id": source.id, "event_id": None, "now": NOW}
    for command in (
        Order("o1", d("100.00"), "USD", AT, ("ADA10",)),
        Order("o2", d("80.00"), "EUR", AT, ("ada10",)),
        Order("o3", d("60.00"), "USD", AT, link_code="LB"),
        Order("o4", d("3000"), "JPY", AT, ("ADA10",)),
        Order("o5", d("50.00"), "USD", AT, ("CY5",)),
        Order("o6", d("999.00"), "USD", utc(2027, 1, 1), ("ADA10",)),
        Order("o7", d("999.00"), "USD", AT, ("THEIRS",)),
        Refund("r1", "o1", d("30.00"), AT),
        Refund("r2", "o1", d("20.00"), AT),
        Refund("r3", "o3", d("60.00"), AT),
        Refund("r4", "o4", d("1000"), AT),
        Lead("l1", AT, link_code="LA"),
        Lead("l2", AT, ("CY5",)),
    ):
        if isinstance(command, Order):
            await conversion_service.record_order(session, order=command, **record)
        elif isinstance(command, Refund):
            await conversion_service.record_refund(session, refund=command, **record)
        else:
            await conversion_service.record_lead(session, lead=command, **record)
    await session.commit()
    return tenant, campaign, {"A": a.id, "B": b.id, "C": c.id}


async def _kpis(session, tenant, campaign):
    reads = await reads_in(session)
    return await kpi_service.campaign_kpis(reads, tenant.org_id, campaign.id, now=NOW)


class TestTotals:
    async def test_clicks_are_the_links_clicks_by_people(self, session, world):
        totals = (await _kpis(session, *world[:2]))["totals"]
        assert (totals["clicks"], totals["unique_clicks"]) == (3 + 2, 2 + 2)
        # The platforms' own count stays apart: Instagram's 40, TikTok reports none.
        assert totals["platform_clicks"] == 40
        assert totals["ctr"] == 5 / (10_000 + 5000)

    async def test_conversions_net_of_fully_refunded_orders(self, session, world):
        totals = (await _kpis(session, *world[:2]))["totals"]
        assert totals["conversions"] == 4  # o1, o2, o4, o5 (o3 refunded in full)
        assert totals["leads"] == 2

    async def test_revenue_in_the_campaign_currency_and_unconverted_apart(self, session, world):
        totals = (await _kpis(session, *world[:2]))["totals"]
        # o1 100 - 50 refunded, o2 80 EUR x 1.25, o3 60 - 60, o5 50.
        assert totals["revenue"] == "200.00"
        assert totals["unconverted_revenue"] == {"JPY": "2000.00"}

    async def test_cost_with_commission_and_the_ratios(self, session, world):
        totals = (await _kpis(session, *world[:2]))["totals"]
        cost = d("100.00") + d("0.1") * d("150.00") + d("200.00")
        assert cost == d("315.00") and totals["cost"] == "315.00"
        assert totals["cpc"] == float(cost / 5)
        assert totals["cpa"] == float(cost / 4)
        assert totals["cpl"] == float(cost / 2)
        assert totals["roi"] == float((d("200") - cost) / cost)
        assert totals["roas"] == float(d("200") / cost)

    async def test_goal_on_revenue(self, session, world):
        [goal] = (await _kpis(session, *world[:2]))["goals"]
        assert (goal["actual"], goal["progress"]) == ("200.00", 0.5)


class TestBreakdowns:
    async def test_by_creator(self, session, world):
        tenant, campaign, ids = world
        rows = {r["creator_id"]: r for r in (await _kpis(session, tenant, campaign))["by_creator"]}
        a, b, c = rows[str(ids["A"])], rows[str(ids["B"])], rows[str(ids["C"])]
        assert (a["clicks"], a["unique_clicks"], a["conversions"], a["leads"]) == (3, 2, 3, 1)
        assert (a["revenue"], a["unconverted_revenue"], a["cost"]) == (
            "150.00",
            {"JPY": "2000.00"},
            "115.00",
        )
        assert a["cpc"] == float(d("115") / 3) and a["roas"] == float(d("150") / d("115"))
        assert (b["clicks"], b["unique_clicks"], b["conversions"], b["leads"]) == (2, 2, 0, 0)
        assert (b["revenue"], b["cost"], b["cpa"], b["roi"]) == ("0.00", "200.00", None, -1.0)
        # Codes but no links: clicks unmeasured; no collaboration: no cost.
        assert (c["clicks"], c["conversions"], c["leads"], c["revenue"]) == (None, 1, 1, "50.00")
        assert (c["cost"], c["roi"], c["posts"]) == (None, None, 0)

    async def test_by_platform_counts_only_what_names_a_platform(self, session, world):
        rows = {r["platform"]: r for r in (await _kpis(session, *world[:2]))["by_platform"]}
        assert set(rows) == {"instagram", "tiktok"}
        instagram, tiktok = rows["instagram"], rows["tiktok"]
        assert (instagram["clicks"], instagram["conversions"], instagram["revenue"]) == (
            3,
            3,
            "150.00",
        )
        assert instagram["cost"] == "115.00" and instagram["cpc"] == float(d("115") / 3)
        assert instagram["platform_clicks"] == 40
        # Ben's link names no platform: its clicks and sales are in totals and by creator only.
        assert (tiktok["clicks"], tiktok["conversions"], tiktok["revenue"]) == (None, None, None)
        assert tiktok["cost"] == "200.00"


class TestThroughTheApi:
    async def test_kpis_document(self, client, world):
        tenant, campaign, _ = world
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/kpis", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        totals = response.json()["totals"]
        assert (totals["clicks"], totals["revenue"], totals["cost"]) == (5, "200.00", "315.00")

    async def test_snapshots_and_timeseries_carry_the_new_figures(self, client, session, world):
        tenant, campaign, _ = world
        await kpi_service.record_snapshot(session, tenant.org_id, campaign.id, now=NOW)
        # A snapshot stored before these figures existed still reads back.
        old = CampaignKpiSnapshot(
            org_id=tenant.org_id, campaign_id=campaign.id, computed_at=utc(2026, 11, 3),
            totals={k: v for k, v in (await _kpis(session, tenant, campaign))["totals"].items()
                    if k not in ("unique_clicks", "platform_clicks", "unconverted_revenue")},
            by_creator=[], by_platform=[], goals=[], coverage={}, emv_rate_card_version=None,
        )  # fmt: skip
        session.add(old)
        await session.commit()
        listed = await client.get(
            f"/v1/campaigns/{campaign.id}/kpi-snapshots", headers=bearer(tenant.read)
        )
        assert listed.status_code == 200, listed.text
        newest, oldest = listed.json()["items"]
        assert (newest["totals"]["unique_clicks"], oldest["totals"]["unique_clicks"]) == (4, None)
        series = await client.get(
            f"/v1/campaigns/{campaign.id}/kpis/timeseries?metric=unique_clicks&interval=day"
            "&from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z",
            headers=bearer(tenant.read),
        )
        assert series.status_code == 200, series.text
        assert [p["value"] for p in series.json()["points"]] == [4]

    async def test_report_totals_row_sums_the_posts_own_clicks(self, client, world):
        tenant, campaign, _ = world
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/report.csv", headers=bearer(tenant.read)
        )
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["clicks"] for r in rows] == ["40", "", "40"]
