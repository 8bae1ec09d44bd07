"""Two workers on one Redis and one database share the due posts: both schedulers tick at once,
both burst workers drain the queue at once, and every due post is refreshed exactly once.

Unlike the other worker tests, these workers cannot share the test's one connection (that would
run them one statement at a time): each has its own engine, as a separate process would, so
their claims and writes really race in Postgres. What they commit is real, and the organization
is deleted afterwards (everything of it cascades)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import delete, func, select

from services.worker.context import build_adapters
from services.worker.jobs.posts import schedule_post_refreshes
from services.worker.main import WorkerSettings
from shared.budget import Budget
from shared.db import create_engine, create_sessionmaker
from shared.models import Organization, Post, PostSnapshot
from shared.platforms.base import Platform
from shared.platforms.demo import DemoAdapter
from tests.factories import create_account, create_creator, create_post, create_tenant

POSTS = 120
BATCH = 10  # 12 batches, so both workers have several to take


class WorkerProcess:
    """What one `sway worker` process holds: its own engine, adapters and arq worker."""

    def __init__(self, settings, database_url: str, redis) -> None:
        self.engine = create_engine(database_url, pool_size=2, max_overflow=0)
        self.http = httpx.AsyncClient(transport=httpx.MockTransport(_no_network))
        adapters = build_adapters(self.http, settings)
        demo = DemoAdapter()
        demo.max_batch = BATCH
        adapters[Platform.demo] = demo
        self.ctx = {
            "settings": settings,
            "sessionmaker": create_sessionmaker(self.engine),
            "adapters": adapters,
            "budget": Budget(redis, settings),
        }
        self.worker = Worker(
            functions=WorkerSettings.functions,
            redis_pool=redis,
            burst=True,
            poll_delay=0,
            ctx=self.ctx,
            handle_signals=False,
            max_jobs=2,
        )
        self.ctx["redis"] = redis

    async def close(self) -> None:
        await self.http.aclose()
        await self.engine.dispose()


def _no_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"no network in tests: {request.url.host}")


@pytest.fixture
async def committed(database_url) -> AsyncIterator:
    """Sessions that really commit, and the organizations made through them deleted after."""
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    made = []
    try:
        async with sessionmaker() as session:
            yield session, made
    finally:
        async with sessionmaker() as session:
            await session.execute(delete(Organization).where(Organization.id.in_(made)))
            await session.commit()
        await engine.dispose()


async def test_two_workers_refresh_every_due_post_exactly_once(
    committed, settings, database_url, redis
):
    session, made = committed
    tenant = await create_tenant(session)
    made.append(tenant.org_id)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id, handle="ada")
    due_since = datetime.now(UTC) - timedelta(minutes=1)
    posts = [
        await create_post(
            session,
            account,
            external_id=f"ada-{n}",
            next_refresh_at=due_since,
            published_at=due_since - timedelta(hours=3),
        )
        for n in range(POSTS)
    ]
    started = datetime.now(UTC)
    processes = [WorkerProcess(settings, database_url, redis) for _ in range(2)]
    try:
        # Both processes' scheduler ticks at the same moment: each post goes to one claim
        # (SKIP LOCKED, then the lease), however the two split them.
        batches = sum(await asyncio.gather(*(schedule_post_refreshes(p.ctx) for p in processes)))
        assert batches >= POSTS // BATCH
        await asyncio.gather(*(p.worker.main() for p in processes))
        # Another tick from either process finds nothing due: every post is refreshed, later.
        assert [await schedule_post_refreshes(p.ctx) for p in processes] == [0, 0]
    finally:
        for process in processes:
            await process.close()

    assert [p.worker.jobs_failed for p in processes] == [0, 0]
    # Shared, not one worker doing it all while the other idles.
    assert all(p.worker.jobs_complete > 0 for p in processes)
    assert sum(p.worker.jobs_complete for p in processes) == batches
    per_post = (
        await session.execute(
            select(PostSnapshot.post_id, func.count())
            .where(PostSnapshot.post_id.in_([p.id for p in posts]))
            .where(PostSnapshot.captured_at >= started)
            .group_by(PostSnapshot.post_id)
        )
    ).all()
    assert len(per_post) == POSTS
    assert {count for _, count in per_post} == {1}
    refreshed = await session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.account_id == account.id, Post.last_refreshed_at >= started)
    )
    assert refreshed == POSTS
