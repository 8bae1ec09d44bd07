"""Authentication and the per-key request budget in one Redis round trip.

A key's principal (organization, key id, scopes) is cached in Redis under the SHA-256 of the
secret, for every API process; Postgres is read only on a miss. The same script counts the
request in a fixed one-minute window per key.

A hash that does not authenticate is marked *denied*: briefly for an unknown key (so retrying a
bogus key does not reach Postgres each time), for a day for a revoked one. The lookup answers a
denied hash without Postgres, and each such failure counts against the caller's address; too many
a minute is 429. Only failures count, so a valid key is never refused because of its address.

Revocation wins every race: after its commit it marks the hash denied and then drops the cached
principal, and caching a principal is a script that refuses a denied hash. A lookup that read the
key from Postgres before the revocation committed either caches it before the drop (and loses it
there) or tries after the mark (and is refused).

Every request makes the lookup, so lookups made together travel together (`Coalesced`): one
pipeline, one write and one read for all of them, rather than a round trip each. Each is still
its own script call with its own answer or error."""

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from shared.domain.organization.schemas import Principal
from shared.errors import TooManyRequests
from shared.redis_scripts import Script, evalsha_all

# How long a looked-up key is trusted without asking Postgres again; also how often its
# last_used_at can be refreshed.
CACHE_TTL_S = 60
# How long a revoked key's hash stays denied. A revocation is final, so this only has to outlast
# any lookup that was in flight when it happened (see `AuthCache.remember`).
REVOKED_TTL_S = 24 * 3600

# KEYS[1] cached principal, KEYS[2] the key's counter this minute, KEYS[3] the denied mark,
# KEYS[4] the caller address's failure counter this minute.
# Returns {org_id, key_id, scopes, count, denied failures (0 unless denied)}. A denied hash is
# not counted against a key budget: it belongs to no key.
_LOOKUP_AND_COUNT = """
local principal = redis.call('HMGET', KEYS[1], 'org_id', 'key_id', 'scopes')
if not principal[1] and redis.call('EXISTS', KEYS[3]) == 1 then
  local failures = redis.call('INCR', KEYS[4])
  if failures == 1 then redis.call('EXPIRE', KEYS[4], 120) end
  return {false, false, false, 0, failures}
end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('EXPIRE', KEYS[2], 120) end
return {principal[1], principal[2], principal[3], count, 0}
"""

# KEYS[1] cached principal, KEYS[2] the denied mark; ARGV org_id, key_id, scopes, ttl.
_REMEMBER = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'org_id', ARGV[1], 'key_id', ARGV[2], 'scopes', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

# KEYS[1] the denied mark, KEYS[2] the address's failure counter; ARGV[1] the mark's TTL.
# NX: an unknown-key mark never shortens a revoked key's.
_DENY_UNKNOWN = """
redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1])
local failures = redis.call('INCR', KEYS[2])
if failures == 1 then redis.call('EXPIRE', KEYS[2], 120) end
return failures
"""


@dataclass(frozen=True, slots=True)
class Lookup:
    principal: Principal | None  # None: not cached (or denied)
    count: int  # this minute's requests for the key
    retry_after_s: int  # seconds left in this minute
    failures: int  # this minute's failed attempts from the address, when `denied`

    @property
    def denied(self) -> bool:
        return self.failures > 0


class Coalesced:
    """Calls of one script sent to Redis together in one round trip (shared.redis_scripts: one
    pipeline, not a transaction, each call atomic by itself as a script): one write and one read
    serve them all, and Redis too reads and answers them at once. A call made while no pipeline
    is out goes at the event loop's next turn, with the calls made in the same turn; one made
    while a pipeline is out waits for its answers, then goes with every call made meanwhile. So
    under load the requests share a round trip, and alone a call waits only for the loop's next
    turn. An error reaching Redis (it is down) is the error of every call in that pipeline."""

    def __init__(self, redis: Redis, script: Script) -> None:
        self._redis = redis
        self._script = script
        self._waiting: list[tuple[Sequence[str], asyncio.Future[Any]]] = []
        self._out: asyncio.Task[None] | None = None  # the pipeline out, held: the loop won't

    async def __call__(self, keys: Sequence[str]) -> Any:
        loop = asyncio.get_running_loop()
        if not self._waiting and self._out is None:
            loop.call_soon(self._send)
        answer = loop.create_future()
        self._waiting.append((keys, answer))
        return await answer

    def _send(self) -> None:
        calls, self._waiting = self._waiting, []
        self._out = asyncio.ensure_future(self._run(calls))
        self._out.add_done_callback(self._answered)

    def _answered(self, _: asyncio.Task[None]) -> None:
        self._out = None
        if self._waiting:
            self._send()

    async def _run(self, calls: list[tuple[Sequence[str], asyncio.Future[Any]]]) -> None:
        try:
            results = await evalsha_all(self._redis, self._script, [keys for keys, _ in calls])
        except asyncio.CancelledError:  # the loop is closing: so are the requests waiting
            for _, answer in calls:
                answer.cancel()
            raise
        except Exception as exc:  # noqa: BLE001  (handed to every caller, who raises it)
            results = [exc] * len(calls)
        for (_, answer), result in zip(calls, results, strict=True):
            if answer.done():  # its request was cancelled meanwhile
                continue
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set_result(result)


class AuthCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._lookup = Coalesced(redis, Script(_LOOKUP_AND_COUNT, keys=4))
        self._remember = redis.register_script(_REMEMBER)
        self._deny_unknown = redis.register_script(_DENY_UNKNOWN)

    async def lookup_and_count(self, key_hash: str, client: str) -> Lookup:
        now = time.time()
        window = int(now // 60)
        org_id, key_id, scopes, count, failures = await self._lookup(
            [
                _principal_key(key_hash),
                f"ratelimit:{key_hash}:{window}",
                _denied_key(key_hash),
                _failures_key(client, window),
            ]
        )
        retry_after = max(1, int((window + 1) * 60 - now))
        principal = None if org_id is None else _principal(org_id, key_id, scopes)
        return Lookup(principal, int(count), retry_after, int(failures))

    async def remember(self, key_hash: str, principal: Principal) -> bool:
        """Cache a principal read from Postgres, unless its hash was denied meanwhile (revoked
        since the read). False when refused."""
        scopes = ",".join(sorted(principal.scopes))
        args = [str(principal.org_id), str(principal.key_id), scopes, CACHE_TTL_S]
        keys = [_principal_key(key_hash), _denied_key(key_hash)]
        return bool(await self._remember(keys=keys, args=args))

    async def deny_unknown(self, key_hash: str, client: str, ttl_s: int) -> int:
        """Mark a hash Postgres does not know and count the failure against the address;
        returns this minute's failures from it."""
        window = int(time.time() // 60)
        keys = [_denied_key(key_hash), _failures_key(client, window)]
        return int(await self._deny_unknown(keys=keys, args=[ttl_s]))

    async def forget(self, key_hash: str) -> None:
        """After a revocation committed: deny the hash first, then drop its cached principal,
        so no lookup still in flight can put it back."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_denied_key(key_hash), "1", ex=REVOKED_TTL_S)
            pipe.delete(_principal_key(key_hash))
            await pipe.execute()

    async def allow(self, key_hash: str) -> None:
        """After a key was created: its hash is not denied, whatever was tried before."""
        await self._redis.delete(_denied_key(key_hash))


@functools.lru_cache(maxsize=4096)
def _principal(org_id: bytes, key_id: bytes, scopes: bytes) -> Principal:
    """A cached principal as Redis holds it, parsed once per process rather than on every
    request (4 us: two UUIDs and a set): the same fields always make the same frozen value.
    Only the parsing is kept: whether the key is still valid is Redis's answer each time."""
    return Principal(
        org_id=UUID(org_id.decode()),
        key_id=UUID(key_id.decode()),
        scopes=frozenset(scopes.decode().split(",")),
    )


def check_budget(count: int, limit_per_minute: int, retry_after_s: int) -> None:
    if count > limit_per_minute:
        raise TooManyRequests(
            f"more than {limit_per_minute} requests this minute for this API key",
            retry_after_s=retry_after_s,
        )


def check_failures(failures: int, limit_per_minute: int, retry_after_s: int) -> None:
    if failures > limit_per_minute:
        raise TooManyRequests(
            f"more than {limit_per_minute} failed authentications this minute from this address",
            retry_after_s=retry_after_s,
        )


def _principal_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


def _denied_key(key_hash: str) -> str:
    return f"apikey:denied:{key_hash}"


def _failures_key(client: str, window: int) -> str:
    return f"authfail:{client}:{window}"
