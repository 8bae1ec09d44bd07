"""The debounced KPI job, and the age-normalized engagements the batch write keeps on posts."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.worker.jobs import campaigns as campaign_jobs
from shared.domain.post.ingest import RecomputeKpis
from shared.domain.post.ingest_repository import IngestRepository, ages_from_history
from shared.models import CampaignKpiSnapshot, PostSnapshot
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_creator,
    create_post,
    create_tenant,
    utc,
)

PUBLISHED = utc(2026, 11, 1, 12)


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session, "Jobs")
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id)
    campaign = await create_campaign(session, tenant.org_id)
    return tenant, account, campaign


class TestRecomputeKpis:
    async def test_stores_a_snapshot_and_is_safe_to_run_twice(self, worker_ctx, session, world):
        tenant, account, campaign = world
        await create_post(session, account, campaign_id=campaign.id, likes=40, comments=2)
        payload = RecomputeKpis(org_id=tenant.org_id, campaign_id=campaign.id).dump()
        assert await campaign_jobs.recompute_kpis(worker_ctx, payload) == "recorded"
        assert await campaign_jobs.recompute_kpis(worker_ctx, payload) == "recorded"
        rows = (
            await session.scalars(
                select(CampaignKpiSnapshot).where(CampaignKpiSnapshot.campaign_id == campaign.id)
            )
        ).all()
        assert [row.totals["engagements"] for row in rows] == [42, 42]
        assert rows[0].emv_rate_card_version == 0

    async def test_a_deleted_campaign_is_skipped(self, worker_ctx, session, world):
        tenant, _, campaign = world
        await session.delete(campaign)
        await session.commit()
        payload = RecomputeKpis(org_id=tenant.org_id, campaign_id=campaign.id).dump()
        assert await campaign_jobs.recompute_kpis(worker_ctx, payload) == "gone"
        count = await session.scalar(select(func.count()).select_from(CampaignKpiSnapshot))
        assert count == 0


async def _refresh(session, post, at, likes):
    """One batch write at `at`, as the ingestion does it: latest counts, then the snapshot."""
    lease = at + timedelta(minutes=4)
    post.lease_until = lease
    await session.commit()
    repository = IngestRepository(session, post.org_id)
    row = {"id": post.id, "views": None, "impressions": None, "reach": None, "likes": likes,
           "comments": None, "shares": None, "saves": None, "clicks": None,
           "watch_time_seconds": None, "next_refresh_at": at + timedelta(hours=1)}  # fmt: skip
    assert await repository.write_refresh(at, lease, [row]) == {post.id}
    await session.commit()
    await session.refresh(post)


# (hours after publishing, likes): 24 h ± 2.4 h and 7 d ± 16.8 h are the windows.
REFRESHES = [(20, 200), (22, 220), (25, 250), (26, 260), (7 * 24 - 10, 700), (7 * 24 + 2, 720)]


class TestAgeNormalized:
    async def test_the_refresh_nearest_each_age_within_a_tenth_of_it(self, session, world):
        _, account, campaign = world
        post = await create_post(session, account, campaign_id=campaign.id, published_at=PUBLISHED)
        for hours, likes in REFRESHES:
            await _refresh(session, post, PUBLISHED + timedelta(hours=hours), likes)
        # 20 h is outside 24 h's window; 25 h is the nearest (1 h off) of 22, 25 and 26 h.
        assert (post.engagements_24h, post.engagements_24h_at) == (
            250,
            PUBLISHED + timedelta(hours=25),
        )
        # 7 d + 2 h is nearer than 7 d − 10 h.
        assert post.engagements_7d == 720
        assert post.engagements_30d is None and post.engagements_30d_at is None

    async def test_on_the_post_resource(self, client, session, world):
        tenant, account, campaign = world
        post = await create_post(
            session, account, campaign_id=campaign.id, published_at=PUBLISHED,
            followers_at_post=1000,
        )  # fmt: skip
        await _refresh(session, post, PUBLISHED + timedelta(hours=24), 50)
        body = (await client.get(f"/v1/posts/{post.id}", headers=bearer(tenant.read))).json()
        assert (body["engagements_24h"], body["engagement_rate_24h"]) == (50, 50 / 1000)
        assert (body["engagements_7d"], body["engagement_rate_7d"]) == (None, None)
        assert body["latest"]["engagement_rate_by_views"] is None  # no views reported

    async def test_learned_later_from_the_history(self, session, world):
        _, account, campaign = world
        post = await create_post(session, account, campaign_id=campaign.id)
        for hours, likes in REFRESHES:
            await _refresh(session, post, PUBLISHED + timedelta(hours=hours), likes)
        assert post.engagements_24h is None  # no publish time yet
        post.published_at = PUBLISHED
        await session.commit()
        await ages_from_history(session, post.org_id, [post.id])
        await session.commit()
        await session.refresh(post)
        assert (post.engagements_24h, post.engagements_7d, post.engagements_30d) == (
            250,
            720,
            None,
        )
        count = await session.scalar(
            select(func.count()).select_from(PostSnapshot).where(PostSnapshot.post_id == post.id)
        )
        assert count == len(REFRESHES)
