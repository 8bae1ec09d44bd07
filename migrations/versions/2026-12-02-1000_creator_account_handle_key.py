"""creator account handle key

Handles are unique per (organization, platform) by `handle_key`, their NFKC case fold, instead of
`lower(handle)`, which kept "İstanbul" and "i̇stanbul" (or "ＡＤＡ" and "ada") apart. The key is
computed in Python (shared.models.creator_account.handle_key), so this migration backfills it in
Python too, with a frozen copy of that function: a later change to it must come with its own
migration.

Existing rows that the new rule makes duplicates all stay: the oldest keeps the plain key, each
later one gets the key suffixed with "#<its id>", so the unique index can be built and nothing
is lost. Such accounts can be found with `handle_key LIKE '%#%'` and merged by hand.

Revision ID: 5b8e2f4c9a17
Revises: 7c1e4a9b2d31
Create Date: 2026-12-02 10:00:00.000000+00:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b8e2f4c9a17'
down_revision: str | None = '7c1e4a9b2d31'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _handle_key(handle: str) -> str:
    folded = unicodedata.normalize("NFKC", handle.lstrip("@")).casefold()
    return unicodedata.normalize("NFKC", folded)


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, org_id, platform, handle FROM creator_account ORDER BY created_at, id"
        )
    )
    taken: set[tuple[str, str, str]] = set()
    updates = []
    for row in rows:
        key = _handle_key(row.handle)
        if (str(row.org_id), row.platform, key) in taken:
            key = f"{key}#{row.id}"
        taken.add((str(row.org_id), row.platform, key))
        updates.append({"id": row.id, "key": key})
    statement = sa.text("UPDATE creator_account SET handle_key = :key WHERE id = :id")
    for start in range(0, len(updates), BATCH):
        bind.execute(statement, updates[start : start + BATCH])


def upgrade() -> None:
    op.add_column('creator_account', sa.Column('handle_key', sa.Text(), nullable=True))
    _backfill()
    op.alter_column('creator_account', 'handle_key', nullable=False)
    op.drop_index('uq_creator_account_org_platform_handle', table_name='creator_account')
    op.create_index(
        'uq_creator_account_org_platform_handle_key',
        'creator_account',
        ['org_id', 'platform', 'handle_key'],
        unique=True,
    )


def downgrade() -> None:
    # The old index can refuse rows the new one allowed: two handles whose case folds differ
    # but whose lower() in Postgres' locale agree (rare). Merge those before downgrading.
    op.drop_index('uq_creator_account_org_platform_handle_key', table_name='creator_account')
    op.create_index(
        'uq_creator_account_org_platform_handle',
        'creator_account',
        ['org_id', 'platform', sa.literal_column('lower(handle)')],
        unique=True,
    )
    op.drop_column('creator_account', 'handle_key')
