"""What the partitioned history tables are and how their partitions are named: one per UTC month,
`<table>_yYYYYmMM`, and `<table>_default` for rows no month covers (docs/scaling.md)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# Each history table and the column naming whose history a row is (thinning keeps one per day).
HISTORY_TABLES = {"post_snapshot": "post_id", "account_snapshot": "account_id"}

_PARTITION = re.compile(
    rf"^({'|'.join(HISTORY_TABLES)})_(?:y(\d{{4}})m(\d{{2}})|default)(?:_detached)?$"
)


def month_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def add_months(month: datetime, months: int) -> datetime:
    index = month.year * 12 + month.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Partition:
    table: str
    month: datetime

    @property
    def name(self) -> str:
        return f"{self.table}_y{self.month:%Y}m{self.month:%m}"

    @property
    def end(self) -> datetime:
        return add_months(self.month, 1)

    @classmethod
    def parse(cls, table: str, name: str) -> "Partition | None":
        """The month partition `name` is, or None (the default partition, anything else)."""
        match = _PARTITION.match(name)
        if match is None or match[1] != table or match[2] is None or name.endswith("_detached"):
            return None
        return cls(table, datetime(int(match[2]), int(match[3]), 1, tzinfo=UTC))


def is_partition(name: str) -> bool:
    """A history partition, attached or detached: a table no model describes, which schema
    comparisons (Alembic autogenerate) must leave out."""
    return _PARTITION.match(name) is not None


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: every table but the history partitions."""
    return not (type_ == "table" and name is not None and is_partition(name))
