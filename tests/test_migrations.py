"""The schema exists only through migrations: upgrade → downgrade → upgrade on an empty DB."""

import asyncio
import os

import asyncpg
import pytest
from sqlalchemy import make_url

from shared import migrate

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
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


async def _recreate(url: str, name: str) -> str:
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _drop(url: str, name: str) -> None:
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
def empty_database(database_url: str):
    name = f"sway_migrations_test_{os.getpid()}"
    yield asyncio.run(_recreate(database_url, name))
    asyncio.run(_drop(database_url, name))


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
