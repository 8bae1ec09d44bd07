"""Request budgets per platform and credential, in Redis (DESIGN.md, "Ingestion").

Every worker process shares one bucket per `budget:{platform}:{credential}` hash
{tat, paused_until}. The bucket is a GCRA (generic cell rate algorithm): `tat`, the theoretical
arrival time, is when the bucket would be full again. A call of `cost` moves it `cost / rate`
ahead, and is allowed once `tat` is at most `capacity / rate` (the burst) in the future. Unlike a
token bucket, a caller can *reserve*: take its tokens now and be told when they are its to spend,
so n batches waiting on an empty bucket queue up one behind the other instead of all waking at the
same instant. Each step is one Lua script, so concurrent workers never spend the same token twice.
Time comes from the caller's clock, not Redis TIME, so tests are deterministic.

Burst: a bucket holds at most the calls of 1/60 of its period (YouTube: 166 of 10,000 a day), but
never fewer than one Meta batch (50 calls) and never more than the whole limit. Refill runs at
calls/per_s. A full bucket can spend `capacity` on top of the steady rate, so a small burst keeps
any period's total close to the documented limit.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from shared.config import Settings
from shared.platforms import meta

# A Meta batch of 50 ids counts as 50 calls; a smaller bucket could never serve one.
MIN_BURST = meta.BATCH_LIMIT
BURST_FRACTION = 1 / 60

# KEYS[1] bucket; ARGV now, capacity, rate (tokens/s), cost, ttl (s), max_wait (s).
# Returns {reserved (0/1), delay (s, a string: Redis truncates Lua numbers to ints)}: reserved with
# delay 0 is "spend now"; reserved with a delay is "yours at now + delay"; not reserved means
# nothing was taken, because the bucket is paused or the wait would exceed max_wait.
_RESERVE = """
local now, capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, ttl, max_wait = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused_until')
local paused_until = tonumber(state[2]) or 0
if paused_until > now then
  return {0, string.format('%.17g', paused_until - now)}
end
-- Workers' clocks differ: a lagging clock never refills for time already counted.
local tat = math.max(tonumber(state[1]) or now, now)
local new_tat = tat + cost / rate
local delay = new_tat - capacity / rate - now
-- Float rounding (epoch seconds carry ~1e-7 s of precision, summed per take) must not refuse
-- the last token of a burst by a hair: a millisecond is nothing to any platform limit.
if delay < 0.001 then delay = 0 end
if delay > max_wait then
  return {0, string.format('%.17g', delay)}
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.17g', new_tat))
-- A bucket reserved far ahead must outlive its usual expiry, or the reservations would vanish.
redis.call('EXPIRE', KEYS[1], math.max(ttl, math.ceil(new_tat - now)))
return {1, string.format('%.17g', delay)}
"""

# KEYS[1] bucket; ARGV now, seconds, ttl (s). Keeps the later of the old and the new pause end.
_PAUSE = """
local now, until_ = tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
until_ = math.max(current, until_)
redis.call('HSET', KEYS[1], 'paused_until', string.format('%.17g', until_))
-- The pause must outlive the bucket's usual expiry, or a long pause would silently vanish.
redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[3]), math.ceil(until_ - now)))
"""


@dataclass(frozen=True)
class Limit:
    calls: int
    per_s: float

    def __post_init__(self) -> None:
        if self.calls < 1 or not 0 < self.per_s < math.inf:
            raise ValueError(f"a limit needs calls >= 1 and 0 < per_s < inf, not {self}")

    @property
    def rate(self) -> float:
        """Tokens refilled per second."""
        return self.calls / self.per_s

    @property
    def capacity(self) -> int:
        return min(self.calls, max(MIN_BURST, int(self.calls * BURST_FRACTION)))

    @property
    def ttl_s(self) -> int:
        # An idle bucket is full again after capacity/rate <= per_s, so forgetting it after two
        # periods loses nothing.
        return math.ceil(2 * self.per_s)


def limit_for(settings: Settings, platform: str) -> Limit:
    value = getattr(settings, f"budget_{platform}", None)
    if not isinstance(value, str):
        raise ValueError(f"no request budget is configured for platform {platform!r}")
    calls, _, seconds = value.partition("/")
    return Limit(int(calls), float(seconds))


@dataclass(frozen=True, slots=True)
class Reservation:
    reserved: bool
    delay_s: float


class Budget:
    def __init__(
        self, redis: Redis, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._redis = redis
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)

    async def take(self, platform: str, credential: str, cost: int = 1) -> float:
        """Take `cost` tokens now: 0.0 if taken, else the seconds to wait (nothing is taken then),
        including the rest of a pause."""
        reservation = await self.reserve(platform, credential, cost, max_wait_s=0.0)
        return 0.0 if reservation.reserved else reservation.delay_s

    async def reserve(
        self, platform: str, credential: str, cost: int, *, max_wait_s: float
    ) -> "Reservation":
        """Reserve `cost` tokens if they are free within `max_wait_s`: the caller then spends
        them after `delay_s` without asking again. Otherwise nothing is taken and `delay_s` says
        how long until they would be free (or the rest of a pause)."""
        limit = limit_for(self._settings, platform)
        if not 1 <= cost <= limit.capacity:
            # A batch is sized to fit its bucket's burst; a bigger one could never run at once.
            raise ValueError(
                f"cost must be between 1 and {platform}'s bucket capacity {limit.capacity}, "
                f"not {cost}"
            )
        args = [
            repr(self._clock()),
            limit.capacity,
            repr(limit.rate),
            cost,
            limit.ttl_s,
            repr(float(max_wait_s)),
        ]
        reserved, delay = await self._reserve(keys=[_key(platform, credential)], args=args)
        return Reservation(reserved=bool(int(reserved)), delay_s=float(delay))

    async def pause(self, platform: str, credential: str, seconds: float) -> None:
        """Honour a platform's throttle: no take succeeds for `seconds`. A longer pause already
        in place is kept."""
        if seconds <= 0:
            return
        limit = limit_for(self._settings, platform)
        args = [repr(self._clock()), repr(float(seconds)), limit.ttl_s]
        await self._pause(keys=[_key(platform, credential)], args=args)

    async def paused_for(self, platform: str, credential: str) -> float:
        until = await self._redis.hget(_key(platform, credential), "paused_until")
        return 0.0 if until is None else max(0.0, float(until) - self._clock())


def _key(platform: str, credential: str) -> str:
    return f"budget:{platform}:{credential}"
