"""The schema exists only through migrations: upgrade → downgrade → upgrade on an empty DB."""

import asyncio
import os

import asyncpg
import pytest

from shared import migrate
from shared.db import asyncpg_dsn
from tests.pg import on_server, with_database

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
    name = f"sway_migrations_test_{os.getpid()}"
    asyncio.run(
        on_server(
            database_url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        )
    )
    yield with_database(database_url, name)
    asyncio.run(on_server(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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

        async def diff():
            engine = create_engine(database_url, poolclass=NullPool)
            async with engine.connect() as connection:
                result = await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
            await engine.dispose()
            return result

        assert asyncio.run(diff()) == []


async def _seed_lookalike_handles(url: str) -> list[str]:
    """Three accounts whose handles lower() keeps apart but NFKC case folding makes one."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        org = await connection.fetchval(
            "INSERT INTO organization (id, name, default_currency, settings) "
            "VALUES (gen_random_uuid(), 'o', 'USD', '{}') RETURNING id"
        )
        creator = await connection.fetchval(
            "INSERT INTO creator (id, org_id, name, niches, tags) "
            "VALUES (gen_random_uuid(), $1, 'c', '{}', '{}') RETURNING id",
            org,
        )
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
