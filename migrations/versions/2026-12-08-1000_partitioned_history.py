"""partitioned history

`post_snapshot` and `account_snapshot` become range-partitioned by month on `captured_at`, with
their rows: one partition per month from the oldest row's to next month, and a DEFAULT partition
that takes any row no month partition covers (the worker's history cron then gives that row its
month, docs/scaling.md). Keys, foreign keys and names stay as they were. Self-contained on
purpose: a migration must not follow the application code as it changes.

Revision ID: c4e8a1f7b9d2
Revises: b7d1e5f9a2c3
Create Date: 2026-12-08 10:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "c4e8a1f7b9d2"
down_revision: str | None = "b7d1e5f9a2c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (the column it belongs to, that column's table)
TABLES = {
    "post_snapshot": ("post_id", "post"),
    "account_snapshot": ("account_id", "creator_account"),
}

# Every month that has a row, and the current and next months (UTC), as partition bounds.
_MONTHS = """
SELECT month, month + interval '1 month' AS next FROM generate_series(
    LEAST(
        (SELECT date_trunc('month', min(captured_at) AT TIME ZONE 'UTC') FROM {table}),
        date_trunc('month', now() AT TIME ZONE 'UTC')
    ),
    date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month',
    interval '1 month'
) AS month
"""


def _keys(table: str, column: str, target: str) -> None:
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({column}, captured_at)")
    op.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column}_{target}"
        f" FOREIGN KEY ({column}) REFERENCES {target} (id) ON DELETE CASCADE"
    )
    op.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_org_id_organization"
        " FOREIGN KEY (org_id) REFERENCES organization (id) ON DELETE CASCADE"
    )


def _set_aside(table: str, suffix: str) -> str:
    """Rename the table and its key out of the way of the new one; the new name."""
    old = f"{table}_{suffix}"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    return old


def _partition(table: str) -> None:
    column, target = TABLES[table]
    old = _set_aside(table, "unpartitioned")
    op.execute(f"CREATE TABLE {table} (LIKE {old}) PARTITION BY RANGE (captured_at)")
    _keys(table, column, target)
    for month, next_month in op.get_bind().execute(text(_MONTHS.format(table=old))):
        op.execute(
            f"CREATE TABLE {table}_y{month:%Y}m{month:%m} PARTITION OF {table}"
            f" FOR VALUES FROM ('{month.isoformat()}+00') TO ('{next_month.isoformat()}+00')"
        )
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")


def _unpartition(table: str) -> None:
    column, target = TABLES[table]
    old = _set_aside(table, "partitioned")
    op.execute(f"CREATE TABLE {table} (LIKE {old})")
    _keys(table, column, target)
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    # The attached partitions go with their parent; detached ones (retention) stay as tables.
    op.execute(f"DROP TABLE {old}")


def upgrade() -> None:
    for table in TABLES:
        _partition(table)


def downgrade() -> None:
    for table in TABLES:
        _unpartition(table)
