"""Tenancy of the engagement benchmarks: one organization's overrides are its own; another's
GET never shows them, its PUT never changes them, and vetting reads each organization's
benchmarks only. WALKED names the (method, OpenAPI path) pairs proven here, which
test_tenancy.py's test_every_route_is_walked counts as covered."""

import pytest

from shared.domain.vetting import service as vetting_service
from shared.models import EngagementBenchmark
from tests.factories import bearer, create_tenant, org_rows

URL = "/v1/organization/benchmarks"
WALKED: set[tuple[str, str]] = {("GET", URL), ("PUT", URL)}
A_ROW = {"platform": "instagram", "tier": "micro", "engagement_rate": 0.021, "source": "A's"}


@pytest.fixture
async def world(client, session):
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    response = await client.put(URL, json={"benchmarks": [A_ROW]}, headers=bearer(a.admin))
    assert response.status_code == 200, response.text
    return a, b


class TestBenchmarkTenancy:
    async def test_another_organization_reads_its_defaults(self, client, session, world):
        a, b = world
        response = await client.get(URL, headers=bearer(b.read))
        assert response.status_code == 200
        rows = {(r["platform"], r["tier"]): r for r in response.json()["benchmarks"]}
        assert not any(r["custom"] for r in rows.values())
        assert rows[("instagram", "micro")]["engagement_rate"] == 0.0158

    async def test_another_organizations_put_changes_only_its_own(self, client, session, world):
        a, b = world
        before = await org_rows(session, a.org_id, (EngagementBenchmark,))
        for rows in ([{**A_ROW, "engagement_rate": 0.5, "source": "B's"}], []):
            response = await client.put(URL, json={"benchmarks": rows}, headers=bearer(b.admin))
            assert response.status_code == 200, response.text
        assert await org_rows(session, a.org_id, (EngagementBenchmark,)) == before
        mine = (await client.get(URL, headers=bearer(a.read))).json()["benchmarks"]
        assert [r for r in mine if r["custom"]] == [
            {**A_ROW, "definition": "engagements/followers", "custom": True}
        ]

    async def test_vetting_reads_each_organizations_own(self, session, world):
        a, b = world
        for tenant, expected in ((a, 0.021), (b, 0.0158)):
            used = await vetting_service.benchmark_for(session, tenant.org_id, "instagram", "micro")
            assert used is not None and used.engagement_rate == expected
