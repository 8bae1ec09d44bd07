"""Partitions of the history tables ahead of time, and the opt-in retention (docs/scaling.md,
"Partitioned history and retention"). Each step takes the maintenance lock, so two workers
running it at once take turns and the second finds the work done."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.domain.history.partitions import HISTORY_TABLES, Partition, add_months, month_start
from shared.domain.history.repository import HistoryRepository


@dataclass
class Created:
    partitions: list[str] = field(default_factory=list)
    rows_moved: int = 0


@dataclass
class Retained:
    detached: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    thinned: dict[str, int] = field(default_factory=dict)


async def ensure_partitions(session: AsyncSession, *, now: datetime, ahead: int) -> Created:
    """This month's partition and `ahead` more, and one for every month with rows in the
    DEFAULT partition (whose rows move into it). Idempotent."""
    repository = HistoryRepository(session)
    await repository.lock()
    created = Created()
    this_month = month_start(now)
    for table in HISTORY_TABLES:
        have = {p.month for p in await repository.attached(table)}
        wanted = {add_months(this_month, n) for n in range(ahead + 1)}
        wanted |= set(await repository.months_in_default(table))
        for month in sorted(wanted - have):
            partition = Partition(table, month)
            created.rows_moved += await repository.create(partition)
            created.partitions.append(partition.name)
    return created


async def apply_retention(session: AsyncSession, *, now: datetime, settings: Settings) -> Retained:
    """Nothing unless set: month partitions wholly older than SWAY_HISTORY_RETENTION_MONTHS
    full months are detached (or dropped), and snapshots older than
    SWAY_HISTORY_THIN_AFTER_DAYS are thinned to the last one of each UTC day."""
    repository = HistoryRepository(session)
    await repository.lock()
    retained = Retained()
    if settings.history_retention_months is not None:
        cutoff = add_months(month_start(now), -settings.history_retention_months)
        for table in HISTORY_TABLES:
            for partition in await repository.attached(table):
                if partition.end > cutoff:
                    continue
                if settings.history_retention_action == "drop":
                    await repository.drop(partition)
                    retained.dropped.append(partition.name)
                else:
                    retained.detached.append(await repository.detach(partition))
    if settings.history_thin_after_days is not None:
        today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        before = today - timedelta(days=settings.history_thin_after_days)
        for table in HISTORY_TABLES:
            retained.thinned[table] = await repository.thin(table, before)
    return retained
