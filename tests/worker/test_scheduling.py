"""What the scheduler claims, how it groups it, and how batches wait for their budget."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shared.budget import Budget
from shared.domain.post import ingest
from shared.models import Post
from shared.platforms.base import Platform
from shared.platforms.instagram import InstagramAdapter
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_creator,
    create_tenant,
    update_posts,
)
from tests.fakes import ScriptedAdapter
from tests.worker.posts import due_posts, run_batch, schedule, stats_for


async def _leased(session, post_ids) -> int:
    return await session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.id.in_(post_ids), Post.lease_until.is_not(None))
    )


class TestGrouping:
    async def test_one_token_serving_two_pages_never_mixes_them(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        pages = [
            await create_account(
                session,
                tenant.org_id,
                creator.id,
                platform="linkedin",
                handle=f"page-{n}",
                credential_key="one-member-token",
                params_key=f"org-{n}",
            )
            for n in (1, 2)
        ]
        for page in pages:
            await due_posts(session, page, 3, platform="linkedin")
        batches = await schedule(worker_ctx, session)
        assert sorted((b.params_key, len(b.post_ids)) for b in batches) == [
            ("org-1", 3),
            ("org-2", 3),
        ]
        # Both still spend the one token's budget.
        assert {b.bucket for b in batches} == {"one-member-token"}

    def test_a_meta_batch_fits_the_bucket_it_is_charged_to(self, settings):
        # Two calls a post against a burst of 50: 25 posts a batch, never a batch that waits on
        # a cost the bucket can never hold.
        adapter = InstagramAdapter(None, settings)
        assert ingest.batch_size(adapter, settings) == 25
        assert adapter.quota_cost(25) == 50


class TestCharging:
    async def test_a_batch_is_charged_what_it_spends(self, worker_ctx, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, platform="x")
        await due_posts(session, account, 10, platform="x")
        clock = [1_000_000.0]
        worker_ctx["budget"] = Budget(redis, worker_ctx["settings"], clock=lambda: clock[0])
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, max_batch=100, stats=[stats_for], cost_per_post=2
        )
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 10, gone 0"
        # X's bucket holds 58 (3,500 / 60); 20 of them are spent, so 38 remain, and no more.
        assert await worker_ctx["budget"].take("x", "app", 38) == 0.0
        assert await worker_ctx["budget"].take("x", "app", 1) > 0


class TestFairness:
    async def test_a_tenant_with_many_due_posts_does_not_starve_another(self, worker_ctx, session):
        big, small = await create_tenant(session, "Big"), await create_tenant(session, "Small")
        accounts = []
        for tenant in (big, small):
            creator = await create_creator(session, tenant.org_id)
            accounts.append(await create_account(session, tenant.org_id, creator.id))
        await due_posts(session, accounts[0], 30)
        small_posts = await due_posts(session, accounts[1], 3)
        worker_ctx["settings"].scheduler_batch_limit = 10
        batches = await schedule(worker_ctx, session)
        claimed = {b.org_id: len(b.post_ids) for b in batches}
        # Half the limit each; the small tenant's three all go in the first tick.
        assert claimed == {big.org_id: 5, small.org_id: 3}
        assert await _leased(session, [p.id for p in small_posts]) == 3


class TestExpiredCredentialPosts:
    async def test_leave_the_due_set_until_new_credentials_arrive(
        self, worker_ctx, session, client
    ):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="x", credential_key="old"
        )
        posts = await due_posts(session, account, 4, platform="x")
        from shared.platforms.base import AuthExpired

        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, max_batch=100, stats=[AuthExpired("x: token revoked")]
        )
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "auth_expired"
        paused = await session.scalars(select(Post.status).where(Post.account_id == account.id))
        assert set(paused) == {"paused"}
        # Due again by the clock, yet the claim does not even look at them.
        await update_posts(
            session,
            Post.__table__.update().values(next_refresh_at=datetime.now(UTC) - timedelta(hours=1)),
        )
        assert await schedule(worker_ctx, session) == []

        response = await client.put(
            f"/v1/accounts/{account.id}/credentials",
            json={"access_token": "fresh-token"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 200
        [resumed] = await schedule(worker_ctx, session)
        assert set(resumed.post_ids) == {p.id for p in posts}
        assert resumed.credential_key != "old"


class TestArchiving:
    async def test_archiving_a_campaign_stops_its_posts_and_unarchiving_resumes_them(
        self, worker_ctx, session, client
    ):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        campaign = await create_campaign(session, tenant.org_id, status="active")
        posts = await due_posts(session, account, 2, campaign_id=campaign.id)
        headers = bearer(tenant.admin)
        assert (await client.delete(f"/v1/campaigns/{campaign.id}", headers=headers)).is_success
        assert await schedule(worker_ctx, session) == []
        shown = (await client.get(f"/v1/posts/{posts[0].id}", headers=headers)).json()
        assert (shown["status"], shown["status_detail"]) == ("stopped", "its campaign is archived")

        response = await client.patch(
            f"/v1/campaigns/{campaign.id}", json={"status": "active"}, headers=headers
        )
        assert response.status_code == 200
        [batch] = await schedule(worker_ctx, session)
        assert set(batch.post_ids) == {p.id for p in posts}

    async def test_archiving_a_creator_stops_their_posts(self, worker_ctx, session, client):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        await due_posts(session, account, 2)
        response = await client.delete(f"/v1/creators/{creator.id}", headers=bearer(tenant.admin))
        assert response.is_success
        assert await schedule(worker_ctx, session) == []
        await session.refresh(account)
        assert (account.sync_status, account.next_sync_at) == ("archived", None)


class TestWaitingForBudget:
    async def test_waiting_batches_reserve_their_turn_in_order(self, worker_ctx, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, platform="x")
        posts = await due_posts(session, account, 3, platform="x")
        clock = [1_000_000.0]
        budget = Budget(redis, worker_ctx["settings"], clock=lambda: clock[0])
        worker_ctx["budget"] = budget
        adapter = ScriptedAdapter(Platform.x, max_batch=1, stats=[])
        worker_ctx["adapters"][Platform.x] = adapter
        await budget.reserve("x", "app", 58, max_wait_s=0)  # the whole burst is spent
        batches = await schedule(worker_ctx, session)
        assert len(batches) == 3
        answers = [await run_batch(worker_ctx, batch) for batch in batches]
        # X refills a call every 900 / 3,500 s: each batch is given the next one in turn.
        step = 900 / 3500
        assert answers == [f"reserved; runs in {round(step * n, 1)}s" for n in (1, 2, 3)]
        assert adapter.calls == []
        # They wait leased, out of the due set: the next tick claims nothing, rewrites nothing.
        assert await schedule(worker_ctx, session) == []
        assert await _leased(session, [p.id for p in posts]) == 3
        queued = await redis.zcard("arq:queue")
        assert queued == 3
