from datetime import UTC, datetime, timedelta

import pytest
from arq import Retry
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from shared.budget import Budget
from shared.domain.post.ingest_repository import IngestRepository
from shared.models import CampaignKpiSnapshot, CreatorAccount, Post
from shared.platforms.base import AuthExpired, Platform, RateLimited
from shared.platforms.demo import DemoAdapter, post_stats_at
from tests.factories import (
    create_account,
    create_campaign,
    create_creator,
    create_tenant,
    update_posts,
)
from tests.fakes import ScriptedAdapter
from tests.worker.conftest import NOW, run_burst
from tests.worker.posts import due_posts, run_batch, schedule, snapshot_count, stats_for


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id, handle="ada")
    campaign = await create_campaign(session, tenant.org_id)
    return tenant, creator, account, campaign


class TestScheduling:
    async def test_groups_by_platform_and_credential_in_max_batch_chunks(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        x1 = await create_account(
            session, tenant.org_id, creator.id, platform="x", handle="one", credential_key="k1"
        )
        x2 = await create_account(
            session, tenant.org_id, creator.id, platform="x", handle="two", credential_key="k2"
        )
        await due_posts(session, x1, 130, platform="x")
        await due_posts(session, x2, 3, platform="x")
        batches = await schedule(worker_ctx, session)
        sizes = sorted((b.credential_key, len(b.post_ids)) for b in batches)
        assert sizes == [("k1", 30), ("k1", 100), ("k2", 3)]
        assert len({b.job_id for b in batches}) == 3
        # Claimed posts are leased: a second tick finds nothing due.
        assert await schedule(worker_ctx, session) == []

    async def test_duplicate_batch_is_one_job(self, worker_ctx, session, redis, world):
        _, _, account, _ = world
        await due_posts(session, account, 2)
        [batch] = await schedule(worker_ctx, session)
        from shared.jobs import JobQueue

        queue = JobQueue()
        batch.defer(queue)
        batch.defer(queue)
        assert len(await queue.flush(redis)) == 1


class TestRefreshPosts:
    async def test_writes_snapshots_latest_counts_and_cadence(self, worker_ctx, session, world):
        _, _, account, campaign = world
        posts = await due_posts(session, account, 3, campaign_id=campaign.id)
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 3, gone 0"
        assert await snapshot_count(session, [p.id for p in posts]) == 3
        post = posts[1]
        await session.refresh(post)
        expected = post_stats_at("ada", 1, NOW)
        assert (post.views, post.likes, post.saves) == (
            expected.views,
            expected.likes,
            expected.saves,
        )
        assert post.next_refresh_at - post.last_refreshed_at == timedelta(seconds=180)

    async def test_same_job_twice_writes_no_duplicates(self, worker_ctx, session, world):
        _, _, account, _ = world
        posts = await due_posts(session, account, 2)
        [batch] = await schedule(worker_ctx, session)
        await run_batch(worker_ctx, batch)
        assert await run_batch(worker_ctx, batch) == "nothing to do"
        assert await snapshot_count(session, [p.id for p in posts]) == 2

    async def test_missing_twice_is_gone(self, worker_ctx, session, world):
        _, _, account, _ = world
        [post] = await due_posts(session, account, 1)
        worker_ctx["adapters"][Platform.demo] = ScriptedAdapter(stats=[{}, {}])
        for expected_status, expected_missing in (("tracking", 1), ("gone", 2)):
            await update_posts(
                session,
                Post.__table__.update()
                .where(Post.id == post.id)
                .values(next_refresh_at=datetime.now(UTC) - timedelta(seconds=1)),
            )
            [batch] = await schedule(worker_ctx, session)
            await run_batch(worker_ctx, batch)
            await session.refresh(post)
            assert (post.status, post.missing_count) == (expected_status, expected_missing)
        assert post.next_refresh_at is None

    async def test_failure_after_platform_call_leaves_nothing_and_retries(
        self, worker_ctx, session, world, monkeypatch
    ):
        _, _, account, _ = world
        posts = await due_posts(session, account, 2)
        [batch] = await schedule(worker_ctx, session)
        original = IngestRepository.write_refreshes

        async def connection_drops(self, *args, **kwargs):
            raise OperationalError("UPDATE post", {}, ConnectionResetError("connection reset"))

        monkeypatch.setattr(IngestRepository, "write_refreshes", connection_drops)
        with pytest.raises(Retry):
            await run_batch(worker_ctx, batch)
        # The batch's one transaction left no trace.
        assert await snapshot_count(session, [p.id for p in posts]) == 0
        await session.refresh(posts[0])
        assert posts[0].last_refreshed_at is None
        monkeypatch.setattr(IngestRepository, "write_refreshes", original)
        assert await run_batch(worker_ctx, batch) == "refreshed 2, gone 0"
        assert await snapshot_count(session, [p.id for p in posts]) == 2

    async def test_kpis_marked_once_per_campaign_window(self, worker_ctx, session, redis, world):
        _, _, account, campaign = world
        await due_posts(session, account, 2, campaign_id=campaign.id)
        [batch] = await schedule(worker_ctx, session)
        await run_batch(worker_ctx, batch)
        keys = await redis.keys("arq:job:campaign.recompute_kpis:*")
        assert [k.decode() for k in keys] == [
            f"arq:job:campaign.recompute_kpis:{campaign.id}:"
            f"{int(datetime.now(UTC).timestamp() // 60)}"
        ]


class TestThrottling:
    async def test_pauses_then_resumes_with_nothing_lost(self, worker_ctx, session, redis, world):
        _, _, account, _ = world
        posts = await due_posts(session, account, 3)
        clock = [1_000_000.0]
        worker_ctx["budget"] = Budget(redis, worker_ctx["settings"], clock=lambda: clock[0])
        worker_ctx["adapters"][Platform.demo] = ScriptedAdapter(
            stats=[RateLimited("slow down", retry_after_s=120, platform="demo"), stats_for]
        )
        [batch] = await schedule(worker_ctx, session)
        assert (await run_batch(worker_ctx, batch)).startswith("postponed 120")
        assert await worker_ctx["budget"].paused_for("demo", "app") == 120
        await session.refresh(posts[0])
        assert (
            timedelta(seconds=110)
            < posts[0].next_refresh_at - datetime.now(UTC)
            <= timedelta(seconds=120)
        )
        assert await snapshot_count(session, [p.id for p in posts]) == 0
        # Two minutes later the bucket is open again and the same posts are refreshed.
        clock[0] += 121
        await update_posts(
            session,
            Post.__table__.update()
            .where(Post.id.in_([p.id for p in posts]))
            .values(next_refresh_at=datetime.now(UTC) - timedelta(seconds=1)),
        )
        [again] = await schedule(worker_ctx, session)
        assert set(again.post_ids) == {p.id for p in posts}
        assert await run_batch(worker_ctx, again) == "refreshed 3, gone 0"
        assert await snapshot_count(session, [p.id for p in posts]) == 3

    async def test_empty_bucket_postpones_without_calling(self, worker_ctx, session, redis, world):
        _, _, account, _ = world
        await due_posts(session, account, 1)
        adapter = ScriptedAdapter(stats=[stats_for])
        worker_ctx["adapters"][Platform.demo] = adapter
        await worker_ctx["budget"].pause("demo", "app", 30)
        [batch] = await schedule(worker_ctx, session)
        assert (await run_batch(worker_ctx, batch)).startswith("postponed")
        assert adapter.calls == []


class TestExpiredCredential:
    async def test_stops_only_its_own_work(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        dead = await create_account(
            session,
            tenant.org_id,
            creator.id,
            platform="x",
            handle="dead",
            credential_key="dead-key",
        )
        alive = await create_account(
            session,
            tenant.org_id,
            creator.id,
            platform="x",
            handle="alive",
            credential_key="live-key",
        )
        dead_posts = await due_posts(session, dead, 2, platform="x")
        alive_posts = await due_posts(session, alive, 2, platform="x")
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x,
            max_batch=100,
            stats=[AuthExpired("x: token revoked", platform="x"), stats_for],
        )
        batches = {b.credential_key: b for b in await schedule(worker_ctx, session)}
        assert await run_batch(worker_ctx, batches["dead-key"]) == "auth_expired"
        assert await run_batch(worker_ctx, batches["live-key"]) == "refreshed 2, gone 0"
        await session.refresh(dead)
        await session.refresh(alive)
        assert (dead.sync_status, alive.sync_status) == ("auth_expired", "pending")
        assert await snapshot_count(session, [p.id for p in dead_posts]) == 0
        assert await snapshot_count(session, [p.id for p in alive_posts]) == 2
        # Once the lease runs out, the scheduler still skips the dead credential's posts.
        await update_posts(
            session,
            Post.__table__.update().values(
                next_refresh_at=datetime.now(UTC) - timedelta(seconds=1)
            ),
        )
        rescheduled = await schedule(worker_ctx, session)
        assert {b.credential_key for b in rescheduled} == {"live-key"}
        account = await session.get(CreatorAccount, dead.id)
        assert "revoked" in account.sync_error


class TestWorkerEndToEnd:
    async def test_burst_worker_refreshes_due_posts(self, worker_ctx, session, redis, world):
        _, _, account, campaign = world
        posts = await due_posts(session, account, 60, campaign_id=campaign.id)
        # The real clock: by today the demo account has published all 60 of these posts.
        worker_ctx["adapters"][Platform.demo] = DemoAdapter()
        # The KPI recomputation the batches request runs at the end of its debounce window,
        # which the burst worker waits out: a one-second window keeps the test short.
        worker_ctx["settings"] = worker_ctx["settings"].model_copy(update={"kpi_debounce_s": 1})
        from services.worker.jobs.posts import schedule_post_refreshes

        assert await schedule_post_refreshes(worker_ctx) == 2  # 60 demo posts, max_batch 50
        worker = await run_burst(worker_ctx, redis)
        assert worker.jobs_failed == 0
        assert await snapshot_count(session, [p.id for p in posts]) == 60
        kpis = await session.scalar(
            select(CampaignKpiSnapshot).where(CampaignKpiSnapshot.campaign_id == campaign.id)
        )
        assert kpis is not None and kpis.totals["posts"] == 60
        refreshed = await session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.account_id == account.id, Post.last_refreshed_at.is_not(None))
        )
        assert refreshed == 60
