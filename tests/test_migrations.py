"""The schema exists only through migrations: upgrade → downgrade → upgrade on an empty DB."""

import asyncio
import os
from uuid import UUID

import asyncpg
import pytest

from shared import migrate
from shared.db import asyncpg_dsn
from tests.pg import fresh_database

TABLES = {
    "organization",
    "api_key",
    "creator",
    "creator_account",
    "account_snapshot",
    "campaign",
    "campaign_goal",
}


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


@pytest.fixture
def empty_database(database_url: str):
    with fresh_database(database_url, f"sway_migrations_test_{os.getpid()}") as url:
        yield url


class TestMigrations:
    def test_upgrade_downgrade_upgrade(self, empty_database):
        migrate.upgrade(empty_database)
        assert asyncio.run(_tables(empty_database)) >= TABLES
        migrate.downgrade(empty_database, "base")
        assert asyncio.run(_tables(empty_database)) == set()
        migrate.upgrade(empty_database)
        assert asyncio.run(_tables(empty_database)) >= TABLES

    def test_models_match_migrations(self, database_url):
        """Autogenerate against the migrated test DB finds nothing to add: models and migrations
        agree."""
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlalchemy.pool import NullPool

        import shared.models  # noqa: F401
        from shared.db import Base, create_engine
        from shared.domain.history.partitions import include_name

        async def diff():
            engine = create_engine(database_url, poolclass=NullPool)
            async with engine.connect() as connection:
                result = await connection.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"include_name": include_name}),
                        Base.metadata,
                    )
                )
            await engine.dispose()
            return result

        assert asyncio.run(diff()) == []


async def _org_and_creator(connection) -> tuple[UUID, UUID]:
    """An organization and one creator of it, inserted as bare rows (no app code: the schema
    under test may be an old one)."""
    org = await connection.fetchval(
        "INSERT INTO organization (id, name, default_currency, settings) "
        "VALUES (gen_random_uuid(), 'o', 'USD', '{}') RETURNING id"
    )
    creator = await connection.fetchval(
        "INSERT INTO creator (id, org_id, name, niches, tags) "
        "VALUES (gen_random_uuid(), $1, 'c', '{}', '{}') RETURNING id",
        org,
    )
    return org, creator


async def _account(connection, org: UUID, creator: UUID) -> UUID:
    return await connection.fetchval(
        "INSERT INTO creator_account (id, org_id, creator_id, platform, handle, handle_key, "
        "sync_status) VALUES (gen_random_uuid(), $1, $2, 'demo', 'h', 'h', 'ok') RETURNING id",
        org,
        creator,
    )


async def _seed_lookalike_handles(url: str) -> list[str]:
    """Three accounts whose handles lower() keeps apart but NFKC case folding makes one."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        org, creator = await _org_and_creator(connection)
        ids = []
        for n, handle in enumerate(("İstanbul", "i̇stanbul", "ＩＳＴＡＮＢＵＬ")):
            ids.append(
                await connection.fetchval(
                    "INSERT INTO creator_account (id, org_id, creator_id, platform, handle, "
                    "sync_status, created_at, updated_at) VALUES (gen_random_uuid(), $1, $2, "
                    "'demo', $3, 'ok', now() + make_interval(secs => $4), now()) RETURNING id",
                    org,
                    creator,
                    handle,
                    n,
                )
            )
        return [str(id) for id in ids]
    finally:
        await connection.close()


async def _handle_keys(url: str) -> dict[str, str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch("SELECT id, handle_key FROM creator_account")
        return {str(row["id"]): row["handle_key"] for row in rows}
    finally:
        await connection.close()


class TestHandleKeyBackfill:
    def test_lookalike_handles_all_survive_the_new_unique_key(self, empty_database):
        migrate.upgrade(empty_database, "7c1e4a9b2d31")
        first, second, third = asyncio.run(_seed_lookalike_handles(empty_database))
        migrate.upgrade(empty_database)
        keys = asyncio.run(_handle_keys(empty_database))
        # The oldest keeps the plain key; later lookalikes are marked, to be merged by hand.
        assert keys[first] == "i̇stanbul"
        assert keys[second] == f"i̇stanbul#{second}"
        assert keys[third] == "istanbul"


BEFORE_PARTITIONS = "b7d1e5f9a2c3"


async def _seed_history(url: str) -> None:
    """A post and an account with snapshots in two past months, far apart."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        org, creator = await _org_and_creator(connection)
        account = await _account(connection, org, creator)
        post = await connection.fetchval(
            "INSERT INTO post (id, org_id, account_id, creator_id, platform, external_id, status, "
            "missing_count, source) VALUES (gen_random_uuid(), $1, $2, $3, 'demo', 'p', "
            "'active', 0, 'manual') RETURNING id",
            org,
            account,
            creator,
        )
        for at in ("2025-06-30 23:30:00+00", "2025-09-01 00:00:00+00"):
            await connection.execute(
                "INSERT INTO post_snapshot (org_id, post_id, captured_at, views) "
                "VALUES ($1, $2, $3::text::timestamptz, 7)",
                org,
                post,
                at,
            )
            await connection.execute(
                "INSERT INTO account_snapshot (org_id, account_id, captured_at, followers) "
                "VALUES ($1, $2, $3::text::timestamptz, 9)",
                org,
                account,
                at,
            )
    finally:
        await connection.close()


async def _history(url: str) -> dict[str, object]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        result: dict[str, object] = {}
        for table in ("post_snapshot", "account_snapshot"):
            result[table] = await connection.fetchval(
                f"SELECT relkind::text FROM pg_class WHERE relname = '{table}'"
            )
            result[f"{table} rows"] = await connection.fetch(
                f"SELECT tableoid::regclass::text AS partition, captured_at FROM {table} "
                "ORDER BY captured_at"
            )
            result[f"{table} partitions"] = {
                row["relname"]
                for row in await connection.fetch(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    f"WHERE i.inhparent = '{table}'::regclass"
                )
            }
        return result
    finally:
        await connection.close()


async def _replay_first_snapshot(url: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.execute(
            "INSERT INTO post_snapshot SELECT * FROM post_snapshot ORDER BY captured_at LIMIT 1 "
            "ON CONFLICT DO NOTHING"
        )
    finally:
        await connection.close()


class TestPartitionedHistory:
    def test_rows_move_into_their_months_and_back(self, empty_database):
        from datetime import UTC, datetime

        from shared.domain.history.partitions import add_months, month_start

        migrate.upgrade(empty_database, BEFORE_PARTITIONS)
        asyncio.run(_seed_history(empty_database))
        migrate.upgrade(empty_database)
        history = asyncio.run(_history(empty_database))
        now = month_start(datetime.now(UTC))
        months, month = set(), datetime(2025, 6, 1, tzinfo=UTC)
        while month <= add_months(now, 1):
            months.add(f"y{month:%Y}m{month:%m}")
            month = add_months(month, 1)
        for table in ("post_snapshot", "account_snapshot"):
            assert history[table] == "p"
            # Every month from the oldest row's to next month, with none missing between.
            assert history[f"{table} partitions"] == {f"{table}_{m}" for m in months} | {
                f"{table}_default"
            }
            rows = history[f"{table} rows"]
            assert [row["partition"] for row in rows] == [f"{table}_y2025m06", f"{table}_y2025m09"]
        # The key still makes a replayed write a no-op.
        assert asyncio.run(_replay_first_snapshot(empty_database)) == "INSERT 0 0"

        migrate.downgrade(empty_database, BEFORE_PARTITIONS)
        history = asyncio.run(_history(empty_database))
        for table in ("post_snapshot", "account_snapshot"):
            assert history[table] == "r"
            assert [row["partition"] for row in history[f"{table} rows"]] == [table, table]
        assert asyncio.run(_replay_first_snapshot(empty_database)) == "INSERT 0 0"


BEFORE_CITUS_KEYS = "d5f9b2a8c0e3"


async def _seed_linked_post(url: str) -> dict[str, UUID]:
    """A campaign with a tracking link and a post of it, with one snapshot."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        org, creator = await _org_and_creator(connection)
        campaign = await connection.fetchval(
            "INSERT INTO campaign (id, org_id, name, objective, status, currency, hashtags, "
            "mentions, platforms) VALUES (gen_random_uuid(), $1, 'c', 'sales', 'active', 'USD', "
            "'{}', '{}', '{}') RETURNING id",
            org,
        )
        await connection.execute(
            "INSERT INTO tracking_link (id, org_id, campaign_id, creator_id, code, "
            "destination_url, tracked_url) VALUES (gen_random_uuid(), $1, $2, $3, 'Old12345', "
            "'https://a.example/', 'https://a.example/?utm_content=Old12345')",
            org,
            campaign,
            creator,
        )
        account = await _account(connection, org, creator)
        post = await connection.fetchval(
            "INSERT INTO post (id, org_id, account_id, creator_id, campaign_id, platform, "
            "external_id, status, missing_count, source) VALUES (gen_random_uuid(), $1, $2, $3, "
            "$4, 'demo', 'p', 'tracking', 0, 'api') RETURNING id",
            org,
            account,
            creator,
            campaign,
        )
        await connection.execute(
            "INSERT INTO post_snapshot (org_id, post_id, captured_at, views) "
            "VALUES ($1, $2, now(), 1)",
            org,
            post,
        )
        return {"org": org, "campaign": campaign, "post": post}
    finally:
        await connection.close()


async def _after_campaign_deleted(url: str, seeded: dict[str, UUID]) -> dict[str, object]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        owner = await connection.fetchval("SELECT org_id FROM link_code WHERE code = 'Old12345'")
        await connection.execute("DELETE FROM campaign WHERE id = $1", seeded["campaign"])
        post = await connection.fetchrow(
            "SELECT org_id, campaign_id FROM post WHERE id = $1", seeded["post"]
        )
        snapshots = await connection.fetchval(
            "SELECT count(*) FROM post_snapshot WHERE post_id = $1", seeded["post"]
        )
        return {"owner": owner, "post": dict(post), "snapshots": snapshots}
    finally:
        await connection.close()


class TestCitusReadyKeys:
    def test_rows_keep_their_links_and_a_cleared_reference_keeps_its_org(self, empty_database):
        migrate.upgrade(empty_database, BEFORE_CITUS_KEYS)
        seeded = asyncio.run(_seed_linked_post(empty_database))
        migrate.upgrade(empty_database)
        after = asyncio.run(_after_campaign_deleted(empty_database, seeded))
        # The link's code is owned in link_code, by the link's organization.
        assert after["owner"] == seeded["org"]
        # The campaign's deletion clears the post's campaign only (SET NULL (campaign_id)).
        assert after["post"] == {"org_id": seeded["org"], "campaign_id": None}
        assert after["snapshots"] == 1
        migrate.downgrade(empty_database, BEFORE_CITUS_KEYS)
        assert "link_code" not in asyncio.run(_tables(empty_database))
