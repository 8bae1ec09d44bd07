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
