"""post lease and status detail; account params key

The lease moves out of next_refresh_at into its own column, so the due time the API shows is never
a lease. Posts of accounts whose credential expired leave the due set (status paused). Accounts
that may carry request parameters in their credentials get a params_key no other account shares,
so batches never mix them before their next credentials update computes the real one.

Revision ID: 7c1e4a9b2d31
Revises: d02c2a524560
Create Date: 2026-12-01 17:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7c1e4a9b2d31'
down_revision: str | None = 'd02c2a524560'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('post', sa.Column('status_detail', sa.Text(), nullable=True))
    op.add_column('post', sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('creator_account', sa.Column('params_key', sa.String(length=40), nullable=True))
    op.drop_index('ix_post_due', table_name='post', postgresql_where=sa.text("status = 'tracking'"))
    op.create_index(
        'ix_post_due', 'post', ['org_id', 'next_refresh_at'], unique=False,
        postgresql_where=sa.text("status = 'tracking' AND lease_until IS NULL"),
    )
    op.create_index(
        'ix_post_lease', 'post', ['lease_until'], unique=False,
        postgresql_where=sa.text('lease_until IS NOT NULL'),
    )
    op.execute("""
        UPDATE post SET status = 'paused', status_detail = 'the credential expired; PUT new credentials'
        FROM creator_account a
        WHERE a.id = post.account_id AND a.sync_status = 'auth_expired' AND post.status = 'tracking'
    """)
    op.execute("""
        UPDATE creator_account SET params_key = 'account:' || replace(id::text, '-', '')
        WHERE credentials_encrypted IS NOT NULL AND platform IN ('linkedin', 'pinterest')
    """)


def downgrade() -> None:
    op.execute("UPDATE post SET status = 'tracking' WHERE status IN ('paused', 'error')")
    op.drop_index('ix_post_lease', table_name='post', postgresql_where=sa.text('lease_until IS NOT NULL'))
    op.drop_index(
        'ix_post_due', table_name='post',
        postgresql_where=sa.text("status = 'tracking' AND lease_until IS NULL"),
    )
    op.create_index(
        'ix_post_due', 'post', ['next_refresh_at'], unique=False,
        postgresql_where=sa.text("status = 'tracking'"),
    )
    op.drop_column('creator_account', 'params_key')
    op.drop_column('post', 'lease_until')
    op.drop_column('post', 'status_detail')
