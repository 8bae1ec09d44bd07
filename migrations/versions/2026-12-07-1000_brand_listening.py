"""brand listening

The organization's brand profile (a campaign's overrides in `campaign.brand`), the comments of tracked posts, and the
brand and competitor mentions found in captions and comments (docs/listening.md).

Revision ID: b7d1e5f9a2c3
Revises: a6c9d2e3f4b8
Create Date: 2026-12-07 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7d1e5f9a2c3"
down_revision: str | None = "a6c9d2e3f4b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _terms(name: str) -> sa.Column:
    return sa.Column(name, postgresql.ARRAY(sa.Text()), nullable=False)


def upgrade() -> None:
    op.create_table(
        "brand_profile",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        _terms("handles"),
        _terms("keywords"),
        _terms("products"),
        _terms("competitors"),
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
        _fk("brand_profile", "org_id", "organization"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_brand_profile")),
    )
    op.add_column(
        "campaign", sa.Column("brand", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_table(
        "comment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("parent_external_id", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("like_count", sa.BigInteger(), nullable=True),
        sa.Column("author_hash", sa.String(64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("sentiment", sa.String(10), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("comment", "org_id", "organization"),
        _fk("comment", "post_id", "post"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    op.create_index(
        "uq_comment_org_platform_external_id", "comment", ["org_id", "platform", "external_id"],
        unique=True,
    )  # fmt: skip
    op.create_index("ix_comment_post_published", "comment", ["post_id", "published_at", "id"])
    op.create_index(
        "ix_comment_unanalysed", "comment", ["org_id", "id"],
        postgresql_where=sa.text("analysed_at IS NULL"),
    )  # fmt: skip
    op.create_index("ix_comment_org_id_id", "comment", ["org_id", "id"])
    op.create_table(
        "mention",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("source_key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("creator_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("post_external_id", sa.String(200), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=True),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("sentiment", sa.String(10), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        _fk("mention", "org_id", "organization"),
        _fk("mention", "account_id", "creator_account"),
        _fk("mention", "creator_id", "creator"),
        _fk("mention", "post_id", "post"),
        _fk("mention", "comment_id", "comment"),
        _fk("mention", "campaign_id", "campaign", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention")),
    )
    op.create_index(
        "uq_mention_org_source_key_term", "mention", ["org_id", "source_key", "term"], unique=True
    )
    op.create_index("ix_mention_campaign_occurred", "mention", ["campaign_id", "occurred_at", "id"])
    op.create_index("ix_mention_org_occurred", "mention", ["org_id", "occurred_at", "id"])
    op.create_index("ix_mention_post_id", "mention", ["post_id"])
    op.create_table(
        "post_listening",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("creator_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "mentions",
                "competitor_mentions",
                "positive",
                "neutral",
                "negative",
                "unanalysed",
                "pending",
            )
        ),  # fmt: skip
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        _fk("post_listening", "org_id", "organization"),
        _fk("post_listening", "post_id", "post"),
        _fk("post_listening", "campaign_id", "campaign", "SET NULL"),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_listening")),
    )
    op.create_index("ix_post_listening_campaign", "post_listening", ["org_id", "campaign_id"])
    op.create_table(
        "listening_scan",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("captions_scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("captions_cursor", sa.Text(), nullable=True),
        sa.Column("comments_after", sa.Uuid(), nullable=True),
        _fk("listening_scan", "org_id", "organization"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_listening_scan")),
    )


def downgrade() -> None:
    op.drop_table("listening_scan")
    op.drop_table("post_listening")
    op.drop_table("mention")
    op.drop_table("comment")
    op.drop_column("campaign", "brand")
    op.drop_table("brand_profile")
