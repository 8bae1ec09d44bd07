"""post published index

The comment reader walks the posts published within its window, newest first, by
(published_at, id), instead of every post by id.

Revision ID: d5f9b2a8c0e3
Revises: c4e8a1f7b9d2
Create Date: 2026-12-09 10:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d5f9b2a8c0e3"
down_revision: str | None = "c4e8a1f7b9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_post_published_at_id", "post", ["published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_post_published_at_id", table_name="post")
