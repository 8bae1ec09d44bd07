"""The deliverable sweep: statuses that follow linked posts and the due time."""

from datetime import UTC, datetime

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.deliverable import service as deliverable_service

log = structlog.get_logger()


async def mark_overdue_deliverables(ctx: WorkerContext) -> dict[str, int]:
    # With the pool: the sweep's `deliverable.overdue` deliveries are queued after its commit.
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        counts = await deliverable_service.mark_overdue(
            session, now=datetime.now(UTC), grace_s=ctx["settings"].deliverable_grace_s
        )
    if any(counts.values()):
        log.info("deliverable statuses updated", **counts)
    return counts
