"""Builds every process-wide resource once, at startup, and closes it at shutdown."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI

from services.api.ratelimit import AuthCache
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker


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
    app.state.auth_cache = AuthCache(redis)
    try:
        yield
    finally:
        await redis.aclose()
        await engine.dispose()
