"""Calls of one Lua script sent to Redis together: what the job queue's enqueues and the API's
auth lookups share. Scripts are called by their SHA (EVALSHA) and loaded when Redis answers
NOSCRIPT (it restarted, or was flushed)."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError


@dataclass(frozen=True)
class Script:
    source: str
    keys: int  # how many of each call's arguments are keys
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode()).hexdigest())


async def evalsha_all(redis: Redis, script: Script, calls: Sequence[Sequence[Any]]) -> list[Any]:
    """Each call's reply, or the error Redis answered it with, in one round trip: a plain
    EVALSHA for one call, a pipeline (not a transaction: each call is atomic by itself) for more,
    not redis-py's script objects, whose pipelines ask SCRIPT EXISTS first. Calls answered
    NOSCRIPT are sent once more after loading it. An error reaching Redis is raised."""
    if len(calls) == 1:
        try:
            return [await redis.evalsha(script.sha, script.keys, *calls[0])]
        except NoScriptError:
            await redis.script_load(script.source)
            return [await redis.evalsha(script.sha, script.keys, *calls[0])]
    results = await _pipelined(redis, script, calls)
    unloaded = [n for n, result in enumerate(results) if isinstance(result, NoScriptError)]
    if unloaded:
        await redis.script_load(script.source)
        again = await _pipelined(redis, script, [calls[n] for n in unloaded])
        for n, result in zip(unloaded, again, strict=True):
            results[n] = result
    return results


async def _pipelined(redis: Redis, script: Script, calls: Sequence[Sequence[Any]]) -> list[Any]:
    async with redis.pipeline(transaction=False) as pipe:
        for call in calls:
            pipe.evalsha(script.sha, script.keys, *call)
        return await pipe.execute(raise_on_error=False)
