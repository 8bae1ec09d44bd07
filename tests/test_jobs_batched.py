"""Flushes made in the same turn of the event loop (concurrent requests, concurrent jobs) reach
Redis together, in one round trip on one connection, and each still gets only its own answer."""

import asyncio
from uuid import uuid4

import pytest
from arq.connections import ArqRedis
from arq.constants import default_queue_name, job_key_prefix
from arq.jobs import Job
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.embedded import EmbeddedRedis, free_port
from shared.jobs import JobPayload, JobQueue


class Ping(JobPayload):
    n: int


def _queue(*jobs: tuple[str, int]) -> JobQueue:
    queue = JobQueue()
    for job_id, n in jobs:
        queue.defer("demo.ping", Ping(n=n), job_id=job_id)
    return queue


async def _connections(redis: ArqRedis, name: str) -> int:
    return sum(1 for client in await redis.client_list() if client["name"] == name)


class TestOneTurnOneRoundTrip:
    async def test_concurrent_flushes_share_one_connection(self, redis, redis_url):
        name = f"batch-{uuid4().hex[:8]}"
        named = ArqRedis.from_url(redis_url, client_name=name)
        try:
            flushes = [_queue((f"ping:b{n}", n)).flush(named) for n in range(20)]
            answers = await asyncio.gather(*flushes)
            # Twenty enqueues at once would have taken twenty connections from the pool.
            assert await _connections(redis, name) == 1
        finally:
            await named.aclose()
        assert answers == [[f"ping:b{n}"] for n in range(20)]
        assert await redis.zcard(default_queue_name) == 20

    async def test_each_flush_gets_its_own_answer(self, redis):
        await _queue(("ping:queued", 0)).flush(redis)
        both = _queue(("ping:queued", 1), ("ping:new", 2), ("ping:twice", 3))
        late = _queue(("ping:twice", 4), ("ping:own", 5))
        answers = await asyncio.gather(both.flush(redis), late.flush(redis))
        # In the order the flushes came: `both` takes ping:twice first, `late` finds it queued.
        assert answers == [["ping:new", "ping:twice"], ["ping:own"]]
        assert (await Job("ping:twice", redis).info()).args == ({"n": 3},)
        assert (await Job("ping:queued", redis).info()).args == ({"n": 0},)


class TestRedis:
    async def test_a_server_without_the_script_gets_it_loaded(self, tmp_path):
        server = EmbeddedRedis(tmp_path, persistent=False).start()
        fresh = ArqRedis.from_url(server.url)
        try:
            # A new server has no script cached: a batch, then (cache flushed) a lone flush.
            answers = await asyncio.gather(*(_queue((f"ping:{n}", n)).flush(fresh) for n in (1, 2)))
            await fresh.script_flush()
            alone = await _queue(("ping:3", 3)).flush(fresh)
            assert (answers, alone) == ([["ping:1"], ["ping:2"]], ["ping:3"])
            assert await fresh.zcard(default_queue_name) == 3
        finally:
            await fresh.aclose()
            server.stop()

    async def test_unreachable_fails_every_flush_of_the_batch(self):
        closed = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
        try:
            flushes = [_queue((f"ping:{n}", n)).flush(closed) for n in range(3)]
            answers = await asyncio.gather(*flushes, return_exceptions=True)
        finally:
            await closed.aclose()
        assert [type(answer) for answer in answers] == [RedisConnectionError] * 3

    async def test_a_cancelled_flush_still_queues_its_committed_jobs(self, redis):
        flush = asyncio.create_task(_queue(("ping:gone", 1)).flush(redis))
        await asyncio.sleep(0)  # the flush has handed its job over and waits for the answer
        flush.cancel()
        with pytest.raises(asyncio.CancelledError):
            await flush
        for _ in range(100):
            if await redis.exists(job_key_prefix + "ping:gone"):
                break
            await asyncio.sleep(0.01)
        assert (await Job("ping:gone", redis).info()).args == ({"n": 1},)
