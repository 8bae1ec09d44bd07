"""Campaign KPIs against a campaign built by hand: every figure below is worked out in the
comments from the posts' counts, never taken from the code under test.

The campaign runs 2026-11-01 through 2026-11-20 (20 days) and is read at 2026-11-11 00:00 UTC,
half way. Creators:
- A (Ada): Instagram P1, P2, P7 (P7 not refreshed yet: no counts), YouTube P3; hybrid deal,
  fee 1,000.00 + product 250.00 + 10 % commission (no revenue measured yet).
- B (Ben): TikTok P4, P5 (P5's likes hidden); no follower history, so no followers_at_post;
  flat fee 800.00.
- C (Cy): X P6; collaboration declined (its fee 500.00 is no cost).
- D (Dee): product 150.00, no post yet.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.db import reads_in
from shared.domain.kpi import service as kpi_service
from shared.models import EmvRateCard
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

NOW = utc(2026, 11, 11)
PASSED = {"required": True, "compliant": True, "found": ["#ad"], "reason": None}
FAILED = {"required": True, "compliant": False, "found": ["#sp"], "reason": "shorthand_only"}
MISSING = {"required": True, "compliant": False, "found": [], "reason": "missing"}
NOT_REQUIRED = {"required": False, "compliant": None, "found": [], "reason": "not_required"}

POSTS = {
    # name: (creator, platform, counts)
    "P1": ("A", "instagram", dict(likes=1000, comments=100, saves=50, impressions=20_000,
                                  reach=15_000, followers_at_post=10_000, engagements_24h=900,
                                  engagements_7d=1100, disclosure=PASSED)),
    "P2": ("A", "instagram", dict(likes=600, comments=60, saves=40, impressions=10_000,
                                  reach=8000, followers_at_post=12_000, engagements_24h=500,
                                  disclosure=FAILED)),
    "P3": ("A", "youtube", dict(views=40_000, likes=2000, comments=300, followers_at_post=50_000,
                                engagements_24h=1500, engagements_7d=2200, disclosure=PASSED)),
    "P4": ("B", "tiktok", dict(views=100_000, likes=5000, comments=200, shares=300, saves=100,
                               disclosure=PASSED)),
    "P5": ("B", "tiktok", dict(views=20_000, comments=50, shares=10, disclosure=MISSING)),
    "P6": ("C", "x", dict(impressions=5000, likes=100, comments=10, shares=20,
                          followers_at_post=3000, disclosure=NOT_REQUIRED)),
    "P7": ("A", "instagram", dict(followers_at_post=12_000, disclosure=MISSING)),
}  # fmt: skip

# Engagements per post (likes + comments + shares + saves):
# P1 1150, P2 700, P3 2300, P4 5600, P5 60, P6 130, P7 none.
ENGAGEMENTS = 1150 + 700 + 2300 + 5600 + 60 + 130  # 9,940
COST = Decimal("1250.00") + Decimal("800.00") + Decimal("150.00")  # 2,200.00


@pytest.fixture
async def campaign(session):
    tenant = await create_tenant(session, "Hand")
    org = tenant.org_id
    creators = {
        key: await create_creator(session, org, name=name)
        for key, name in (("A", "Ada"), ("B", "Ben"), ("C", "Cy"), ("D", "Dee"))
    }
    campaign = await create_campaign(
        session,
        org,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 20),
        goals=[
            {"metric": "engagements", "target": Decimal(20_000), "direction": "at_least"},
            {"metric": "cpe", "target": Decimal("0.5"), "direction": "at_most"},
            {"metric": "posts", "target": Decimal(5), "direction": "at_least"},
            {"metric": "engagement_rate", "target": Decimal("0.05"), "direction": "at_most"},
            {"metric": "revenue", "target": Decimal(1000), "direction": "at_least"},
        ],
    )
    accounts = {}
    for number, (name, (creator, platform, counts)) in enumerate(POSTS.items()):
        key = (creator, platform)
        if key not in accounts:
            accounts[key] = await create_account(
                session,
                org,
                creators[creator].id,
                platform=platform,
                handle=f"{creator}.{platform}",
            )
        await create_post(
            session,
            accounts[key],
            campaign_id=campaign.id,
            external_id=f"{name}-{number}",
            published_at=utc(2026, 11, 2),
            **counts,
        )
    money = Decimal
    for creator, fields in (
        ("A", dict(stage="contracted", compensation_model="hybrid", fee=money("1000.00"),
                   product_value=money("250.00"), commission_rate=money("0.1"))),
        ("B", dict(stage="contracted", compensation_model="flat_fee", fee=money("800.00"))),
        ("C", dict(stage="declined", compensation_model="flat_fee", fee=money("500.00"))),
        ("D", dict(stage="negotiating", compensation_model="product",
                   product_value=money("150.00"))),
    ):  # fmt: skip
        await create_collaboration(session, org, campaign.id, creators[creator].id, **fields)
    session.add(
        EmvRateCard(
            org_id=org,
            version=1,
            currency="USD",
            rates={
                "instagram": {"likes": "0.10", "comments": "0.50", "impressions": "0.005"},
                "youtube": {"views": "0.02"},
                "tiktok": {"views": "0.01", "likes": "0.02"},
                "x": {"impressions": "0.004"},
            },
            sources={},
        )
    )
    await session.commit()
    return tenant, campaign, {key: creator.id for key, creator in creators.items()}


async def _kpis(session, tenant, campaign, now=NOW):
    reads = await reads_in(session)
    return await kpi_service.campaign_kpis(reads, tenant.org_id, campaign.id, now=now)


class TestTotals:
    async def test_sums_skip_what_a_platform_does_not_report(self, session, campaign):
        totals = (await _kpis(session, *campaign[:2]))["totals"]
        assert totals["posts"] == 7
        assert totals["creators"] == 3  # D has no post
        assert totals["impressions"] == 20_000 + 10_000 + 5000
        assert totals["reach"] == 15_000 + 8000
        assert totals["views"] == 40_000 + 100_000 + 20_000
        assert totals["likes"] == 1000 + 600 + 2000 + 5000 + 100
        assert totals["comments"] == 100 + 60 + 300 + 200 + 50 + 10
        assert totals["shares"] == 300 + 10 + 20
        assert totals["saves"] == 50 + 40 + 100
        assert totals["engagements"] == ENGAGEMENTS == 9940

    async def test_rates_are_ratios_of_sums_over_posts_where_both_are_known(
        self, session, campaign
    ):
        totals = (await _kpis(session, *campaign[:2]))["totals"]
        # Both known: P1, P2, P3, P6 (P4, P5 have no followers_at_post, P7 no engagements).
        assert totals["engagement_rate"] == (1150 + 700 + 2300 + 130) / (
            10_000 + 12_000 + 50_000 + 3000
        )
        assert totals["engagement_rate_by_reach"] == (1150 + 700) / (15_000 + 8000)
        assert totals["engagement_rate_by_views"] == (2300 + 5600 + 60) / 160_000

    async def test_age_normalized_engagements(self, session, campaign):
        totals = (await _kpis(session, *campaign[:2]))["totals"]
        assert totals["engagements_24h"] == 900 + 500 + 1500
        assert totals["engagement_rate_24h"] == 2900 / (10_000 + 12_000 + 50_000)
        assert totals["engagements_7d"] == 1100 + 2200
        assert totals["engagement_rate_7d"] == 3300 / (10_000 + 50_000)
        assert totals["engagements_30d"] is None
        assert totals["engagement_rate_30d"] is None

    async def test_cost_counts_every_collaboration_but_the_declined_one(self, session, campaign):
        totals = (await _kpis(session, *campaign[:2]))["totals"]
        assert totals["cost"] == "2200.00"
        assert totals["cpe"] == 2200 / 9940
        assert totals["cpm"] == 1000 * 2200 / 35_000
        assert totals["cpv"] == 2200 / 160_000

    async def test_attribution_figures_are_null_until_measured(self, session, campaign):
        totals = (await _kpis(session, *campaign[:2]))["totals"]
        for name in ("clicks", "ctr", "conversions", "leads", "revenue", "cpc", "cpa", "cpl"):
            assert totals[name] is None, name
        assert totals["roi"] is None and totals["roas"] is None
        # No brand terms: mentions are not measured; no comments: no sentiment to read.
        assert totals["mentions"] is None and totals["competitor_mentions"] is None
        assert totals["sentiment"]["analysed"] == 0 and totals["sentiment_net"] is None

    async def test_emv_from_the_rate_card(self, session, campaign):
        kpis = await _kpis(session, *campaign[:2])
        # Instagram: 1,600 likes × 0.10 + 160 comments × 0.50 + 30,000 impressions × 0.005 = 390
        # YouTube: 40,000 views × 0.02 = 800; TikTok: 120,000 views × 0.01 + 5,000 likes × 0.02
        # = 1,300; X: 5,000 impressions × 0.004 = 20.
        assert kpis["totals"]["emv"] == "2510.00"
        assert kpis["emv_rate_card_version"] == 1

    async def test_disclosure_rate(self, session, campaign):
        totals = (await _kpis(session, *campaign[:2]))["totals"]
        # Required: P1, P2, P3, P4, P5, P7; passed: P1, P3, P4.
        assert totals["disclosure_rate"] == 3 / 6

    async def test_coverage(self, session, campaign):
        coverage = (await _kpis(session, *campaign[:2]))["coverage"]
        assert coverage["impressions"] == 3 / 7
        assert coverage["likes"] == 5 / 7
        assert coverage["engagements"] == 6 / 7
        assert coverage["followers_at_post"] == 5 / 7
        assert coverage["engagements_30d"] == 0.0


class TestBreakdowns:
    async def test_by_creator(self, session, campaign):
        tenant, row, ids = campaign
        kpis = await _kpis(session, tenant, row)
        by = {item["creator_id"]: item for item in kpis["by_creator"]}
        a, b, c, d = (by[str(ids[key])] for key in "ABCD")
        assert (a["posts"], a["engagements"], a["cost"]) == (4, 1150 + 700 + 2300, "1250.00")
        assert a["engagement_rate"] == 4150 / (10_000 + 12_000 + 50_000)
        assert a["emv"] == "1190.00"
        assert (b["engagements"], b["engagement_rate"], b["cost"]) == (5660, None, "800.00")
        assert b["cpe"] == 800 / 5660
        assert (c["cost"], c["cpe"], c["emv"]) == (None, None, "20.00")
        assert (d["posts"], d["creators"], d["engagements"], d["cost"]) == (0, 0, None, "150.00")

    async def test_by_platform_splits_a_creators_cost_by_their_posts(self, session, campaign):
        kpis = await _kpis(session, *campaign[:2])
        by = {item["platform"]: item for item in kpis["by_platform"]}
        assert set(by) == {"instagram", "youtube", "tiktok", "x"}
        # A's 1,250.00 over A's four posts: three on Instagram, one on YouTube.
        assert by["instagram"]["cost"] == "937.50"
        assert by["youtube"]["cost"] == "312.50"
        assert by["tiktok"]["cost"] == "800.00"
        assert by["x"]["cost"] is None  # C's collaboration is declined
        assert by["instagram"]["engagements"] == 1850
        assert by["instagram"]["engagement_rate"] == 1850 / 22_000
        assert by["instagram"]["shares"] is None  # no Instagram post reports shares
        assert by["tiktok"]["likes"] == 5000


class TestGoals:
    async def test_half_way_through(self, session, campaign):
        goals = {g["metric"]: g for g in (await _kpis(session, *campaign[:2]))["goals"]}
        engagements = goals["engagements"]
        assert engagements["expected_progress"] == 0.5
        assert engagements["progress"] == 9940 / 20_000
        assert engagements["status"] == "behind"  # 0.497 < 0.5
        cpe = goals["cpe"]
        # A ratio of a ratio: equal to the last bit is not promised, 12 digits are.
        assert cpe["progress"] == pytest.approx(0.5 * 9940 / 2200, rel=1e-12)
        assert cpe["status"] == "on_track"  # under the bound, but the campaign runs on
        assert goals["posts"]["status"] == "achieved"
        rate = goals["engagement_rate"]  # 0.05707 > 0.05: over the bound
        assert rate["progress"] == pytest.approx(0.05 / (4280 / 75_000), rel=1e-12)
        assert rate["status"] == "on_track"  # 0.876 ≥ 0.5
        assert goals["revenue"]["actual"] is None
        assert goals["revenue"]["progress"] is None and goals["revenue"]["status"] is None

    async def test_once_the_campaign_has_ended(self, session, campaign):
        after = utc(2026, 11, 21)
        goals = {g["metric"]: g for g in (await _kpis(session, *campaign[:2], now=after))["goals"]}
        assert goals["engagements"]["expected_progress"] == 1.0
        assert goals["engagements"]["status"] == "behind"
        assert goals["cpe"]["status"] == "achieved"
        assert goals["engagement_rate"]["status"] == "behind"  # 0.876 < 1

    async def test_before_it_starts_and_on_its_last_day(self, session, campaign):
        early = await _kpis(session, *campaign[:2], now=utc(2026, 10, 1))
        assert early["goals"][0]["expected_progress"] == 0.0
        last_day = await _kpis(session, *campaign[:2], now=utc(2026, 11, 20, 12))
        assert last_day["goals"][0]["expected_progress"] == 19.5 / 20


class TestEndpoint:
    async def test_answers_the_same_figures(self, client, session, campaign):
        tenant, row, _ = campaign
        response = await client.get(f"/v1/campaigns/{row.id}/kpis", headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["campaign_id"] == str(row.id)
        assert body["currency"] == "USD"
        assert body["totals"]["engagements"] == 9940
        assert body["totals"]["cost"] == "2200.00"
        assert body["totals"]["cpe"] == 2200 / 9940
        assert body["goals"][1]["target"] == "0.5"

    async def test_an_empty_campaign_is_all_null_but_counts(self, client, session):
        tenant = await create_tenant(session, "Empty")
        row = await create_campaign(session, tenant.org_id)
        body = (
            await client.get(f"/v1/campaigns/{row.id}/kpis", headers=bearer(tenant.read))
        ).json()
        totals = body["totals"]
        assert (totals["posts"], totals["creators"]) == (0, 0)
        assert totals["engagements"] is None and totals["cost"] is None
        assert totals["emv"] is None and totals["disclosure_rate"] is None
        assert body["by_creator"] == [] and body["by_platform"] == []
        assert body["emv_rate_card_version"] == 0
        assert set(body["coverage"].values()) == {None}

    async def test_unknown_campaign_is_404(self, client, session):
        tenant = await create_tenant(session, "Lost")
        response = await client.get(
            "/v1/campaigns/0190f000-0000-7000-8000-000000000000/kpis",
            headers=bearer(tenant.read),
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


class TestEmvCurrency:
    async def test_a_card_in_another_currency_gives_no_emv(self, session, campaign):
        tenant, row, _ = campaign
        row.currency = "EUR"
        await session.commit()
        kpis = await _kpis(session, tenant, row)
        assert kpis["totals"]["emv"] is None
        assert kpis["totals"]["cost"] == "2200.00"


def test_window_is_whole_days_in_utc():
    from shared.metrics.campaign import CampaignTerms, campaign_window

    terms = CampaignTerms("USD", date(2026, 11, 1), date(2026, 11, 1), utc(2026, 10, 1), "active")
    start, end = campaign_window(terms)
    assert (start, end - start) == (utc(2026, 11, 1), timedelta(days=1))


class TestReport:
    async def test_one_row_per_post_and_the_totals(self, client, session, campaign):
        import csv
        import io

        tenant, row, ids = campaign
        response = await client.get(
            f"/v1/campaigns/{row.id}/report.csv", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        posts = [r for r in rows if r["row"] == "post"]
        assert len(posts) == 7 and rows[-1]["row"] == "total"
        assert {r["creator_id"] for r in posts} == {str(ids[key]) for key in "ABC"}
        by_engagements = sorted(int(r["engagements"]) for r in posts if r["engagements"])
        assert by_engagements == [60, 130, 700, 1150, 2300, 5600]
        first = next(r for r in posts if r["engagements"] == "1150")
        assert float(first["engagement_rate"]) == 1150 / 10_000
        assert (first["disclosure_required"], first["disclosure_compliant"]) == ("true", "true")
        p7 = next(r for r in posts if r["followers_at_post"] == "12000" and not r["likes"])
        assert p7["engagements"] == "" and p7["disclosure_reason"] == "missing"
        total = rows[-1]
        assert total["engagements"] == "9940" and total["likes"] == "8700"
        assert float(total["engagement_rate"]) == 4280 / 75_000
        assert float(total["disclosure_compliant"]) == 0.5

    async def test_text_a_spreadsheet_would_run_is_written_as_text(self, client, session):
        tenant = await create_tenant(session, "Csv")
        creator = await create_creator(session, tenant.org_id, name='=HYPERLINK("x")')
        account = await create_account(session, tenant.org_id, creator.id)
        row = await create_campaign(session, tenant.org_id)
        await create_post(session, account, campaign_id=row.id, likes=3)
        response = await client.get(
            f"/v1/campaigns/{row.id}/report.csv", headers=bearer(tenant.read)
        )
        assert "'=HYPERLINK" in response.text

    async def test_another_organizations_campaign_is_404(self, client, session, campaign):
        _, row, _ = campaign
        intruder = await create_tenant(session, "Intruder")
        response = await client.get(
            f"/v1/campaigns/{row.id}/report.csv", headers=bearer(intruder.read)
        )
        assert response.status_code == 404
