"""History partitions and retention (docs/scaling.md, "Partitioned history and retention"), on
the real partitioned tables: hand-made snapshots, then what each step leaves where."""

from datetime import datetime

from sqlalchemy import text

from shared.config import Settings
from shared.domain.history import service as history_service
from shared.models import PostSnapshot
from tests.factories import (
    create_account,
    create_account_snapshot,
    create_creator,
    create_post,
    create_tenant,
    utc,
)

# Far from the migration's own months (the real current and next), so only the tests' show.
NOW = utc(2031, 5, 10, 12)


async def _post(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id)
    return account, await create_post(session, account)


async def _snapshot(session, post, at: datetime, views: int = 1) -> None:
    session.add(PostSnapshot(org_id=post.org_id, post_id=post.id, captured_at=at, views=views))
    await session.commit()


async def _where(session, table: str = "post_snapshot") -> list[tuple[str, datetime]]:
    """Each row's partition and capture time, oldest first."""
    rows = await session.execute(
        text(f"SELECT tableoid::regclass::text, captured_at FROM {table} ORDER BY captured_at")
    )
    return [tuple(row) for row in rows]


async def _attached(session, table: str = "post_snapshot") -> set[str]:
    rows = await session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            f" WHERE i.inhparent = '{table}'::regclass"
        )
    )
    return set(rows.scalars())


async def _exists(session, name: str) -> bool:
    return (await session.execute(text(f"SELECT to_regclass('{name}')"))).scalar() is not None


def _settings(settings: Settings, **overrides) -> Settings:
    return settings.model_copy(update=overrides)


class TestEnsurePartitions:
    async def test_this_month_and_the_months_ahead_once(self, session):
        created = await history_service.ensure_partitions(session, now=NOW, ahead=2)
        months = ("y2031m05", "y2031m06", "y2031m07")
        for table in ("post_snapshot", "account_snapshot"):
            assert {f"{table}_{m}" for m in months} <= await _attached(session, table)
        assert {f"post_snapshot_{m}" for m in months} <= set(created.partitions)

        again = await history_service.ensure_partitions(session, now=NOW, ahead=2)
        assert again.partitions == []

    async def test_a_month_without_partition_is_caught_then_given_its_partition(self, session):
        account, post = await _post(session)
        # Far ahead of any partition, and one for the month the partitions start from.
        await _snapshot(session, post, utc(2032, 2, 3, 4))
        await _snapshot(session, post, utc(2031, 5, 1))
        await create_account_snapshot(session, account, utc(2032, 2, 3, 4), 100)
        assert [p for p, _ in await _where(session)] == ["post_snapshot_default"] * 2

        created = await history_service.ensure_partitions(session, now=NOW, ahead=1)

        # Postgres refuses a partition over rows in DEFAULT: they moved into their months.
        assert created.rows_moved == 3
        assert await _where(session) == [
            ("post_snapshot_y2031m05", utc(2031, 5, 1)),
            ("post_snapshot_y2032m02", utc(2032, 2, 3, 4)),
        ]
        assert [p for p, _ in await _where(session, "account_snapshot")] == [
            "account_snapshot_y2032m02"
        ]
        # The month is a real partition: the next row for it goes there, not to DEFAULT.
        await _snapshot(session, post, utc(2032, 2, 20))
        assert (await _where(session))[-1] == ("post_snapshot_y2032m02", utc(2032, 2, 20))

    async def test_a_replayed_snapshot_is_still_a_no_op(self, session):
        _, post = await _post(session)
        await history_service.ensure_partitions(session, now=NOW, ahead=1)
        statement = text(
            "INSERT INTO post_snapshot (org_id, post_id, captured_at, views)"
            " VALUES (:org, :post, :at, 1) ON CONFLICT (post_id, captured_at, org_id) DO NOTHING"
        )
        values = {"org": post.org_id, "post": post.id, "at": utc(2031, 5, 2)}
        assert (await session.execute(statement, values)).rowcount == 1
        assert (await session.execute(statement, values)).rowcount == 0


class TestRetention:
    async def _history(self, session):
        """Posts with snapshots in February, March and May 2031, each month a partition."""
        await history_service.ensure_partitions(session, now=utc(2031, 1, 15), ahead=4)
        _, post = await _post(session)
        for at in (utc(2031, 2, 28, 23), utc(2031, 3, 1), utc(2031, 5, 9)):
            await _snapshot(session, post, at)
        return post

    async def test_keeps_everything_by_default(self, session, settings):
        await self._history(session)
        retained = await history_service.apply_retention(session, now=NOW, settings=settings)
        assert retained.detached == retained.dropped == []
        assert retained.thinned == {}
        assert len(await _where(session)) == 3

    async def test_detaches_months_older_than_the_kept_ones(self, session, settings):
        await self._history(session)
        # Two full months kept before May: March and April; February goes.
        policy = _settings(settings, history_retention_months=2)
        retained = await history_service.apply_retention(session, now=NOW, settings=policy)

        assert "post_snapshot_y2031m02_detached" in retained.detached
        assert "post_snapshot_y2031m03_detached" not in retained.detached
        assert [at for _, at in await _where(session)] == [utc(2031, 3, 1), utc(2031, 5, 9)]
        # Out of every read, but on disk to archive.
        kept = await session.execute(
            text("SELECT captured_at FROM post_snapshot_y2031m02_detached")
        )
        assert list(kept.scalars()) == [utc(2031, 2, 28, 23)]
        assert "post_snapshot_y2031m02" not in await _attached(session)

    async def test_drops_them_when_told_to(self, session, settings):
        await self._history(session)
        policy = _settings(settings, history_retention_months=2, history_retention_action="drop")
        retained = await history_service.apply_retention(session, now=NOW, settings=policy)

        assert "post_snapshot_y2031m02" in retained.dropped
        assert "account_snapshot_y2031m02" in retained.dropped
        assert not await _exists(session, "post_snapshot_y2031m02")
        assert not await _exists(session, "post_snapshot_y2031m02_detached")
        assert [at for _, at in await _where(session)] == [utc(2031, 3, 1), utc(2031, 5, 9)]

    async def test_late_rows_for_a_detached_month_join_its_detached_table(self, session, settings):
        post = await self._history(session)
        policy = _settings(settings, history_retention_months=2)
        await history_service.apply_retention(session, now=NOW, settings=policy)
        await _snapshot(session, post, utc(2031, 2, 10))  # a late write: caught by DEFAULT

        await history_service.ensure_partitions(session, now=NOW, ahead=1)
        retained = await history_service.apply_retention(session, now=NOW, settings=policy)

        assert retained.detached == ["post_snapshot_y2031m02_detached"]
        kept = await session.execute(
            text("SELECT captured_at FROM post_snapshot_y2031m02_detached ORDER BY 1")
        )
        assert list(kept.scalars()) == [utc(2031, 2, 10), utc(2031, 2, 28, 23)]


class TestThinning:
    async def test_keeps_each_days_last_snapshot_past_the_age(self, session, settings):
        account, post = await _post(session)
        other = await create_post(session, account, external_id="another")
        old_day = (utc(2031, 4, 1, 1), utc(2031, 4, 1, 12), utc(2031, 4, 1, 23, 59))
        late_evening = (utc(2031, 4, 2, 23, 30), utc(2031, 4, 3, 0, 30))  # two UTC days
        last_old_day = (utc(2031, 4, 9, 10), utc(2031, 4, 9, 11))
        young = (utc(2031, 4, 10, 1), utc(2031, 4, 10, 2))  # not 30 days old yet
        for at in (*old_day, *late_evening, *last_old_day, *young):
            await _snapshot(session, post, at)
        await _snapshot(session, other, utc(2031, 4, 1, 5))
        for hour in (6, 18):
            await create_account_snapshot(session, account, utc(2031, 4, 1, hour), hour)

        policy = _settings(settings, history_thin_after_days=30)
        retained = await history_service.apply_retention(session, now=NOW, settings=policy)

        assert retained.thinned == {"post_snapshot": 3, "account_snapshot": 1}
        kept = await session.execute(
            text("SELECT captured_at FROM post_snapshot WHERE post_id = :id ORDER BY 1"),
            {"id": post.id},
        )
        assert list(kept.scalars()) == [
            utc(2031, 4, 1, 23, 59),
            *late_evening,
            utc(2031, 4, 9, 11),
            *young,
        ]
        others = await session.execute(
            text("SELECT count(*) FROM post_snapshot WHERE post_id = :id"), {"id": other.id}
        )
        assert others.scalar() == 1
        followers = await session.execute(text("SELECT followers FROM account_snapshot"))
        assert list(followers.scalars()) == [18]

        again = await history_service.apply_retention(session, now=NOW, settings=policy)
        assert again.thinned == {"post_snapshot": 0, "account_snapshot": 0}
