"""The auth cache's lookups made together: one pipeline for all, each with its own answer."""

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.api.ratelimit import AuthCache
from shared.domain.organization.schemas import Principal
from shared.embedded import EmbeddedRedis, free_port


def _principal() -> Principal:
    return Principal(org_id=uuid4(), key_id=uuid4(), scopes=frozenset({"read"}))


@pytest.fixture
async def own_redis(tmp_path) -> AsyncIterator[tuple[Redis, Redis]]:
    """A server of its own, whose statistics count this test's commands and nothing else: a
    client for the cache, and one, already connected, to read the statistics."""
    server = EmbeddedRedis(tmp_path, persistent=False).start()
    redis, stats = Redis.from_url(server.url), Redis.from_url(server.url)
    await stats.ping()
    try:
        yield redis, stats
    finally:
        await redis.aclose()
        await stats.aclose()
        server.stop()


async def _stats(stats: Redis) -> tuple[int, int]:
    """(reads the server made, connections it accepted) so far, this asking included."""
    info = await stats.info("stats")
    return int(info["total_reads_processed"]), int(info["total_connections_received"])


class TestLookupsTogether:
    async def test_each_is_counted_and_answered(self, redis):
        cache, principal = AuthCache(redis), _principal()
        await cache.remember("known", principal)
        found = await asyncio.gather(
            *(cache.lookup_and_count("known", "10.0.0.1") for _ in range(20)),
            cache.lookup_and_count("unknown", "10.0.0.1"),
        )
        assert sorted(lookup.count for lookup in found[:20]) == list(range(1, 21))
        assert {lookup.principal for lookup in found[:20]} == {principal}
        assert found[20].principal is None and found[20].count == 1

    async def test_they_reach_redis_in_one_read(self, own_redis):
        redis, stats = own_redis
        cache = AuthCache(redis)
        await cache.lookup_and_count("warm", "10.0.0.1")  # connected, the script loaded
        reads, _ = await _stats(stats)
        await asyncio.gather(*(cache.lookup_and_count("k", "10.0.0.1") for _ in range(20)))
        # One read for the 20 lookups, one for this asking.
        assert (await _stats(stats))[0] - reads == 2

    async def test_those_made_while_a_pipeline_is_out_follow_it_together(self, own_redis):
        redis, stats = own_redis
        cache = AuthCache(redis)
        await cache.lookup_and_count("warm", "10.0.0.1")
        reads, connections = await _stats(stats)
        first = asyncio.ensure_future(cache.lookup_and_count("k", "10.0.0.1"))
        await asyncio.sleep(0)  # the first lookup is made...
        await asyncio.sleep(0)  # ...and its pipeline sent
        assert cache._lookup._out is not None
        later = await asyncio.gather(*(cache.lookup_and_count("k", "10.0.0.1") for _ in range(9)))
        assert (await first).count == 1
        assert sorted(lookup.count for lookup in later) == list(range(2, 11))
        now_reads, now_connections = await _stats(stats)
        # A read each for the first and the nine, one for this asking; on the one connection.
        assert (now_reads - reads, now_connections - connections) == (3, 0)

    async def test_a_cancelled_lookup_leaves_the_others_answered(self, redis):
        cache = AuthCache(redis)
        cancelled = asyncio.ensure_future(cache.lookup_and_count("k", "10.0.0.1"))
        others = [asyncio.ensure_future(cache.lookup_and_count("k", "10.0.0.1")) for _ in range(3)]
        await asyncio.sleep(0)
        cancelled.cancel()
        counts = [lookup.count for lookup in await asyncio.gather(*others)]
        # The cancelled request was already on its way: Redis counted it.
        assert sorted(counts) in ([1, 2, 3], [1, 2, 4], [1, 3, 4], [2, 3, 4])
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    async def test_a_script_redis_forgot_is_loaded_again(self, redis):
        cache = AuthCache(redis)
        assert (await cache.lookup_and_count("k", "10.0.0.1")).count == 1
        await redis.script_flush()  # as after a Redis restart
        found = await asyncio.gather(*(cache.lookup_and_count("k", "10.0.0.1") for _ in range(3)))
        assert sorted(lookup.count for lookup in found) == [2, 3, 4]

    async def test_redis_down_is_every_callers_error(self):
        redis = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
        cache = AuthCache(redis)
        found = await asyncio.gather(
            *(cache.lookup_and_count("k", "10.0.0.1") for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(error, RedisConnectionError) for error in found), found
        await redis.aclose()
