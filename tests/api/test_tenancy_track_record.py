"""Tenancy of the track record: one organization can neither read another's creator's record
nor change it by refreshing, nor count its campaigns, posts or conversions in its own. WALKED
names the (method, OpenAPI path) pairs proven here, which test_tenancy.py's
test_every_route_is_walked counts as covered."""

from datetime import date
from decimal import Decimal

import pytest

from services.worker.jobs import campaigns as campaign_jobs
from shared.db import reads_in
from shared.domain.post.ingest import RecomputeKpis
from shared.domain.track_record import service as track_record_service
from shared.models import Campaign, Collaboration, Creator, Post
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_post,
    create_tenant,
    org_rows,
    utc,
)

WALKED: set[tuple[str, str]] = {("GET", "/v1/creators/{id}/track-record")}
NOW = utc(2026, 12, 1)
MODELS = (Creator, Campaign, Collaboration, Post)


@pytest.fixture
async def world(session):
    """A's creator Ada on A's ended campaign with a post (100 likes) and a fee of 10.00; B's
    creator Bo on B's campaign."""
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    rows = {}
    for tenant, name in ((a, "Ada"), (b, "Bo")):
        creator = await create_creator(session, tenant.org_id, name=name)
        campaign = await create_campaign(
            session, tenant.org_id, name=f"{name}'s", status="completed",
            starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31),
        )  # fmt: skip
        account = await create_account(session, tenant.org_id, creator.id, handle=name.lower())
        await create_post(session, account, campaign_id=campaign.id, likes=100)
        await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, fee=Decimal("10.00")
        )
        rows[name] = (creator, campaign)
    return a, b, rows


class TestTrackRecordTenancy:
    async def test_a_foreign_creator_is_404_like_an_unknown_one(self, client, session, world):
        a, b, rows = world
        ada, _ = rows["Ada"]
        before = await org_rows(session, a.org_id, MODELS)
        foreign = await client.get(f"/v1/creators/{ada.id}/track-record", headers=bearer(b.admin))
        assert foreign.status_code == 404, foreign.text
        unknown = await client.get(
            "/v1/creators/0192f9d0-0000-7000-8000-000000000000/track-record",
            headers=bearer(b.admin),
        )
        assert unknown.status_code == 404
        assert foreign.json()["detail"].split()[0] == unknown.json()["detail"].split()[0]
        assert await org_rows(session, a.org_id, MODELS) == before
        own = await client.get(f"/v1/creators/{ada.id}/track-record", headers=bearer(a.read))
        assert own.status_code == 200
        assert [c["name"] for c in own.json()["campaigns"]] == ["Ada's"]

    async def test_refreshing_another_organizations_creator_writes_nothing(self, session, world):
        a, b, rows = world
        ada, _ = rows["Ada"]
        before = await org_rows(session, a.org_id, MODELS)
        assert await track_record_service.refresh(session, b.org_id, [ada.id], now=NOW) == 0
        await session.commit()
        assert await org_rows(session, a.org_id, MODELS) == before

    async def test_a_recompute_under_another_organization_is_gone(
        self, session, sessionmaker, redis, world
    ):
        a, b, rows = world
        _, campaign = rows["Ada"]
        before = await org_rows(session, a.org_id, MODELS)
        ctx = {"sessionmaker": sessionmaker, "redis": redis}
        payload = RecomputeKpis(org_id=b.org_id, campaign_id=campaign.id).dump()
        assert await campaign_jobs.recompute_kpis(ctx, payload) == "gone"
        assert await org_rows(session, a.org_id, MODELS) == before

    async def test_a_record_counts_only_its_own_organizations_rows(self, session, world):
        """Bo's campaign, post and fee are B's: A's Ada is on one campaign, one post, 10.00."""
        a, b, rows = world
        ada, _ = rows["Ada"]
        record = await track_record_service.get(await reads_in(session), a.org_id, ada.id, now=NOW)
        totals = record["totals"]
        assert (totals["campaigns"], totals["posts"], totals["engagements"]) == (1, 1, 100)
        assert [(m["currency"], m["cost"]) for m in totals["money"]] == [("USD", "10.00")]
