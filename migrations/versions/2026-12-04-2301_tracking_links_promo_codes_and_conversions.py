"""tracking links, promo codes and conversions

Creators' tracking links and their clicks (hashed visitors, bots flagged), promo codes unique
per organization, and the conversions (purchases, leads, refunds) attributed to campaigns.

Revision ID: b8d52f3c0e21
Revises: a7c41e2b9d10
Create Date: 2026-12-04 23:01:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8d52f3c0e21"
down_revision: str | None = "a7c41e2b9d10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promo_code",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("creator_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
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
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_promo_code_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator.id"],
            name=op.f("fk_promo_code_creator_id_creator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_promo_code_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_code")),
    )
    op.create_index(
        "ix_promo_code_campaign_id_created_at",
        "promo_code",
        ["campaign_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_promo_code_org_id_code_key", "promo_code", ["org_id", "code_key"], unique=True
    )
    op.create_table(
        "tracking_link",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("creator_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("destination_url", sa.Text(), nullable=False),
        sa.Column("tracked_url", sa.Text(), nullable=False),
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
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_tracking_link_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator.id"],
            name=op.f("fk_tracking_link_creator_id_creator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_tracking_link_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_link")),
    )
    op.create_index(
        "ix_tracking_link_campaign_id_created_at",
        "tracking_link",
        ["campaign_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("uq_tracking_link_code", "tracking_link", ["code"], unique=True)
    op.create_table(
        "conversion",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("purchase_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("promo_code", sa.String(length=64), nullable=True),
        sa.Column("link_code", sa.String(length=32), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("creator_id", sa.Uuid(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("attributed_by", sa.String(length=20), nullable=True),
        sa.Column("converted_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("converted_currency", sa.String(length=3), nullable=True),
        sa.Column("exchange_rate", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_conversion_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator.id"],
            name=op.f("fk_conversion_creator_id_creator"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_event.id"],
            name=op.f("fk_conversion_event_id_webhook_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_conversion_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["conversion.id"],
            name=op.f("fk_conversion_purchase_id_conversion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["webhook_source.id"],
            name=op.f("fk_conversion_source_id_webhook_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion")),
    )
    op.create_index(
        "ix_conversion_campaign_id_occurred_at",
        "conversion",
        ["campaign_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_conversion_org_id_created_at",
        "conversion",
        ["org_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("ix_conversion_purchase_id", "conversion", ["purchase_id"], unique=False)
    op.create_index(
        "uq_conversion_source_id_kind_external_id",
        "conversion",
        ["source_id", "kind", "external_id"],
        unique=True,
    )
    op.create_table(
        "link_click",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("visitor_hash", sa.String(length=64), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["tracking_link.id"],
            name=op.f("fk_link_click_link_id_tracking_link"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_link_click_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_click")),
    )
    op.create_index(
        "ix_link_click_link_id_clicked_at", "link_click", ["link_id", "clicked_at"], unique=False
    )
    op.create_index(
        "ix_link_click_link_id_visitor_hash",
        "link_click",
        ["link_id", "visitor_hash"],
        unique=False,
        postgresql_where=sa.text("NOT is_bot"),
    )


def downgrade() -> None:
    op.drop_index("ix_link_click_link_id_visitor_hash", table_name="link_click")
    op.drop_index("ix_link_click_link_id_clicked_at", table_name="link_click")
    op.drop_table("link_click")
    op.drop_index("uq_conversion_source_id_kind_external_id", table_name="conversion")
    op.drop_index("ix_conversion_purchase_id", table_name="conversion")
    op.drop_index("ix_conversion_org_id_created_at", table_name="conversion")
    op.drop_index("ix_conversion_campaign_id_occurred_at", table_name="conversion")
    op.drop_table("conversion")
    op.drop_index("uq_tracking_link_code", table_name="tracking_link")
    op.drop_index("ix_tracking_link_campaign_id_created_at", table_name="tracking_link")
    op.drop_table("tracking_link")
    op.drop_index("uq_promo_code_org_id_code_key", table_name="promo_code")
    op.drop_index("ix_promo_code_campaign_id_created_at", table_name="promo_code")
    op.drop_table("promo_code")
