"""The only module that knows arq's enqueue API.

Services call `jobs.defer(...)`; the commit site (API session dependency, worker unit of work)
flushes the buffer to Redis after a successful commit, and drops it on rollback, so a job never
runs against data that was not committed. The flushes of one turn of the event loop (concurrent
requests, concurrent jobs) share one round trip to Redis; each waits for its own jobs only.

Every job takes one argument: its payload, a `JobPayload` serialized to plain JSON here and read
back by the job with `Payload.read(raw)`, so the fields are typed on both sides and a payload
that no longer matches its model fails loudly instead of shifting positions."""

import asyncio
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import uuid4

from arq.constants import default_queue_name, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from shared.redis_scripts import Script, evalsha_all

if TYPE_CHECKING:
    from arq.connections import ArqRedis

# Job names: "<domain>.<verb>", registered with these names in services/worker/main.py.
SYNC_ACCOUNT = "account.sync"
REFRESH_POSTS = "post.refresh_batch"
RECOMPUTE_KPIS = "campaign.recompute_kpis"
PROCESS_WEBHOOK_EVENT = "webhook.process"
DELIVER_EVENT = "subscription.deliver"
REFRESH_TOKEN = "account.refresh_token"

# KEYS job key, result key, queue; ARGV expiry ms, serialized job, score, job id. arq's own
# enqueue_job does the same check-then-write in a WATCH transaction, one round trip per job;
# as a script, many jobs go out in one pipeline and each stays atomic.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('PSETEX', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
_ENQUEUE_SCRIPT = Script(_ENQUEUE, keys=3)
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
        """Enqueue every pending job, in one round trip with the other flushes of this turn of
        the event loop; a job id already queued (or with a kept result) is skipped, as arq's
        enqueue_job would. Returns the ids enqueued."""
        enqueued = await _enqueue_all(pool, self.pending) if self.pending else []
        for callback in self.callbacks:
            await callback()
        self.clear()
        return enqueued


async def _enqueue_all(pool: "ArqRedis", jobs: list[DeferredJob]) -> list[str]:
    now_ms = _timestamp_ms()
    ids = [job.job_id or uuid4().hex for job in jobs]
    calls = [_script_args(pool, job, job_id, now_ms) for job, job_id in zip(jobs, ids, strict=True)]
    results = await _sender(pool).send(calls)
    return [job_id for job_id, added in zip(ids, results, strict=True) if added]


def _script_args(pool: "ArqRedis", job: DeferredJob, job_id: str, now_ms: int) -> list[Any]:
    """The script's keys, then its arguments, for one job."""
    defer_ms = round(job.defer_by.total_seconds() * 1000) if job.defer_by else 0
    body = serialize_job(job.name, (job.payload,), {}, None, now_ms, serializer=pool.job_serializer)
    keys = [job_key_prefix + job_id, result_key_prefix + job_id, default_queue_name]
    return [*keys, defer_ms + _EXPIRES_EXTRA_MS, body, now_ms + defer_ms, job_id]


# Per Redis pool, forgotten with it.
_SENDERS: "weakref.WeakKeyDictionary[ArqRedis, _Sender]" = weakref.WeakKeyDictionary()


def _sender(pool: "ArqRedis") -> "_Sender":
    sender = _SENDERS.get(pool)
    if sender is None:
        sender = _SENDERS[pool] = _Sender(pool)
    return sender


class _Sender:
    """Sends the enqueues of one turn of the event loop together. Under load many requests
    reach their flush in the same turn (their inserts answered together); one write and one read
    for all of them costs each far less than a round trip of its own. A lone flush waits one turn
    more, nothing else.

    A flush waits for its own replies only. One cancelled meanwhile (its client went away) has
    its jobs queued all the same: they were committed. A Redis that cannot be reached fails every
    flush of the batch, as it would have failed each alone."""

    def __init__(self, pool: "ArqRedis") -> None:
        self.pool = pool
        self.waiting: list[tuple[list[list[Any]], asyncio.Future[list[Any]]]] = []
        self.running: set[asyncio.Task[None]] = set()  # held here so none is collected early

    def send(self, calls: list[list[Any]]) -> "asyncio.Future[list[Any]]":
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[list[Any]] = loop.create_future()
        if not self.waiting:
            # A task's first step runs on the loop's next turn: this turn's flushes are in by then.
            task = loop.create_task(self._send_waiting())
            self.running.add(task)
            task.add_done_callback(self.running.discard)
        self.waiting.append((calls, reply))
        return reply

    async def _send_waiting(self) -> None:
        batch, self.waiting = self.waiting, []
        try:
            every = [call for calls, _ in batch for call in calls]
            results = await evalsha_all(self.pool, _ENQUEUE_SCRIPT, every)
        except asyncio.CancelledError:
            for _, reply in batch:
                reply.cancel()
            raise
        except Exception as exc:
            for _, reply in batch:
                if not reply.done():
                    reply.set_exception(exc)
            return
        at = 0
        for calls, reply in batch:
            mine, at = results[at : at + len(calls)], at + len(calls)
            if reply.done():
                continue
            error = next((result for result in mine if isinstance(result, Exception)), None)
            if error is None:
                reply.set_result(mine)
            else:
                reply.set_exception(error)


def _timestamp_ms() -> int:
    return round(time.time() * 1000)


def backoff(job_try: int, *, base_s: float = 5.0, cap_s: float = 600.0) -> float:
    """Exponential backoff with full jitter for a retried job."""
    return random.uniform(0, min(cap_s, base_s * 2 ** max(0, job_try - 1)))
