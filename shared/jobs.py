"""The only module that knows arq's enqueue API.

Services call `jobs.defer(...)`; the commit site (API session dependency, worker unit of work)
flushes the buffer to Redis after a successful commit, and drops it on rollback, so a job never
runs against data that was not committed.

Every job takes one argument: its payload, a `JobPayload` serialized to plain JSON here and read
back by the job with `Payload.read(raw)`, so the fields are typed on both sides and a payload
that no longer matches its model fails loudly instead of shifting positions."""

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import uuid4

from arq.constants import default_queue_name, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from arq.connections import ArqRedis

# Job names: "<domain>.<verb>", registered with these names in services/worker/main.py.
SYNC_ACCOUNT = "account.sync"
REFRESH_POSTS = "post.refresh_batch"
RECOMPUTE_KPIS = "campaign.recompute_kpis"
PROCESS_WEBHOOK_EVENT = "webhook.process"
DELIVER_EVENT = "subscription.deliver"

# KEYS job key, result key, queue; ARGV expiry ms, serialized job, score, job id. arq's own
# enqueue_job does the same check-then-write in a WATCH transaction, one round trip per job;
# as a script, a whole buffer of jobs goes out in one pipeline and each stays atomic.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('PSETEX', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
# arq's default: a job not started within a day (plus its deferral) expires.
_EXPIRES_EXTRA_MS = 86_400_000


class JobPayload(BaseModel):
    """Base of every job's payload: frozen, no unknown fields, JSON on the wire."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def read(cls, raw: dict[str, Any]) -> Self:
        return cls.model_validate(raw)


@dataclass(frozen=True, slots=True)
class DeferredJob:
    name: str
    payload: dict[str, Any]
    job_id: str | None
    defer_by: timedelta | None


@dataclass
class JobQueue:
    pending: list[DeferredJob] = field(default_factory=list)
    # Other side effects that must wait for the commit (e.g. dropping a revoked key's cache).
    callbacks: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    @classmethod
    def attach(cls, session: AsyncSession) -> "JobQueue":
        queue = cls()
        session.info["jobs"] = queue
        return queue

    @classmethod
    def of(cls, session: AsyncSession) -> "JobQueue":
        return session.info.setdefault("jobs", cls())

    def defer(
        self,
        name: str,
        payload: JobPayload,
        *,
        job_id: str | None = None,
        defer_by: timedelta | None = None,
    ) -> None:
        self.pending.append(DeferredJob(name, payload.dump(), job_id, defer_by))

    def on_commit(self, callback: Callable[[], Awaitable[Any]]) -> None:
        self.callbacks.append(callback)

    def clear(self) -> None:
        self.pending.clear()
        self.callbacks.clear()

    async def flush(self, pool: "ArqRedis") -> list[str]:
        """Enqueue every pending job in one pipeline; a job id already queued (or with a kept
        result) is skipped, as arq's enqueue_job would. Returns the ids enqueued."""
        enqueued = await _enqueue_all(pool, self.pending) if self.pending else []
        for callback in self.callbacks:
            await callback()
        self.clear()
        return enqueued


async def _enqueue_all(pool: "ArqRedis", jobs: list[DeferredJob]) -> list[str]:
    script = pool.register_script(_ENQUEUE)
    now_ms = _timestamp_ms()
    ids = [job.job_id or uuid4().hex for job in jobs]
    calls = [_script_call(pool, job, job_id, now_ms) for job, job_id in zip(jobs, ids, strict=True)]
    if len(calls) == 1:
        # One job (an inbound webhook, a refresh request): a plain EVALSHA is one round trip,
        # where a pipeline adds redis-py's SCRIPT EXISTS check before it.
        results = [await script(**calls[0])]
    else:
        async with pool.pipeline(transaction=False) as pipe:
            for call in calls:
                await script(**call, client=pipe)
            results = await pipe.execute()
    return [job_id for job_id, added in zip(ids, results, strict=True) if added]


def _script_call(pool: "ArqRedis", job: DeferredJob, job_id: str, now_ms: int) -> dict[str, list]:
    defer_ms = round(job.defer_by.total_seconds() * 1000) if job.defer_by else 0
    body = serialize_job(job.name, (job.payload,), {}, None, now_ms, serializer=pool.job_serializer)
    return {
        "keys": [job_key_prefix + job_id, result_key_prefix + job_id, default_queue_name],
        "args": [defer_ms + _EXPIRES_EXTRA_MS, body, now_ms + defer_ms, job_id],
    }


def _timestamp_ms() -> int:
    return round(time.time() * 1000)


def backoff(job_try: int, *, base_s: float = 5.0, cap_s: float = 600.0) -> float:
    """Exponential backoff with full jitter for a retried job."""
    return random.uniform(0, min(cap_s, base_s * 2 ** max(0, job_try - 1)))
