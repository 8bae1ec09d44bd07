"""post schedule

The scheduler's index moves out of `post` into the narrow `post_schedule`, so that refreshing a
post changes no indexed column and is a HOT update; `post` keeps half of each page free for
those updates (fillfactor 50: pages written from now on; older full pages converge as their
rows are updated and pruned). Every post gets its schedule row, derived as
shared/domain/post/schedule.py derives it.

Revision ID: e7a3c9d1f4b6
Revises: 0e3593d8e3d3
Create Date: 2026-12-11 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a3c9d1f4b6"
down_revision: str | None = "0e3593d8e3d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As of this revision (the module's own copy, so later changes to it do not change this step).
DUE = """CASE WHEN p.status = 'tracking'
     AND (p.kind IS DISTINCT FROM 'story' OR p.platform <> 'instagram')
     THEN coalesce(p.lease_until, p.next_refresh_at) END"""


def upgrade() -> None:
    op.create_table(
        "post_schedule",
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["post_id", "org_id"], ["post.id", "post.org_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "org_id"),
    )
    op.execute(f"INSERT INTO post_schedule (org_id, post_id, due_at) SELECT p.org_id, p.id, {DUE} FROM post p")
    op.create_index(
        "ix_post_schedule_due",
        "post_schedule",
        ["org_id", "due_at"],
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.drop_index("ix_post_due", table_name="post")
    op.drop_index("ix_post_lease", table_name="post")
    op.execute("ALTER TABLE post SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE post RESET (fillfactor)")
    op.create_index(
        "ix_post_lease",
        "post",
        ["lease_until"],
        postgresql_where=sa.text("lease_until IS NOT NULL"),
    )
    op.create_index(
        "ix_post_due",
        "post",
        ["org_id", "next_refresh_at"],
        postgresql_where=sa.text("status = 'tracking' AND lease_until IS NULL"),
    )
    op.drop_index("ix_post_schedule_due", table_name="post_schedule")
    op.drop_table("post_schedule")
