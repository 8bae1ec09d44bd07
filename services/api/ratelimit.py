"""Per-key request budget: a fixed one-minute window counted in Redis, shared by every API
process, one round trip per request."""

import time
from uuid import UUID

from redis.asyncio import Redis

from shared.errors import TooManyRequests


async def check(redis: Redis, key_id: UUID, limit_per_minute: int) -> None:
    now = time.time()
    window = int(now // 60)
    counter = f"ratelimit:{key_id}:{window}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, 120)
        count, _ = await pipe.execute()
    if count > limit_per_minute:
        retry_after = max(1, int((window + 1) * 60 - now))
        raise TooManyRequests(
            f"more than {limit_per_minute} requests this minute for this API key",
            retry_after_s=retry_after,
        )
