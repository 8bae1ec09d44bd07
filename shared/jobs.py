"""The only module that knows arq's enqueue API.

Services call `jobs.defer(...)`; the commit site (API session dependency, worker unit of work)
flushes the buffer to Redis after a successful commit, and drops it on rollback, so a job never
runs against data that was not committed."""

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from arq.connections import ArqRedis

# Job names: "<domain>.<verb>", registered with these names in services/worker/main.py.
SYNC_ACCOUNT = "account.sync"
REFRESH_POSTS = "post.refresh_batch"
RECOMPUTE_KPIS = "campaign.recompute_kpis"


@dataclass(frozen=True, slots=True)
class DeferredJob:
    name: str
    args: tuple[Any, ...]
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
        self, name: str, *args: Any, job_id: str | None = None, defer_by: timedelta | None = None
    ) -> None:
        self.pending.append(DeferredJob(name, args, job_id, defer_by))

    def on_commit(self, callback: Callable[[], Awaitable[Any]]) -> None:
        self.callbacks.append(callback)

    def clear(self) -> None:
        self.pending.clear()
        self.callbacks.clear()

    async def flush(self, pool: "ArqRedis") -> list[str]:
        enqueued = []
        for job in self.pending:
            result = await pool.enqueue_job(
                job.name, *job.args, _job_id=job.job_id, _defer_by=job.defer_by
            )
            if result is not None:
                enqueued.append(result.job_id)
        for callback in self.callbacks:
            await callback()
        self.clear()
        return enqueued


def backoff(job_try: int, *, base_s: float = 5.0, cap_s: float = 600.0) -> float:
    """Exponential backoff with full jitter for arq `Retry(defer=...)`."""
    return random.uniform(0, min(cap_s, base_s * 2 ** max(0, job_try - 1)))
