"""Builds every process-wide resource once, at startup, and closes it at shutdown."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api import metrics
from services.api.ratelimit import AuthCache
from shared.config import Settings
from shared.db import RawReads, create_engine, create_reads_pool, create_sessionmaker
from shared.domain.post.by_url import PostLookups


def require_urls(settings: Settings) -> tuple[str, str]:
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError(
            "SWAY_DATABASE_URL and SWAY_REDIS_URL must be set (`sway run` sets them for you)"
        )
    return settings.database_url, settings.redis_url


# Connecting to a Postgres that does not answer gives up after this long (asyncpg waits 60 s).
CONNECT_TIMEOUT_S = 5


def create_api_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """No pre-ping: it costs three round trips per checkout. Instead a pooled connection whose
    socket the server closed (Postgres restarted) is swapped for a fresh one at checkout, for
    free, so the first request after an outage does not fail on it; one that dies unnoticed
    fails one request (503) and SQLAlchemy then invalidates the whole pool."""
    options = {"pool_size": 20, "max_overflow": 10, "pool_recycle": 1800} | kwargs
    engine = create_engine(
        database_url,
        pool_pre_ping=False,
        connect_args={"timeout": CONNECT_TIMEOUT_S},
        **options,
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed_connection)
    return engine


def _drop_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        # The pool's documented signal to discard this connection and check out another.
        raise DisconnectionError("connection closed by the server")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database_url, redis_url = require_urls(settings)
    engine = create_api_engine(database_url)
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    app.state.redis = redis
    # Auth runs on every request, on a client of its own: the lookups of requests arriving
    # together go out as one pipeline (ratelimit.Coalesced) on a connection of this pool.
    auth_redis = Redis.from_url(redis_url)
    app.state.auth_cache = AuthCache(auth_redis)
    pool = await create_reads_pool(database_url, max_size=20)
    app.state.reads = RawReads(pool)
    # Platform calls made in a request (OAuth code exchanges), with the adapters' timeout.
    app.state.http = httpx.AsyncClient(
        timeout=settings.platform_timeout_s,
        headers={"User-Agent": "Sway/0.1 (+self-hosted influencer analytics)"},
    )
    # Tracking a pasted link may follow its redirects and ask its platform whose post it is.
    app.state.post_lookups = PostLookups.open(settings, app.state.http)
    try:
        yield
    finally:
        await app.state.post_lookups.aclose()
        await app.state.http.aclose()
        await auth_redis.aclose()
        await pool.close()
        await redis.aclose()
        await engine.dispose()
        metrics.process_exited()
