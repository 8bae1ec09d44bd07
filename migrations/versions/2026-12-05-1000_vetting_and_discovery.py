"""vetting and discovery

Organizations' own engagement benchmarks; each account's recent posts as its sync lists them;
authenticity and influence scores; creators' full-text documents, terms and track record;
campaigns' target niches and countries; a case-insensitive email lookup for imports.

Revision ID: d1f74b5e2a43
Revises: c9e63a4d1f32
Create Date: 2026-12-05 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d1f74b5e2a43"
down_revision: str | None = "c9e63a4d1f32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engagement_benchmark",
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("engagement_rate", sa.Float(), nullable=False),
        sa.Column("definition", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_engagement_benchmark_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_benchmark")),
    )
    op.create_index(
        "uq_engagement_benchmark_org_platform_tier",
        "engagement_benchmark",
        ["org_id", "platform", "tier"],
        unique=True,
    )
    op.create_table(
        "account_recent_post",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("followers", sa.BigInteger(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["creator_account.id"],
            name=op.f("fk_account_recent_post_account_id_creator_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_account_recent_post_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "external_id", name=op.f("pk_account_recent_post")),
    )
    op.create_index(
        "ix_account_recent_post_account_published",
        "account_recent_post",
        ["account_id", "published_at"],
        unique=False,
    )
    op.add_column(
        "campaign",
        sa.Column("niches", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "campaign",
        sa.Column(
            "countries", postgresql.ARRAY(sa.String(length=2)), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "creator", sa.Column("influence", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("creator", sa.Column("search_document", postgresql.TSVECTOR(), nullable=True))
    op.add_column(
        "creator",
        sa.Column("terms", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("creator", sa.Column("last_posted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "creator", sa.Column("track_record", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("creator", sa.Column("past_campaigns", sa.Integer(), nullable=True))
    op.add_column("creator", sa.Column("past_engagement_rate", sa.Float(), nullable=True))
    op.add_column("creator", sa.Column("past_roi", sa.Float(), nullable=True))
    op.add_column("creator", sa.Column("past_on_time_rate", sa.Float(), nullable=True))
    op.create_index(
        "ix_creator_search_document",
        "creator",
        ["search_document"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_creator_terms", "creator", ["terms"], unique=False, postgresql_using="gin")
    op.add_column("creator_account", sa.Column("authenticity_score", sa.Float(), nullable=True))
    op.add_column(
        "creator_account",
        sa.Column("authenticity_alerted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("creator_account", sa.Column("influence_score", sa.Float(), nullable=True))
    op.add_column(
        "creator_account",
        sa.Column("influence", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "creator_account", sa.Column("last_posted_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Imports match a row to a creator by email first, ignoring case.
    op.execute("CREATE INDEX ix_creator_org_id_email_lower ON creator (org_id, lower(email))")


def downgrade() -> None:
    op.drop_index("ix_creator_org_id_email_lower", table_name="creator")
    op.drop_column("creator_account", "last_posted_at")
    op.drop_column("creator_account", "influence")
    op.drop_column("creator_account", "influence_score")
    op.drop_column("creator_account", "authenticity_alerted_at")
    op.drop_column("creator_account", "authenticity_score")
    op.drop_index("ix_creator_terms", table_name="creator", postgresql_using="gin")
    op.drop_index("ix_creator_search_document", table_name="creator", postgresql_using="gin")
    op.drop_column("creator", "past_on_time_rate")
    op.drop_column("creator", "past_roi")
    op.drop_column("creator", "past_engagement_rate")
    op.drop_column("creator", "past_campaigns")
    op.drop_column("creator", "track_record")
    op.drop_column("creator", "last_posted_at")
    op.drop_column("creator", "terms")
    op.drop_column("creator", "search_document")
    op.drop_column("creator", "influence")
    op.drop_column("campaign", "countries")
    op.drop_column("campaign", "niches")
    op.drop_index("ix_account_recent_post_account_published", table_name="account_recent_post")
    op.drop_table("account_recent_post")
    op.drop_index("uq_engagement_benchmark_org_platform_tier", table_name="engagement_benchmark")
    op.drop_table("engagement_benchmark")
