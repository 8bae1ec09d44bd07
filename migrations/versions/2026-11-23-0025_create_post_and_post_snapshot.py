"""create post and post snapshot

Revision ID: 5985283c2b8d
Revises: 397b3f8cebf5
Create Date: 2026-11-23 00:25:32.043417+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision: str = '5985283c2b8d'
down_revision: str | None = '397b3f8cebf5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('post',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('creator_id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('caption', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('missing_count', sa.SmallInteger(), nullable=False),
    sa.Column('disclosure', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('followers_at_post', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('impressions', sa.BigInteger(), nullable=True),
    sa.Column('reach', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.BigInteger(), nullable=True),
    sa.Column('comments', sa.BigInteger(), nullable=True),
    sa.Column('shares', sa.BigInteger(), nullable=True),
    sa.Column('saves', sa.BigInteger(), nullable=True),
    sa.Column('clicks', sa.BigInteger(), nullable=True),
    sa.Column('watch_time_seconds', sa.Float(), nullable=True),
    sa.Column('last_refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_refresh_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['creator_account.id'], name=op.f('fk_post_account_id_creator_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_post_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['creator_id'], ['creator.id'], name=op.f('fk_post_creator_id_creator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_post_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post'))
    )
    op.create_index(op.f('ix_post_account_id'), 'post', ['account_id'], unique=False)
    op.create_index('ix_post_campaign_id_created_at', 'post', ['campaign_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_post_due', 'post', ['next_refresh_at'], unique=False, postgresql_where=sa.text("status = 'tracking'"))
    op.create_index(op.f('ix_post_org_id'), 'post', ['org_id'], unique=False)
    op.create_index('uq_post_org_platform_external_id', 'post', ['org_id', 'platform', 'external_id'], unique=True)
    op.create_table('post_snapshot',
    sa.Column('post_id', sa.Uuid(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('impressions', sa.BigInteger(), nullable=True),
    sa.Column('reach', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.BigInteger(), nullable=True),
    sa.Column('comments', sa.BigInteger(), nullable=True),
    sa.Column('shares', sa.BigInteger(), nullable=True),
    sa.Column('saves', sa.BigInteger(), nullable=True),
    sa.Column('clicks', sa.BigInteger(), nullable=True),
    sa.Column('watch_time_seconds', sa.Float(), nullable=True),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_post_snapshot_org_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_post_snapshot_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'captured_at', name=op.f('pk_post_snapshot'))
    )
    op.create_index(op.f('ix_post_snapshot_org_id'), 'post_snapshot', ['org_id'], unique=False)
    op.add_column('creator_account', sa.Column('credential_key', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('creator_account', 'credential_key')
    op.drop_index(op.f('ix_post_snapshot_org_id'), table_name='post_snapshot')
    op.drop_table('post_snapshot')
    op.drop_index('uq_post_org_platform_external_id', table_name='post')
    op.drop_index(op.f('ix_post_org_id'), table_name='post')
    op.drop_index('ix_post_due', table_name='post', postgresql_where=sa.text("status = 'tracking'"))
    op.drop_index('ix_post_campaign_id_created_at', table_name='post')
    op.drop_index(op.f('ix_post_account_id'), table_name='post')
    op.drop_table('post')
