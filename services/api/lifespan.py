"""Builds every process-wide resource once, at startup, and closes it at shutdown."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI

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
    engine = create_engine(database_url, pool_size=10, max_overflow=10)
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.redis = redis
    try:
        yield
    finally:
        await redis.aclose()
        await engine.dispose()
