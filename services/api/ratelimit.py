"""Authentication and the per-key request budget in one Redis round trip.

A key's principal (organization, key id, scopes) is cached in Redis under the SHA-256 of the
secret, for every API process; Postgres is read only on a miss. The same script counts the
request in a fixed one-minute window per key. Revoking a key deletes its cache entry once the
revocation is committed, so a revoked key stops working at once, everywhere."""

import time
from uuid import UUID

from redis.asyncio import Redis

from shared.domain.organization.schemas import Principal
from shared.errors import TooManyRequests

# How long a looked-up key is trusted without asking Postgres again; also how often its
# last_used_at can be refreshed.
CACHE_TTL_S = 60

# KEYS[1] cached principal, KEYS[2] this minute's counter. Returns {principal fields..., count}.
_LOOKUP_AND_COUNT = """
local principal = redis.call('HMGET', KEYS[1], 'org_id', 'key_id', 'scopes')
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('EXPIRE', KEYS[2], 120) end
return {principal[1], principal[2], principal[3], count}
"""


class AuthCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._lookup = redis.register_script(_LOOKUP_AND_COUNT)

    async def lookup_and_count(self, key_hash: str) -> tuple[Principal | None, int, int]:
        """The cached principal (None on a miss), this minute's request count for the key, and
        the seconds left in the minute."""
        now = time.time()
        window = int(now // 60)
        org_id, key_id, scopes, count = await self._lookup(
            keys=[_principal_key(key_hash), f"ratelimit:{key_hash}:{window}"]
        )
        retry_after = max(1, int((window + 1) * 60 - now))
        if org_id is None:
            return None, int(count), retry_after
        principal = Principal(
            org_id=UUID(org_id.decode()),
            key_id=UUID(key_id.decode()),
            scopes=frozenset(scopes.decode().split(",")),
        )
        return principal, int(count), retry_after

    async def remember(self, key_hash: str, principal: Principal) -> None:
        key = _principal_key(key_hash)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "org_id": str(principal.org_id),
                    "key_id": str(principal.key_id),
                    "scopes": ",".join(sorted(principal.scopes)),
                },
            )
            pipe.expire(key, CACHE_TTL_S)
            await pipe.execute()

    async def forget(self, key_hash: str) -> None:
        await self._redis.delete(_principal_key(key_hash))


def check_budget(count: int, limit_per_minute: int, retry_after_s: int) -> None:
    if count > limit_per_minute:
        raise TooManyRequests(
            f"more than {limit_per_minute} requests this minute for this API key",
            retry_after_s=retry_after_s,
        )


def _principal_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"
