"""Real outages: Postgres or Redis at a port nothing listens on, a Redis killed and started
again, a pooled Postgres connection killed by the server. Each app here is built beside the
shared one, so the shared test servers keep running."""

import asyncio
import time

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, make_url, select, text

from services.api.lifespan import create_api_engine
from services.api.main import create_app
from services.api.ratelimit import AuthCache
from shared.db import RawReads, create_sessionmaker
from shared.embedded import EmbeddedRedis, free_port
from shared.models import Creator
from tests.factories import bearer, create_tenant


def _build(settings, engine, redis: ArqRedis, sessionmaker=None):
    app = create_app(settings)
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker or create_sessionmaker(engine)
    app.state.read_sessionmaker = app.state.sessionmaker
    app.state.redis = redis
    app.state.auth_cache = AuthCache(redis)
    app.state.reads = RawReads()
    return app


def _client(app) -> AsyncClient:
    return AsyncClient(transport=ASGITransport(app=app), base_url="http://sway.test")


def _closed_redis() -> ArqRedis:
    # No ping: the point is a Redis that is not there.
    return ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)


def _assert_unavailable(response, part: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert part in body["detail"]


class TestRedisDown:
    async def test_requests_are_503_naming_redis_and_write_nothing(
        self, settings, session, sessionmaker, database_url
    ):
        tenant = await create_tenant(session)
        engine = create_api_engine(database_url, pool_size=1)
        app = _build(settings, engine, _closed_redis(), sessionmaker)
        async with _client(app) as client:
            _assert_unavailable(
                await client.get("/v1/creators", headers=bearer(tenant.read)), "redis"
            )
            # Idempotency reads Redis before the route runs: the same answer from there.
            post = await client.post(
                "/v1/creators",
                json={"name": "Ada"},
                headers=bearer(tenant.write) | {"Idempotency-Key": "k1"},
            )
            _assert_unavailable(post, "redis")
            _assert_unavailable(
                await client.post(
                    "/v1/creators", json={"name": "Ada"}, headers=bearer(tenant.write)
                ),
                "redis",
            )
            started = time.monotonic()
            ready = await client.get("/readyz")
            assert time.monotonic() - started < 5
        await engine.dispose()
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("error")
        count = await session.scalar(select(func.count()).where(Creator.org_id == tenant.org_id))
        assert count == 0


class TestPostgresDown:
    async def test_requests_are_503_naming_postgres(self, settings, database_url, redis):
        url = make_url(database_url).set(host="127.0.0.1", port=free_port())
        closed = url.render_as_string(hide_password=False)
        engine = create_api_engine(closed, pool_size=1)
        app = _build(settings, engine, redis)
        async with _client(app) as client:
            response = await client.get("/v1/creators", headers=bearer("sway_unknown"))
            _assert_unavailable(response, "postgres")
            ready = await client.get("/readyz")
        await engine.dispose()
        assert ready.status_code == 503
        assert ready.json()["checks"]["postgres"].startswith("error")
        assert ready.json()["checks"]["redis"] == "ok"

    async def test_pooled_connection_killed_by_the_server_does_not_fail_the_next_request(
        self, settings, database_url, redis
    ):
        engine = create_api_engine(database_url, pool_size=1, max_overflow=0)
        async with engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        killer = create_api_engine(database_url, pool_size=1)
        async with killer.connect() as connection:
            await connection.scalar(text(f"SELECT pg_terminate_backend({pid})"))
        await killer.dispose()
        await asyncio.sleep(0.2)  # the closed socket reaches the event loop
        app = _build(settings, engine, redis)
        async with _client(app) as client:
            response = await client.get("/readyz")
        await engine.dispose()
        assert response.status_code == 200, response.text


class TestRecovery:
    async def test_redis_back_on_its_port_serves_again_without_restart(
        self, settings, sessionmaker, session, database_url, tmp_path
    ):
        tenant = await create_tenant(session)
        server = EmbeddedRedis(tmp_path, persistent=False).start()
        redis = await create_pool(RedisSettings.from_dsn(server.url))
        engine = create_api_engine(database_url, pool_size=1)
        app = _build(settings, engine, redis, sessionmaker)
        try:
            async with _client(app) as client:
                assert (await client.get("/v1/creators", headers=bearer(tenant.read))).is_success
                server.stop()
                _assert_unavailable(
                    await client.get("/v1/creators", headers=bearer(tenant.read)), "redis"
                )
                assert (await client.get("/readyz")).status_code == 503
                server.start()
                response = await client.get("/v1/creators", headers=bearer(tenant.read))
                assert response.status_code == 200, response.text
                assert (await client.get("/readyz")).status_code == 200
        finally:
            server.stop()
            await redis.aclose()
            await engine.dispose()
