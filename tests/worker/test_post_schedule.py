"""post_schedule, the scheduler's index: derived from each post by every write that changes
what it is derived from, a lease that ran out due again with nothing to sweep it, and post
refreshes written as HOT updates."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from shared.domain.post import lifecycle
from shared.domain.post.ingest_repository import IngestRepository, claim_due_posts
from shared.domain.post.schedule import due
from shared.models.post_snapshot import COUNTS
from tests.factories import (
    create_account,
    create_campaign,
    create_creator,
    create_post,
    create_tenant,
)
from tests.worker.posts import due_posts, run_batch, schedule

# Posts whose schedule row is missing or says other than the post does.
OUT_OF_STEP = text(f"""
SELECT p.id FROM post p LEFT JOIN post_schedule s ON s.post_id = p.id
WHERE s.post_id IS NULL OR s.due_at IS DISTINCT FROM {due("p")}
""")


async def _out_of_step(session) -> list:
    return list((await session.execute(OUT_OF_STEP)).scalars())


async def _world(session, platform="demo"):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id, platform=platform)
    return tenant, creator, account


def _row(post_id, likes, next_refresh_at):
    return {
        "id": post_id,
        **dict.fromkeys(COUNTS),
        "likes": likes,
        "next_refresh_at": next_refresh_at,
    }


class TestDerivedFromThePost:
    async def test_every_lifecycle_write_keeps_the_schedule_in_step(self, session, settings):
        tenant, creator, account = await _world(session)
        campaign = await create_campaign(session, tenant.org_id)
        posts = await due_posts(session, account, 4, campaign_id=campaign.id)
        await create_post(session, account, external_id="story-1", kind="story",
                          platform="instagram", next_refresh_at=datetime.now(UTC))  # fmt: skip
        assert await _out_of_step(session) == []
        now = datetime.now(UTC)
        lease = now + timedelta(minutes=4)
        claimed = await claim_due_posts(session, now=now, lease_until=lease, limit=100)
        assert {c.id for c in claimed} == {p.id for p in posts}
        assert await _out_of_step(session) == []
        repository = IngestRepository(session, tenant.org_id)
        later = now + timedelta(hours=1)
        await repository.write_refresh(now, lease, [_row(posts[0].id, 5, later)])
        await repository.mark_missing(lease, [{"id": posts[1].id, "next_refresh_at": later}])
        await repository.mark_error(lease, {posts[2].id: "refused"})
        await repository.release([posts[3].id], lease, now + timedelta(minutes=2), "waiting")
        assert await _out_of_step(session) == []
        await lifecycle.pause_account(session, tenant.org_id, account.id, "reconnect")
        assert await _out_of_step(session) == []
        await lifecycle.resume_account(session, tenant.org_id, account.id, now=now)
        assert await _out_of_step(session) == []
        await lifecycle.stop_campaign(session, tenant.org_id, campaign.id)
        assert await _out_of_step(session) == []
        await lifecycle.resume_campaign(session, tenant.org_id, campaign.id, now=now)
        assert await _out_of_step(session) == []
        await lifecycle.stop_creator(session, tenant.org_id, creator.id)
        assert await _out_of_step(session) == []
        due_at = await session.scalars(text("SELECT due_at FROM post_schedule"))
        assert set(due_at) == {None}  # the creator's posts stopped, and a story is never due

    async def test_a_lease_that_ran_out_is_due_again_without_a_sweep(self, session):
        _, _, account = await _world(session)
        posts = await due_posts(session, account, 2)
        now = datetime.now(UTC)
        lease = now + timedelta(minutes=4)
        first = await claim_due_posts(session, now=now, lease_until=lease, limit=100)
        assert len(first) == 2
        # Held: not claimed again while the lease runs...
        soon = now + timedelta(minutes=3)
        assert await claim_due_posts(session, now=soon, lease_until=soon, limit=100) == []
        # ...and claimed again once it ran out (the job was killed), under a new lease that
        # fences out the old one's write.
        late = now + timedelta(minutes=5)
        renewed = late + timedelta(minutes=4)
        second = await claim_due_posts(session, now=late, lease_until=renewed, limit=100)
        assert {c.id for c in second} == {p.id for p in posts}
        stale = await IngestRepository(session, account.org_id).write_refresh(
            now, lease, [_row(p.id, 1, late) for p in posts]
        )
        assert stale == set()


class TestHotUpdates:
    async def test_a_refresh_adds_no_index_entry_to_post(self, worker_ctx, session):
        _, _, account = await _world(session)
        await due_posts(session, account, 3)
        [batch] = await schedule(worker_ctx, session)
        before = await _post_updates(session)
        assert await run_batch(worker_ctx, batch) == "refreshed 3, gone 0"
        after = await _post_updates(session)
        updates, hot = (now - was for now, was in zip(after, before, strict=True))
        # The batch write updates each post once, and every one of those updates is HOT.
        assert (updates, hot) == (3, 3)


async def _post_updates(session) -> tuple[int, int]:
    # The statistics of the current transaction (the test's, which the job's savepoints share).
    row = (
        await session.execute(
            text(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                " WHERE relname = 'post'"
            )
        )
    ).one()
    return row.n_tup_upd, row.n_tup_hot_upd
