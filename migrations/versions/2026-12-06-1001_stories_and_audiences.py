"""stories and audiences

Audience demographics of connected accounts (`audience_snapshot`, append-only, one row per
account, dimension and day; `audience_collection`, when each account's audience was last asked for
and why it failed), and a campaign's optional target audience. Instagram stories need no table of
their own: they are posts of kind "story".

Revision ID: a6c9d2e3f4b8
Revises: f5b8c1d9e2a7
Create Date: 2026-12-06 10:01:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a6c9d2e3f4b8"
down_revision: str | None = "f5b8c1d9e2a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned(table: str) -> list:
    return [
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f(f"fk_{table}_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["creator_account.id"],
            name=op.f(f"fk_{table}_account_id_creator_account"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "audience_snapshot",
        *_owned("audience_snapshot"),
        sa.Column("dimension", sa.String(10), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("shares", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "account_id", "dimension", "captured_at", name=op.f("pk_audience_snapshot")
        ),
    )
    op.create_table(
        "audience_collection",
        *_owned("audience_collection"),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_audience_collection")),
    )
    op.add_column(
        "campaign",
        sa.Column("target_audience", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("campaign", "target_audience")
    op.drop_table("audience_collection")
    op.drop_table("audience_snapshot")
