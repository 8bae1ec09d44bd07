"""oauth connections

Accounts connected through a platform's OAuth flow: when their token expires, which scopes were
granted, and the lease one worker holds while refreshing it. Authorizations in flight
(`oauth_state`) and the connect links sent to creators (`connect_link`) are single-use rows.

Revision ID: f5b8c1d9e2a7
Revises: e2a85c6f3b54
Create Date: 2026-12-06 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f5b8c1d9e2a7"
down_revision: str | None = "e2a85c6f3b54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    now = sa.text("now()")
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
    ]


def _tenant(table: str) -> list:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        *_timestamps(),
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
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.add_column("creator_account", sa.Column("connected_via", sa.String(10), nullable=True))
    op.add_column(
        "creator_account", sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "creator_account",
        sa.Column("granted_scopes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "creator_account",
        sa.Column("token_refreshed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "creator_account",
        sa.Column("token_refresh_lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    # Credentials stored before this revision were all PUT by hand.
    op.execute(
        "UPDATE creator_account SET connected_via = 'manual' "
        "WHERE credentials_encrypted IS NOT NULL"
    )
    op.create_index(
        "ix_creator_account_token_expires_at",
        "creator_account",
        ["token_expires_at"],
        postgresql_where=sa.text("connected_via = 'oauth'"),
    )
    op.create_table(
        "connect_link",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant("connect_link"),
    )
    op.create_index(op.f("ix_connect_link_account_id"), "connect_link", ["account_id"])
    op.create_table(
        "oauth_state",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("code_verifier_sealed", sa.Text(), nullable=True),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("connect_link_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant("oauth_state"),
        sa.ForeignKeyConstraint(
            ["connect_link_id"],
            ["connect_link.id"],
            name=op.f("fk_oauth_state_connect_link_id_connect_link"),
            ondelete="SET NULL",
        ),
    )
    op.create_index(op.f("ix_oauth_state_account_id"), "oauth_state", ["account_id"])


def downgrade() -> None:
    op.drop_table("oauth_state")
    op.drop_table("connect_link")
    op.drop_index(
        "ix_creator_account_token_expires_at",
        table_name="creator_account",
        postgresql_where=sa.text("connected_via = 'oauth'"),
    )
    for name in (
        "token_refresh_lease_until",
        "token_refreshed_at",
        "granted_scopes",
        "token_expires_at",
        "connected_via",
    ):
        op.drop_column("creator_account", name)
