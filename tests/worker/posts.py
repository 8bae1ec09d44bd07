"""Helpers the post-refresh tests share: due posts, one scheduler tick, one job run."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.worker.jobs import posts as post_jobs
from shared.domain.post import ingest
from shared.models import PostSnapshot
from shared.platforms.base import PostStats
from tests.factories import create_post


def stats_for(ids, views=100):
    return {id: PostStats(views=views, likes=10, comments=2, shares=1, saves=None) for id in ids}


async def snapshot_count(session, post_ids) -> int:
    return await session.scalar(
        select(func.count()).select_from(PostSnapshot).where(PostSnapshot.post_id.in_(post_ids))
    )


async def due_posts(session, account, count, *, platform="demo", campaign_id=None):
    posts = []
    for n in range(count):
        posts.append(
            await create_post(
                session,
                account,
                external_id=f"{account.handle}-{n}",
                platform=platform,
                campaign_id=campaign_id,
                next_refresh_at=datetime.now(UTC) - timedelta(minutes=1),
                published_at=datetime.now(UTC) - timedelta(hours=3),
            )
        )
    return posts


async def schedule(worker_ctx, session) -> list[ingest.RefreshBatch]:
    batches = await ingest.schedule_due(
        session,
        now=datetime.now(UTC),
        settings=worker_ctx["settings"],
        adapters=worker_ctx["adapters"],
    )
    await session.commit()
    return batches


async def run_batch(worker_ctx, batch: ingest.RefreshBatch) -> str:
    return await post_jobs.refresh_posts(worker_ctx, batch.dump())
