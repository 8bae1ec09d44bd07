"""Refresh batches written together: several batches (of one organization or several) in one
transaction are each written exactly as they would be alone, and the worker's BatchWriter puts
batches that wait together, and apart again when their write fails."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from services.worker.batch_writer import BatchWriter
from shared.domain.post import ingest
from shared.domain.post.ingest_repository import BatchPost, claim_due_posts
from shared.models import Post, PostSnapshot
from tests.factories import create_account, create_creator, create_tenant
from tests.worker.posts import due_posts, schedule, snapshot_count, stats_for


async def _tenant_posts(session, count, handle):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id, handle=handle)
    return tenant, await due_posts(session, account, count)


def _batch_posts(posts) -> list[BatchPost]:
    return [
        BatchPost(p.id, p.external_id, p.account_id, p.campaign_id, p.published_at, p.created_at)
        for p in posts
    ]


def _fetched(batch, posts, views, now=None) -> ingest.Fetched:
    results = stats_for([p.external_id for p in posts], views=views)
    return ingest.Fetched(batch, _batch_posts(posts), results, now or datetime.now(UTC))


async def _snapshots(session, post_ids) -> list[tuple]:
    rows = await session.execute(
        select(PostSnapshot.post_id, PostSnapshot.views, PostSnapshot.org_id).where(
            PostSnapshot.post_id.in_(post_ids)
        )
    )
    return sorted(rows.all())


class TestRecordBatches:
    async def test_two_organizations_in_one_transaction_each_as_alone(
        self, worker_ctx, session, settings
    ):
        first, first_posts = await _tenant_posts(session, 3, "first")
        second, second_posts = await _tenant_posts(session, 2, "second")
        batches = {b.org_id: b for b in await schedule(worker_ctx, session)}
        recorded = await ingest.record_batches(
            session,
            [
                _fetched(batches[first.org_id], first_posts, views=100),
                _fetched(batches[second.org_id], second_posts, views=200),
            ],
            settings=settings,
        )
        assert recorded == [(3, [], set()), (2, [], set())]
        # Each organization's snapshots carry its own counts and its own org_id.
        assert await _snapshots(session, [p.id for p in first_posts]) == sorted(
            (p.id, 100, first.org_id) for p in first_posts
        )
        assert await _snapshots(session, [p.id for p in second_posts]) == sorted(
            (p.id, 200, second.org_id) for p in second_posts
        )
        leases = await session.scalars(
            select(Post.lease_until).where(Post.id.in_([p.id for p in first_posts + second_posts]))
        )
        assert set(leases) == {None}

    async def test_a_stale_batch_beside_the_holder_writes_nothing(
        self, worker_ctx, session, settings
    ):
        _, posts = await _tenant_posts(session, 2, "shared")
        [stale] = await schedule(worker_ctx, session)
        # The stale job's lease ran out and the scheduler claimed its posts again.
        later = stale.lease_until + timedelta(seconds=1)
        claimed = await claim_due_posts(
            session, now=later, lease_until=later + timedelta(minutes=4), limit=100
        )
        assert {c.id for c in claimed} == {p.id for p in posts}
        holder = stale.but(lease_until=later + timedelta(minutes=4))
        recorded = await ingest.record_batches(
            session,
            [_fetched(stale, posts, views=1), _fetched(holder, posts, views=2, now=later)],
            settings=settings,
        )
        assert [refreshed for refreshed, _, _ in recorded] == [0, 2]
        # One snapshot a post, the holder's (joined by row, not by post, or the stale batch's
        # counts would be written beside them).
        snapshots = await _snapshots(session, [p.id for p in posts])
        assert [views for _, views, _ in snapshots] == [2, 2]


class TestBatchWriter:
    async def test_batches_waiting_together_share_one_transaction(
        self, worker_ctx, sessionmaker, session, settings
    ):
        _, posts = await _tenant_posts(session, 6, "together")
        [batch] = await schedule(worker_ctx, session)
        halves = [posts[:2], posts[2:4], posts[4:]]
        batches = [batch.but(post_ids=tuple(p.id for p in half)) for half in halves]
        writer = BatchWriter(
            sessionmaker, None, settings.model_copy(update={"worker_write_flushes": 1})
        )
        recorded = await asyncio.gather(
            *(
                writer.write(_fetched(b, half, views=7))
                for b, half in zip(batches, halves, strict=True)
            )
        )
        assert recorded == [(2, [], set())] * 3
        assert writer.transactions == 1
        assert await snapshot_count(session, [p.id for p in posts]) == 6

    async def test_a_failing_batch_fails_alone(self, worker_ctx, sessionmaker, session, settings):
        _, posts = await _tenant_posts(session, 4, "apart")
        [batch] = await schedule(worker_ctx, session)
        good, bad = (
            batch.but(post_ids=(posts[0].id, posts[1].id)),
            batch.but(post_ids=(posts[2].id, posts[3].id)),
        )
        writer = BatchWriter(
            sessionmaker, None, settings.model_copy(update={"worker_write_flushes": 1})
        )
        too_big = 2**63  # no bigint holds it: Postgres refuses the whole statement
        written, refused = await asyncio.gather(
            writer.write(_fetched(good, posts[:2], views=5)),
            writer.write(_fetched(bad, posts[2:], views=too_big)),
            return_exceptions=True,
        )
        assert written == (2, [], set())
        assert isinstance(refused, DBAPIError)
        assert writer.transactions == 1  # the good batch, written again on its own
        assert await snapshot_count(session, [p.id for p in posts[:2]]) == 2
        assert await snapshot_count(session, [p.id for p in posts[2:]]) == 0
        # The failed batch's posts keep their lease: its job retries, or the scheduler claims them.
        leases = await session.scalars(
            select(Post.lease_until).where(Post.id.in_([p.id for p in posts[2:]]))
        )
        assert set(leases) == {batch.lease_until}

    async def test_the_worker_has_one_writer(self, worker_ctx):
        assert BatchWriter.of(worker_ctx) is BatchWriter.of(worker_ctx)

    async def test_a_batch_handed_over_as_the_last_write_ends_is_written(
        self, worker_ctx, sessionmaker, session, settings
    ):
        # The job whose batch was just written runs again before the write's task has quite
        # ended: its next batch must start a write of its own, not wait for one that is over.
        _, posts = await _tenant_posts(session, 4, "handover")
        [batch] = await schedule(worker_ctx, session)
        first, second = (
            batch.but(post_ids=(posts[0].id, posts[1].id)),
            batch.but(post_ids=(posts[2].id, posts[3].id)),
        )
        writer = BatchWriter(
            sessionmaker, None, settings.model_copy(update={"worker_write_flushes": 1})
        )
        assert await writer.write(_fetched(first, posts[:2], views=3)) == (2, [], set())
        async with asyncio.timeout(10):  # in this task: wait_for would hand it to a new one
            written = await writer.write(_fetched(second, posts[2:], views=3))
        assert written == (2, [], set())
