"""Builds every process-wide resource once, at startup, and closes it at shutdown."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI
from redis.asyncio import Redis

from services.api.ratelimit import AuthCache
from shared.config import Settings
from shared.db import RawReads, create_engine, create_reads_pool, create_sessionmaker


def require_urls(settings: Settings) -> tuple[str, str]:
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError(
            "SWAY_DATABASE_URL and SWAY_REDIS_URL must be set (`sway run` sets them for you)"
        )
    return settings.database_url, settings.redis_url


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database_url, redis_url = require_urls(settings)
    # No pre-ping: it costs three round trips per checkout; a connection that died with the
    # server fails one request and is discarded, and recycling bounds connection age.
    engine = create_engine(
        database_url, pool_size=20, max_overflow=10, pool_pre_ping=False, pool_recycle=1800
    )
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    app.state.redis = redis
    # Auth runs on every request: one dedicated connection skips the pool's per-command
    # checkout and health check; its commands are single round trips, so sharing it is cheap.
    auth_redis = Redis.from_url(redis_url, single_connection_client=True)
    app.state.auth_cache = AuthCache(auth_redis)
    pool = await create_reads_pool(database_url, max_size=20)
    app.state.reads = RawReads(pool)
    try:
        yield
    finally:
        await auth_redis.aclose()
        await pool.close()
        await redis.aclose()
        await engine.dispose()
