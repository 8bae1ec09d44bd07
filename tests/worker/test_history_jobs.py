"""The daily history cron (services/worker/jobs/history.py): months made ahead, rows the DEFAULT
partition caught given their month, and two workers running it at once."""

import asyncio
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.pool import NullPool

from services.worker.jobs import history
from shared import migrate
from shared.db import create_engine
from shared.domain.history.partitions import add_months, month_start
from shared.models import PostSnapshot
from tests.factories import create_account, create_creator, create_post, create_tenant
from tests.pg import fresh_database


def _names(table: str, first: datetime, months: int) -> set[str]:
    return {f"{table}_y{m:%Y}m{m:%m}" for m in (add_months(first, n) for n in range(months + 1))}


async def _attached(session_or_connection, table: str) -> set[str]:
    rows = await session_or_connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            f" WHERE i.inhparent = '{table}'::regclass"
        )
    )
    return set(rows.scalars())


class TestMaintainHistory:
    async def test_months_ahead_and_the_rows_default_caught(self, worker_ctx, session):
        this_month = month_start(datetime.now(UTC))
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        post = await create_post(session, await create_account(session, tenant.org_id, creator.id))
        # Beyond the months kept ahead: no partition yet, and the insert still succeeds.
        far = add_months(this_month, 9).replace(day=2)
        session.add(PostSnapshot(org_id=post.org_id, post_id=post.id, captured_at=far, views=3))
        await session.commit()

        result = await history.maintain_history(worker_ctx)

        ahead = worker_ctx["settings"].history_partitions_ahead
        far_partition = f"post_snapshot_y{far:%Y}m{far:%m}"
        attached = await _attached(session, "post_snapshot")
        assert _names("post_snapshot", this_month, ahead) | {far_partition} <= attached
        assert _names("account_snapshot", this_month, ahead) <= await _attached(
            session, "account_snapshot"
        )
        where = await session.execute(text("SELECT tableoid::regclass::text FROM post_snapshot"))
        assert list(where.scalars()) == [far_partition]
        assert "(moved 1)" in result

        assert (await history.maintain_history(worker_ctx)).startswith("created 0 (moved 0)")


@pytest.fixture
def own_database(database_url: str):
    """A migrated database of this test's own: two workers need two connections that see each
    other's commits, which the rolled-back test transaction cannot give."""
    with fresh_database(database_url, f"sway_history_test_{os.getpid()}") as url:
        migrate.upgrade(url)
        yield url


class TestTwoWorkers:
    def test_running_at_once_creates_each_partition_once(self, own_database, settings):
        async def both() -> tuple[list[str], set[str]]:
            engines = [create_engine(own_database, poolclass=NullPool) for _ in range(2)]
            contexts = [
                {"settings": settings, "sessionmaker": async_sessionmaker(e)} for e in engines
            ]
            try:
                results = await asyncio.gather(*(history.maintain_history(ctx) for ctx in contexts))
                async with engines[0].connect() as connection:
                    attached = await _attached(connection, "post_snapshot")
            finally:
                for engine in engines:
                    await engine.dispose()
            return sorted(results), attached

        results, attached = asyncio.run(both())
        # The migration made this month and the next; one run made the rest, the other nothing.
        made = settings.history_partitions_ahead - 1
        assert results[0].startswith("created 0 ")
        assert results[1].startswith(f"created {2 * made} ")
        this_month = month_start(datetime.now(UTC))
        assert _names("post_snapshot", this_month, settings.history_partitions_ahead) <= attached
