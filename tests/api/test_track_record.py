"""A creator's track record against campaigns built by hand: every figure below is worked out in
the comments, never taken from the code under test. Read at NOW (2026-12-01), or the real time
for the HTTP tests (every date here is well before either).

Ada (the creator under test):
- Spring (USD, 2026-03-01..03-31, completed): collaboration completed, fee 300.00 + product
  50.00 + 10 % commission; promo code ADA10.
  P1 likes 400 comments 50 shares 30 saves 20 = 500 engagements, 10,000 followers, disclosed,
     published 03-05 10:00 for D1 due 03-06 -> on time.
  P2 likes 250 comments 40 shares 10 = 300, 10,000 followers, disclosed, published 03-10 12:00
     for D2 due 03-10 12:00 -> on time (on the due time counts).
  D3 due 03-20, never delivered -> due, late.
  Orders with ADA10: o1 400.00; o2 100.00 refunded in full -> conversions 1,
     revenue 400 + 100 - 100 = 400.00. Cost 300 + 50 + 0.10 x 400 = 390.00.
  -> posts 2, engagements 800, ER 800 / 20,000 = 0.04, CPE 390 / 800 = 0.4875,
     ROI (400 - 390) / 390 = 1/39, due 3, on time 2 (2/3), disclosure 2/2 = 1.0.
- Summer (EUR, 2026-06-01..06-30, still `active` but past its end date): collaboration published,
  flat fee 500.00; no link or code.
  P3 likes 900 comments 100 = 1,000, 20,000 followers, NOT disclosed, published 06-12 for D4
     due 06-10 -> late.
  P4 likes 180 comments 20 = 200, 20,000 followers, disclosed, published 06-15 for D5 due 06-20
     -> on time.
  P5 likes 100, followers unknown (out of the ER's both sides), no disclosure required.
  D6 has no due time -> not counted.
  -> posts 3, engagements 1,300, ER 1,200 / 40,000 = 0.03, cost 500.00, CPE 500 / 1,300 = 5/13,
     revenue and ROI null (nothing measures sales), due 2, on time 1 (0.5), disclosure 1/2.
- Winter (USD, 2026-11-15..2027-01-31, active): running, so not past. Collaboration contracted,
  fee 100.00; P6 likes 50, 10,000 followers; D7 due 2027-01-10, not yet due.
  -> posts 1, engagements 50, ER 0.005, cost 100.00, CPE 2.0, due 0, on-time rate null.
- Autumn (USD, ended): collaboration declined, no post -> not part of the record.
Ben is on Spring too (a post with 5,000 engagements, fee 1,000.00): none of it is Ada's.

Totals over Spring and Summer: campaigns 2, posts 5, engagements 2,100, ER 2,000 / 60,000 = 1/30,
conversions 1 (Spring's; Summer measures none), due 5, on time 3 (0.6), disclosure required 4,
passed 3 (0.75); money per currency: EUR cost 500.00, revenue null, CPE 5/13, ROI null; USD cost
390.00, revenue 400.00, CPE 0.4875, ROI 1/39; ROI overall 1/39 (the one currency with an ROI).
"""

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import select

from services.worker.jobs import campaigns as campaign_jobs
from shared.db import reads_in
from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.commands import Order, Refund
from shared.domain.kpi import service as kpi_service
from shared.domain.post.ingest import RecomputeKpis
from shared.domain.track_record import service as track_record_service
from shared.metrics.track_record import KPI_FIGURES
from shared.models import Creator
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
    utc,
)
from tests.factories_attribution import create_promo, create_source

NOW = utc(2026, 12, 1)
PASSED = {"required": True, "compliant": True, "found": ["#ad"], "reason": None}
MISSING = {"required": True, "compliant": False, "found": [], "reason": "missing"}
NOT_REQUIRED = {"required": False, "compliant": None, "found": [], "reason": "not_required"}


def d(value: str) -> Decimal:
    return Decimal(value)


async def _delivered(session, account, collaboration, name, due_at, published_at, **counts):
    deliverable = await create_deliverable(session, collaboration, due_at=due_at)
    await create_post(
        session,
        account,
        external_id=name,
        campaign_id=collaboration.campaign_id,
        deliverable_id=deliverable.id,
        published_at=published_at,
        **counts,
    )


async def _spring(session, org, ada, account, ben):
    spring = await create_campaign(
        session, org, name="Spring", currency="USD", status="completed",
        starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31),
    )  # fmt: skip
    collaboration = await create_collaboration(
        session, org, spring.id, ada.id, stage="completed", compensation_model="hybrid",
        fee=d("300.00"), product_value=d("50.00"), commission_rate=d("0.10"),
    )  # fmt: skip
    await _delivered(
        session, account, collaboration, "P1", utc(2026, 3, 6), utc(2026, 3, 5, 10),
        likes=400, comments=50, shares=30, saves=20, followers_at_post=10_000, disclosure=PASSED,
    )  # fmt: skip
    await _delivered(
        session, account, collaboration, "P2", utc(2026, 3, 10, 12), utc(2026, 3, 10, 12),
        likes=250, comments=40, shares=10, followers_at_post=10_000, disclosure=PASSED,
    )  # fmt: skip
    await create_deliverable(session, collaboration, due_at=utc(2026, 3, 20))
    await create_promo(session, org, spring.id, ada.id, "ADA10")
    ben_account = await create_account(session, org, ben.id, handle="ben")
    await create_post(
        session, ben_account, external_id="B1", campaign_id=spring.id, likes=5000,
        followers_at_post=50_000, disclosure=PASSED,
    )  # fmt: skip
    await create_collaboration(session, org, spring.id, ben.id, stage="completed", fee=d("1000.00"))
    source = await create_source(session, org)
    record = {"org_id": org, "source_id": source.id, "event_id": None, "now": NOW}
    at = utc(2026, 3, 15)
    await conversion_service.record_order(
        session, order=Order("o1", d("400.00"), "USD", at, ("ADA10",)), **record
    )
    await conversion_service.record_order(
        session, order=Order("o2", d("100.00"), "USD", at, ("ADA10",)), **record
    )
    await conversion_service.record_refund(
        session, refund=Refund("r2", "o2", d("100.00"), at), **record
    )
    return spring


async def _summer(session, org, ada, account):
    summer = await create_campaign(
        session, org, name="Summer", currency="EUR", status="active",
        starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30),
    )  # fmt: skip
    collaboration = await create_collaboration(
        session, org, summer.id, ada.id, stage="published", compensation_model="flat_fee",
        fee=d("500.00"),
    )  # fmt: skip
    await _delivered(
        session, account, collaboration, "P3", utc(2026, 6, 10), utc(2026, 6, 12),
        likes=900, comments=100, followers_at_post=20_000, disclosure=MISSING,
    )  # fmt: skip
    await _delivered(
        session, account, collaboration, "P4", utc(2026, 6, 20), utc(2026, 6, 15),
        likes=180, comments=20, followers_at_post=20_000, disclosure=PASSED,
    )  # fmt: skip
    await create_post(
        session, account, external_id="P5", campaign_id=summer.id, likes=100,
        published_at=utc(2026, 6, 16), disclosure=NOT_REQUIRED,
    )  # fmt: skip
    await create_deliverable(session, collaboration, due_at=None)
    return summer


async def _winter_and_autumn(session, org, ada, account):
    winter = await create_campaign(
        session, org, name="Winter", currency="USD", status="active",
        starts_on=date(2026, 11, 15), ends_on=date(2027, 1, 31),
    )  # fmt: skip
    collaboration = await create_collaboration(
        session, org, winter.id, ada.id, stage="contracted", fee=d("100.00")
    )
    await create_post(
        session, account, external_id="P6", campaign_id=winter.id, likes=50,
        followers_at_post=10_000, published_at=utc(2026, 11, 20),
    )  # fmt: skip
    await create_deliverable(session, collaboration, due_at=utc(2027, 1, 10))
    autumn = await create_campaign(
        session, org, name="Autumn", status="completed",
        starts_on=date(2026, 9, 1), ends_on=date(2026, 9, 30),
    )  # fmt: skip
    await create_collaboration(session, org, autumn.id, ada.id, stage="declined", fee=d("9.00"))
    return winter, autumn


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session, "Hand")
    org = tenant.org_id
    ada = await create_creator(session, org, name="Ada")
    ben = await create_creator(session, org, name="Ben")
    account = await create_account(session, org, ada.id, platform="instagram", handle="ada")
    spring = await _spring(session, org, ada, account, ben)
    summer = await _summer(session, org, ada, account)
    winter, autumn = await _winter_and_autumn(session, org, ada, account)
    await session.commit()
    campaigns = {"spring": spring, "summer": summer, "winter": winter, "autumn": autumn}
    return tenant, {"ada": ada, "ben": ben}, campaigns


async def _record(session, tenant, creator):
    reads = await reads_in(session)
    return await track_record_service.get(reads, tenant.org_id, creator.id, now=NOW)


def _by_name(record):
    return {entry["name"]: entry for entry in record["campaigns"]}


class TestCampaigns:
    async def test_newest_first_and_the_declined_campaign_left_out(self, session, world):
        tenant, creators, _ = world
        record = await _record(session, tenant, creators["ada"])
        assert [c["name"] for c in record["campaigns"]] == ["Winter", "Summer", "Spring"]
        assert [c["past"] for c in record["campaigns"]] == [False, True, True]

    async def test_spring_with_conversions(self, session, world):
        tenant, creators, campaigns = world
        spring = _by_name(await _record(session, tenant, creators["ada"]))["Spring"]
        assert spring["campaign_id"] == campaigns["spring"].id
        assert (spring["status"], spring["currency"], spring["stage"]) == (
            "completed", "USD", "completed",
        )  # fmt: skip
        assert (spring["starts_on"], spring["ends_on"]) == (date(2026, 3, 1), date(2026, 3, 31))
        assert (spring["posts"], spring["engagements"]) == (2, 800)
        assert spring["engagement_rate"] == 800 / 20_000
        assert (spring["conversions"], spring["revenue"], spring["cost"]) == (1, "400.00", "390.00")
        assert spring["cpe"] == pytest.approx(390 / 800, rel=1e-12)
        assert spring["roi"] == pytest.approx(1 / 39, rel=1e-12)
        assert (spring["deliverables_due"], spring["delivered_on_time"]) == (3, 2)
        assert spring["on_time_rate"] == 2 / 3
        assert (spring["disclosure_required"], spring["disclosure_passed"]) == (2, 2)
        assert spring["disclosure_rate"] == 1.0

    async def test_summer_with_a_late_deliverable_and_an_undisclosed_post(self, session, world):
        tenant, creators, _ = world
        summer = _by_name(await _record(session, tenant, creators["ada"]))["Summer"]
        assert (summer["status"], summer["currency"], summer["past"]) == ("active", "EUR", True)
        assert (summer["posts"], summer["engagements"]) == (3, 1300)
        assert summer["engagement_rate"] == 1200 / 40_000
        assert (summer["conversions"], summer["revenue"], summer["roi"]) == (None, None, None)
        assert summer["cost"] == "500.00"
        assert summer["cpe"] == pytest.approx(5 / 13, rel=1e-12)
        assert (summer["deliverables_due"], summer["delivered_on_time"]) == (2, 1)
        assert summer["on_time_rate"] == 0.5
        assert (summer["disclosure_required"], summer["disclosure_passed"]) == (2, 1)
        assert summer["disclosure_rate"] == 0.5

    async def test_winter_is_running(self, session, world):
        tenant, creators, _ = world
        winter = _by_name(await _record(session, tenant, creators["ada"]))["Winter"]
        assert (winter["posts"], winter["engagements"], winter["engagement_rate"]) == (
            1, 50, 50 / 10_000,
        )  # fmt: skip
        assert (winter["cost"], winter["cpe"], winter["roi"]) == ("100.00", 2.0, None)
        assert (winter["deliverables_due"], winter["on_time_rate"]) == (0, None)

    async def test_each_campaign_is_the_creators_own_kpi_row(self, session, world):
        """The same figures as the campaign's KPIs by creator: one set of formulas."""
        tenant, creators, campaigns = world
        ada = creators["ada"]
        record = _by_name(await _record(session, tenant, ada))
        reads = await reads_in(session)
        for name in ("Spring", "Summer", "Winter"):
            kpis = await kpi_service.campaign_kpis(
                reads, tenant.org_id, campaigns[name.lower()].id, now=NOW
            )
            row = next(r for r in kpis["by_creator"] if r["creator_id"] == str(ada.id))
            assert {k: record[name][k] for k in KPI_FIGURES} == {k: row[k] for k in KPI_FIGURES}


class TestTotals:
    async def test_over_the_past_campaigns(self, session, world):
        tenant, creators, _ = world
        totals = (await _record(session, tenant, creators["ada"]))["totals"]
        assert totals == {
            "campaigns": 2,
            "posts": 2 + 3,
            "engagements": 800 + 1300,
            "engagement_rate": 2000 / 60_000,
            "conversions": 1,
            "deliverables_due": 3 + 2,
            "delivered_on_time": 2 + 1,
            "on_time_rate": 3 / 5,
            "disclosure_required": 4,
            "disclosure_passed": 3,
            "disclosure_rate": 3 / 4,
            "roi": pytest.approx(1 / 39, rel=1e-12),
            "money": [
                {"currency": "EUR", "campaigns": 1, "cost": "500.00", "revenue": None,
                 "cpe": pytest.approx(5 / 13, rel=1e-12), "roi": None},
                {"currency": "USD", "campaigns": 1, "cost": "390.00", "revenue": "400.00",
                 "cpe": 0.4875, "roi": pytest.approx(1 / 39, rel=1e-12)},
            ],
        }  # fmt: skip

    async def test_a_creator_with_no_campaign(self, session, world):
        tenant, *_ = world
        cy = await create_creator(session, tenant.org_id, name="Cy")
        record = await _record(session, tenant, cy)
        assert record["campaigns"] == []
        assert record["totals"] == {
            "campaigns": 0, "posts": 0, "engagements": None, "engagement_rate": None,
            "conversions": None, "deliverables_due": 0, "delivered_on_time": 0,
            "on_time_rate": None, "disclosure_required": 0, "disclosure_passed": 0,
            "disclosure_rate": None, "roi": None, "money": [],
        }  # fmt: skip

    async def test_no_single_roi_across_two_currencies(self, session, world):
        """Summer gets an ROI too: a code and an order of 650.00 EUR -> (650 - 500) / 500 = 0.3.
        Two currencies with an ROI: each keeps its own, and there is no overall one."""
        tenant, creators, campaigns = world
        org, summer = tenant.org_id, campaigns["summer"]
        await create_promo(session, org, summer.id, creators["ada"].id, "ADASUMMER")
        source = await create_source(session, org, name="Shop")
        await conversion_service.record_order(
            session,
            order=Order("s1", d("650.00"), "EUR", utc(2026, 6, 20), ("ADASUMMER",)),
            org_id=org, source_id=source.id, event_id=None, now=NOW,
        )  # fmt: skip
        totals = (await _record(session, tenant, creators["ada"]))["totals"]
        assert [m["roi"] for m in totals["money"]] == [0.3, pytest.approx(1 / 39, rel=1e-12)]
        assert totals["money"][0]["revenue"] == "650.00"
        assert totals["roi"] is None
        assert totals["conversions"] == 1 + 1


class TestSortColumns:
    async def test_filled_by_the_kpi_recompute_job(self, session, sessionmaker, redis, world):
        tenant, creators, campaigns = world
        cy = await create_creator(session, tenant.org_id, name="Cy")
        ctx = {"sessionmaker": sessionmaker, "redis": redis}
        payload = RecomputeKpis(org_id=tenant.org_id, campaign_id=campaigns["spring"].id).dump()
        assert await campaign_jobs.recompute_kpis(ctx, payload) == "recorded"
        ada = await session.get(Creator, creators["ada"].id, populate_existing=True)
        assert (ada.past_campaigns, ada.past_on_time_rate) == (2, 3 / 5)
        assert ada.past_engagement_rate == 2000 / 60_000
        assert ada.past_roi == pytest.approx(1 / 39, rel=1e-12)
        assert ada.track_record == (await _record(session, tenant, ada))["totals"]
        # Ben is on Spring too: Spring alone, 5,000 / 50,000; fee 1,000.00 and nothing measured.
        ben = await session.get(Creator, creators["ben"].id, populate_existing=True)
        assert (ben.past_campaigns, ben.past_engagement_rate) == (1, 0.1)
        assert (ben.past_roi, ben.past_on_time_rate) == (None, None)
        assert ben.track_record["money"] == [
            {"currency": "USD", "campaigns": 1, "cost": "1000.00", "revenue": None,
             "cpe": 0.2, "roi": None}
        ]  # fmt: skip
        # Cy is on no campaign the job recomputed: untouched.
        cy = await session.get(Creator, cy.id, populate_existing=True)
        assert (cy.track_record, cy.past_campaigns) == (None, None)

    async def test_declining_takes_the_campaign_out(self, session, sessionmaker, redis, world):
        """Ben declines Spring... after posting: his post keeps Spring in his record, without the
        collaboration's fee. Then the post leaves the campaign: his record is empty."""
        tenant, creators, campaigns = world
        ben = creators["ben"]
        spring = campaigns["spring"]
        await track_record_service.refresh(session, tenant.org_id, [ben.id], now=NOW)
        from shared.models import Collaboration, Post

        collaboration = await session.scalar(
            select(Collaboration).where(Collaboration.creator_id == ben.id)
        )
        collaboration.stage = "declined"
        await session.commit()
        ctx = {"sessionmaker": sessionmaker, "redis": redis}
        payload = RecomputeKpis(org_id=tenant.org_id, campaign_id=spring.id).dump()
        assert await campaign_jobs.recompute_kpis(ctx, payload) == "recorded"
        row = await session.get(Creator, ben.id, populate_existing=True)
        assert row.past_campaigns == 1
        assert row.track_record["money"][0]["cost"] is None
        post = await session.scalar(select(Post).where(Post.creator_id == ben.id))
        post.campaign_id = None
        await session.commit()
        # No campaign has Ben now, so the job would not find him: refresh him directly.
        assert await track_record_service.refresh(session, tenant.org_id, [ben.id], now=NOW) == 1
        row = await session.get(Creator, ben.id, populate_existing=True)
        assert (row.past_campaigns, row.past_engagement_rate, row.track_record["money"]) == (
            0, None, [],
        )  # fmt: skip

    async def test_refresh_is_set_based_and_ignores_unknown_ids(self, session, world):
        tenant, creators, _ = world
        ids = [creators["ada"].id, creators["ben"].id, creators["ada"].id]
        unknown = UUID("0192f9d0-0000-7000-8000-000000000000")
        written = await track_record_service.refresh(
            session, tenant.org_id, [*ids, unknown], now=NOW
        )
        assert written == 2


class TestHttp:
    async def test_the_route_answers_the_record(self, client, world):
        tenant, creators, _ = world
        ada = creators["ada"]
        response = await client.get(
            f"/v1/creators/{ada.id}/track-record", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["creator_id"] == str(ada.id)
        assert [c["name"] for c in body["campaigns"]] == ["Winter", "Summer", "Spring"]
        spring = body["campaigns"][2]
        assert (spring["starts_on"], spring["cost"], spring["revenue"]) == (
            "2026-03-01", "390.00", "400.00",
        )  # fmt: skip
        assert body["totals"]["campaigns"] == 2
        assert body["totals"]["money"][1]["cost"] == "390.00"

    @pytest.mark.parametrize(
        "creator_id", ["0192f9d0-0000-7000-8000-000000000000", "not-a-uuid", "1" * 300]
    )
    async def test_unknown_or_malformed_id_is_404(self, client, world, creator_id):
        tenant, *_ = world
        response = await client.get(
            f"/v1/creators/{creator_id}/track-record", headers=bearer(tenant.read)
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"].startswith("creator ")

    async def test_without_a_key_is_401(self, client, world):
        _, creators, _ = world
        response = await client.get(f"/v1/creators/{creators['ada'].id}/track-record")
        assert response.status_code == 401

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    async def test_read_only(self, client, session, world, method):
        tenant, creators, _ = world
        ada = creators["ada"]
        response = await client.request(
            method, f"/v1/creators/{ada.id}/track-record", headers=bearer(tenant.admin)
        )
        assert response.status_code == 405
        row = await session.get(Creator, ada.id, populate_existing=True)
        assert row.track_record is None

    async def test_the_openapi_entry(self, app):
        operation = app.openapi()["paths"]["/v1/creators/{id}/track-record"]["get"]
        assert set(operation["responses"]) == {"200", "401", "403", "404", "429", "503"}
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/TrackRecordRead"}
