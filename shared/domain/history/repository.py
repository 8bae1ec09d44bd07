"""The SQL of the history partitions. Cross-tenant by nature, like the schedulers: a partition
holds every organization's rows. Names put in statements come from HISTORY_TABLES and Partition,
never from input."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.history.partitions import HISTORY_TABLES, Partition

# One maintenance at a time across all workers: the steps below read then change the catalog.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('sway.history_partitions'))")

_ATTACHED = text(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = CAST(:table AS regclass)"
)

_DEFAULT_MONTHS = (
    "SELECT DISTINCT date_trunc('month', captured_at AT TIME ZONE 'UTC') AS month"
    " FROM {table}_default"
)

# The last snapshot of each UTC day stays: its counts are the day's closing ones, which is what
# a daily series reads, and the counts only grow, so no later point is lost by it.
_THIN = """
DELETE FROM {table} s USING (
    SELECT {key}, captured_at, row_number() OVER (
        PARTITION BY {key}, date_trunc('day', captured_at AT TIME ZONE 'UTC')
        ORDER BY captured_at DESC
    ) AS newest
    FROM {table} WHERE captured_at < :before
) d
WHERE d.newest > 1 AND s.{key} = d.{key} AND s.captured_at = d.captured_at
    AND s.captured_at < :before
"""


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self) -> None:
        await self.session.execute(_LOCK)

    async def attached(self, table: str) -> list[Partition]:
        names = (await self.session.execute(_ATTACHED, {"table": table})).scalars()
        return [p for name in names if (p := Partition.parse(table, name)) is not None]

    async def months_in_default(self, table: str) -> list[datetime]:
        rows = await self.session.execute(text(_DEFAULT_MONTHS.format(table=table)))
        return [month.replace(tzinfo=UTC) for month in rows.scalars()]

    async def create(self, partition: Partition) -> int:
        """Create and attach the month's partition, first moving into it any of its rows the
        DEFAULT partition took (Postgres refuses a partition whose range has rows there).
        Returns how many rows moved. The default stays locked until commit, so no row for
        the month can land there in between."""
        table, name = partition.table, partition.name
        await self._execute(f"LOCK TABLE {table}_default IN SHARE ROW EXCLUSIVE MODE")
        await self._execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
        bounds = {"start": partition.month, "end": partition.end}
        moved = await self.session.execute(
            text(
                f"WITH moved AS (DELETE FROM {table}_default"
                " WHERE captured_at >= :start AND captured_at < :end RETURNING *)"
                f" INSERT INTO {name} SELECT * FROM moved"
            ),
            bounds,
        )
        await self._execute(
            f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES"
            f" FROM ('{partition.month.isoformat()}') TO ('{partition.end.isoformat()}')"
        )
        return moved.rowcount

    async def detach(self, partition: Partition) -> str:
        """Detach the partition and rename it `<name>_detached`: its rows leave every read but
        stay on disk, to archive and drop by hand. Returns the table's new name."""
        name = f"{partition.name}_detached"
        await self._execute(f"ALTER TABLE {partition.table} DETACH PARTITION {partition.name}")
        if await self._exists(name):
            # Detached before, then filled again (late rows for the month): one table per month.
            await self._execute(
                f"INSERT INTO {name} SELECT * FROM {partition.name} ON CONFLICT DO NOTHING"
            )
            await self._execute(f"DROP TABLE {partition.name}")
        else:
            await self._execute(f"ALTER TABLE {partition.name} RENAME TO {name}")
        return name

    async def drop(self, partition: Partition) -> None:
        await self._execute(f"DROP TABLE {partition.name}")

    async def thin(self, table: str, before: datetime) -> int:
        key = HISTORY_TABLES[table]
        result = await self.session.execute(
            text(_THIN.format(table=table, key=key)), {"before": before}
        )
        return result.rowcount

    async def _exists(self, name: str) -> bool:
        found = await self.session.execute(text("SELECT to_regclass(:name)"), {"name": name})
        return found.scalar() is not None

    async def _execute(self, statement: str) -> None:
        await self.session.execute(text(statement))
