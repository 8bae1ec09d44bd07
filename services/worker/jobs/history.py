"""The daily history maintenance (shared/domain/history): month partitions made ahead, rows the
DEFAULT partition caught moved into their month, then the opt-in retention. Each step is its own
transaction, so a partition's locks last one step, not the whole run. Safe to skip a day (three
months are ready ahead) and to run twice or on two workers at once (each step takes a lock and
finds the other's work done)."""

from datetime import UTC, datetime

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.history import service as history_service

log = structlog.get_logger()


async def maintain_history(ctx: WorkerContext) -> str:
    settings = ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        created = await history_service.ensure_partitions(
            session, now=datetime.now(UTC), ahead=settings.history_partitions_ahead
        )
    if created.partitions:
        log.info(
            "history partitions created",
            partitions=created.partitions,
            rows_moved_from_default=created.rows_moved,
        )
    async with unit_of_work(ctx["sessionmaker"]) as session:
        retained = await history_service.apply_retention(
            session, now=datetime.now(UTC), settings=settings
        )
    if retained.detached or retained.dropped or any(retained.thinned.values()):
        log.info(
            "history retention applied",
            detached=retained.detached,
            dropped=retained.dropped,
            thinned=retained.thinned,
        )
    return (
        f"created {len(created.partitions)} (moved {created.rows_moved}),"
        f" detached {len(retained.detached)}, dropped {len(retained.dropped)},"
        f" thinned {sum(retained.thinned.values())}"
    )
