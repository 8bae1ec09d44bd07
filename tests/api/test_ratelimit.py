"""The auth cache's lookups made together: one pipeline for all, each with its own answer."""

import asyncio
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.api.ratelimit import AuthCache
from shared.domain.organization.schemas import Principal
from shared.embedded import EmbeddedRedis, free_port


def _principal() -> Principal:
    return Principal(org_id=uuid4(), key_id=uuid4(), scopes=frozenset({"read"}))


async def _reads_processed(redis: Redis) -> int:
    return int((await redis.info("stats"))["total_reads_processed"])


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

    async def test_they_reach_redis_in_one_read(self, tmp_path):
        # A server of its own: its statistics count this test's commands and nothing else.
        server = EmbeddedRedis(tmp_path, persistent=False).start()
        redis = Redis.from_url(server.url)
        try:
            cache = AuthCache(redis)
            await cache.lookup_and_count("warm", "10.0.0.1")  # the script is loaded once
            before = await _reads_processed(redis)
            await asyncio.gather(*(cache.lookup_and_count("k", "10.0.0.1") for _ in range(20)))
            # One read for the 20 lookups, one for this INFO.
            assert await _reads_processed(redis) - before == 2
        finally:
            await redis.aclose()
            server.stop()

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
