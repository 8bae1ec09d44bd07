"""Refresh jobs' writes, made together.

Under load a worker's jobs come back from their platform calls faster than Postgres takes one
transaction each, and most of a small batch's write is the transaction and the statement, not
its rows. So a job hands its batch to the worker's `BatchWriter` and waits: the writer writes
every batch that gathered while its earlier writes ran in one transaction (one statement per
organization for the counts and snapshots), with at most `SWAY_WORKER_WRITE_FLUSHES` such
writes at once. A job whose batch is alone is written at once, as before; nothing waits for a
timer.

For the job nothing changes: `write` returns when its batch is committed, with its own figures,
or raises its own error. When a write of several batches fails, each is written again alone, so
one batch's fault is its job's alone (and a batch's lease still fences every row, together or
not)."""

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

import structlog
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config import Settings
from shared.db import unit_of_work
from shared.domain.post import ingest
from shared.domain.post.ingest import Fetched, Recorded

log = structlog.get_logger()

# A bound on one transaction's size: a backlog is written in several, not one long one that
# holds every row lock until it ends.
MAX_ROWS = 2_000

Waiting = tuple[Fetched, "asyncio.Future[Recorded]"]


class BatchWriter:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: ArqRedis | None,
        settings: Settings,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._settings = settings
        self._waiting: deque[Waiting] = deque()
        self._writers: set[asyncio.Task] = set()  # held, so the loop does not drop them
        # Writers still taking batches: counted in _drain itself, not by the tasks' ends, which
        # come a loop turn later (a batch handed over in between would find no writer free to
        # start and none left to take it).
        self._draining = 0
        self._flushing = 0  # writes under way
        self.transactions = 0  # committed, for the log and the tests

    @classmethod
    def of(cls, ctx: dict[str, Any]) -> "BatchWriter":
        """The worker's one writer, made on first use from the job context."""
        if (writer := ctx.get("batch_writer")) is None:
            writer = cls(ctx["sessionmaker"], ctx.get("redis"), ctx["settings"])
            ctx["batch_writer"] = writer
        return writer

    async def write(self, fetched: Fetched) -> Recorded:
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._waiting.append((fetched, future))
        if self._draining < self._settings.worker_write_flushes:
            self._draining += 1
            task = asyncio.create_task(self._drain())
            self._writers.add(task)
            task.add_done_callback(self._writers.discard)
        return await future

    async def close(self) -> None:
        """Wait for the writes under way (the worker's shutdown)."""
        await asyncio.gather(*self._writers, return_exceptions=True)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                taken = self._take()
                self._flushing += 1
                try:
                    await self._flush(taken)
                finally:
                    self._flushing -= 1
        finally:
            self._draining -= 1

    def _take(self) -> list[Waiting]:
        """This write's share of the waiting batches: the writes free to start split them, so
        a backlog keeps every one busy rather than one with everything."""
        free = self._settings.worker_write_flushes - self._flushing
        share = -(-len(self._waiting) // max(free, 1))
        taken, rows = [], 0
        while self._waiting and len(taken) < share:
            if taken and rows + len(self._waiting[0][0].posts) > MAX_ROWS:
                break
            waiting = self._waiting.popleft()
            taken.append(waiting)
            rows += len(waiting[0].posts)
        return taken

    async def _flush(self, taken: Sequence[Waiting]) -> None:
        try:
            async with unit_of_work(self._sessionmaker, self._redis) as session:
                recorded = await ingest.record_batches(
                    session, [fetched for fetched, _ in taken], settings=self._settings
                )
        except Exception as exc:
            if len(taken) == 1:
                _settle(taken[0][1], error=exc)
                return
            log.warning(
                "batches written together failed; writing each alone",
                batches=len(taken),
                error=str(exc),
            )
            for one in taken:
                await self._flush([one])
            return
        self.transactions += 1
        if len(taken) > 1:
            log.debug("batches written together", batches=len(taken))
        for (_, future), result in zip(taken, recorded, strict=True):
            _settle(future, result=result)


def _settle(
    future: "asyncio.Future[Recorded]",
    *,
    result: Recorded | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():  # its job was cancelled (timed out) while it waited
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
