"""The organization's engagement benchmarks (docs/vetting.md, "Benchmarks"): the cited defaults,
overrides replaced as a whole, strict validation that changes nothing."""

import pytest
from sqlalchemy import func, select

from shared.domain.vetting import service as vetting_service
from shared.domain.vetting.benchmarks import DEFAULTS
from shared.metrics.tiers import Tier
from shared.models import EngagementBenchmark
from shared.platforms.base import Platform
from tests.factories import bearer, create_tenant

URL = "/v1/organization/benchmarks"
ROW = {
    "platform": "instagram",
    "tier": "micro",
    "engagement_rate": 0.021,
    "definition": "engagements/followers",
    "source": "our 2026 campaigns: median of 340 micro creators",
}


async def _put(client, tenant, rows):
    return await client.put(URL, json={"benchmarks": rows}, headers=bearer(tenant.admin))


async def _effective(client, tenant) -> dict[tuple[str, str], dict]:
    response = await client.get(URL, headers=bearer(tenant.read))
    assert response.status_code == 200, response.text
    return {(r["platform"], r["tier"]): r for r in response.json()["benchmarks"]}


async def _stored(session, org_id) -> list[tuple]:
    rows = await session.execute(
        select(
            EngagementBenchmark.platform,
            EngagementBenchmark.tier,
            EngagementBenchmark.engagement_rate,
            EngagementBenchmark.definition,
            EngagementBenchmark.source,
        )
        .where(EngagementBenchmark.org_id == org_id)
        .order_by(EngagementBenchmark.platform, EngagementBenchmark.tier)
    )
    return [tuple(row) for row in rows]


class TestDefaults:
    async def test_every_platform_and_tier_with_its_source(self, client, session):
        tenant = await create_tenant(session)
        response = await client.get(URL, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        rows = response.json()["benchmarks"]
        # 8 platforms x 6 tiers, platforms in Platform's order, tiers from the smallest.
        assert len(rows) == len(Platform) * len(Tier) == 48
        assert [(r["platform"], r["tier"]) for r in rows[:6]] == [
            ("instagram", t) for t in ("emerging", "nano", "micro", "mid", "macro", "mega")
        ]
        assert not any(r["custom"] for r in rows)
        assert all(r["source"] and r["definition"] and 0 < r["engagement_rate"] <= 1 for r in rows)

    async def test_cited_values(self, client, session):
        tenant = await create_tenant(session)
        rows = await _effective(client, tenant)
        nano = rows[("instagram", "nano")]
        assert nano["engagement_rate"] == 0.0278
        assert nano["definition"] == "(likes+comments)/followers"
        assert nano["source"].startswith("HypeAuditor State of Influencer Marketing 2023")
        assert rows[("tiktok", "nano")]["engagement_rate"] == 0.126
        assert rows[("tiktok", "mega")]["engagement_rate"] == 0.037
        # Interpolated: 12.6 % x ((3.7 / 12.6) ** (1 / 4)) ** 2 = 6.83 %, said so in the source.
        assert rows[("tiktok", "mid")]["engagement_rate"] == 0.0683
        assert rows[("tiktok", "mid")]["source"].startswith("Interpolated")
        # Derived: 2 x 2.78 % (Markerly's <1K to 1-10K ratio).
        assert rows[("instagram", "emerging")]["engagement_rate"] == 0.0556
        assert rows[("instagram", "emerging")]["source"].startswith("Derived")
        assert "stand-in" in rows[("linkedin", "micro")]["source"]
        assert rows[("demo", "micro")]["definition"] == "engagements/followers"


class TestReplace:
    async def test_overrides_replace_their_pair_only(self, client, session):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, [ROW])
        assert response.status_code == 200, response.text
        rows = {(r["platform"], r["tier"]): r for r in response.json()["benchmarks"]}
        assert rows[("instagram", "micro")] == {**ROW, "custom": True}
        assert rows[("instagram", "mid")]["custom"] is False
        assert rows[("instagram", "mid")]["engagement_rate"] == 0.0158
        assert await _effective(client, tenant) == rows
        # What vetting compares with from the next sync on.
        used = await vetting_service.benchmark_for(session, tenant.org_id, "instagram", "micro")
        assert used is not None and used.engagement_rate == 0.021

    async def test_a_put_replaces_the_whole_list(self, client, session):
        tenant = await create_tenant(session)
        assert (await _put(client, tenant, [ROW])).status_code == 200
        tiktok = {"platform": "tiktok", "tier": "nano", "engagement_rate": 0.09}
        response = await _put(client, tenant, [tiktok])
        assert response.status_code == 200, response.text
        rows = await _effective(client, tenant)
        # instagram/micro is the default again; the definition and source defaults apply.
        assert rows[("instagram", "micro")]["custom"] is False
        assert rows[("tiktok", "nano")] == {
            **tiktok,
            "definition": "engagements/followers",
            "source": "organization",
            "custom": True,
        }
        assert await _stored(session, tenant.org_id) == [
            ("tiktok", "nano", 0.09, "engagements/followers", "organization")
        ]

    async def test_an_empty_list_restores_the_defaults(self, client, session):
        tenant = await create_tenant(session)
        assert (await _put(client, tenant, [ROW])).status_code == 200
        response = await _put(client, tenant, [])
        assert response.status_code == 200, response.text
        assert not any(r["custom"] for r in response.json()["benchmarks"])
        assert await _stored(session, tenant.org_id) == []
        rate = (await _effective(client, tenant))[("instagram", "micro")]["engagement_rate"]
        assert rate == DEFAULTS[("instagram", "micro")].engagement_rate

    async def test_text_is_stored_stripped(self, client, session):
        tenant = await create_tenant(session)
        row = {**ROW, "definition": " engagements/views ", "source": "  ours\n"}
        assert (await _put(client, tenant, [row])).status_code == 200
        [stored] = await _stored(session, tenant.org_id)
        assert stored[3:] == ("engagements/views", "ours")

    async def test_a_rate_of_one_is_allowed(self, client, session):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, [{**ROW, "engagement_rate": 1}])
        assert response.status_code == 200, response.text

    async def test_read_and_write_keys_cannot_replace(self, client, session):
        tenant = await create_tenant(session)
        for key in (tenant.read, tenant.write):
            response = await client.put(URL, json={"benchmarks": [ROW]}, headers=bearer(key))
            assert response.status_code == 403, response.text
            assert response.headers["content-type"] == "application/problem+json"
        assert await _stored(session, tenant.org_id) == []

    async def test_no_key_is_401(self, client):
        response = await client.get(URL)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


class TestValidation:
    @pytest.mark.parametrize(
        ("rows", "loc"),
        [
            ([{**ROW, "platform": "snapchat"}], ["body", "benchmarks", 0, "platform"]),
            ([{**ROW, "tier": "giga"}], ["body", "benchmarks", 0, "tier"]),
            ([{**ROW, "engagement_rate": 0}], ["body", "benchmarks", 0, "engagement_rate"]),
            ([{**ROW, "engagement_rate": -0.1}], ["body", "benchmarks", 0, "engagement_rate"]),
            ([{**ROW, "engagement_rate": 1.5}], ["body", "benchmarks", 0, "engagement_rate"]),
            ([{**ROW, "engagement_rate": "high"}], ["body", "benchmarks", 0, "engagement_rate"]),
            ([{**ROW, "engagement_rate": None}], ["body", "benchmarks", 0, "engagement_rate"]),
            ([{k: v for k, v in ROW.items() if k != "tier"}], ["body", "benchmarks", 0, "tier"]),
            ([{**ROW, "weight": 2}], ["body", "benchmarks", 0, "weight"]),
            ([{**ROW, "definition": ""}], ["body", "benchmarks", 0, "definition"]),
            ([{**ROW, "definition": "x" * 41}], ["body", "benchmarks", 0, "definition"]),
            ([{**ROW, "source": ""}], ["body", "benchmarks", 0, "source"]),
            ([{**ROW, "source": "   "}], ["body", "benchmarks", 0, "source"]),
            ([{**ROW, "source": "a\x00b"}], ["body", "benchmarks", 0, "source"]),
            ([{**ROW, "definition": "by\x00views"}], ["body", "benchmarks", 0, "definition"]),
            # The same pair twice, even with another rate.
            ([ROW, {**ROW, "engagement_rate": 0.03}], ["body"]),
        ],
    )
    async def test_bad_rows_are_422_and_change_nothing(self, client, session, rows, loc):
        tenant = await create_tenant(session)
        assert (await _put(client, tenant, [ROW])).status_code == 200
        before = await _stored(session, tenant.org_id)
        response = await _put(client, tenant, rows)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert loc in [error["loc"] for error in problem["errors"]], problem
        assert await _stored(session, tenant.org_id) == before

    async def test_the_duplicate_is_named(self, client, session):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, [ROW, ROW])
        assert response.status_code == 422
        assert "instagram/micro is given more than once" in response.text

    @pytest.mark.parametrize("body", [[], {"rows": []}, {}, "benchmarks", None])
    async def test_a_body_not_of_the_shape_is_422(self, client, session, body):
        tenant = await create_tenant(session)
        response = await client.put(URL, json=body, headers=bearer(tenant.admin))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        count = select(func.count()).select_from(EngagementBenchmark)
        assert await session.scalar(count.where(EngagementBenchmark.org_id == tenant.org_id)) == 0

    async def test_not_json_is_422(self, client, session):
        tenant = await create_tenant(session)
        headers = {**bearer(tenant.admin), "content-type": "application/json"}
        response = await client.put(URL, content=b"{not json", headers=headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
