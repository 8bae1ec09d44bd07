"""create core tables

Revision ID: 397b3f8cebf5
Revises: 
Create Date: 2026-11-23 00:14:12.763454+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '397b3f8cebf5'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('organization',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_currency', sa.String(length=3), nullable=False),
    sa.Column('settings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization'))
    )
    op.create_table('api_key',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_api_key_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    op.create_index(op.f('ix_api_key_org_id'), 'api_key', ['org_id'], unique=False)
    op.create_table('campaign',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('objective', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('hashtags', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('mentions', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('platforms', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('brief', sa.Text(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('budget IS NULL OR budget >= 0', name=op.f('ck_campaign_budget_not_negative')),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_campaign_dates')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_campaign_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    op.create_index(op.f('ix_campaign_org_id'), 'campaign', ['org_id'], unique=False)
    op.create_index('ix_campaign_org_id_created_at', 'campaign', ['org_id', 'created_at', 'id'], unique=False)
    op.create_table('creator',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('niches', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('tags', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('influence_score', sa.Float(), nullable=True),
    sa.Column('total_followers', sa.BigInteger(), nullable=True),
    sa.Column('engagement_rate', sa.Float(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_creator_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_creator'))
    )
    op.create_index(op.f('ix_creator_org_id'), 'creator', ['org_id'], unique=False)
    op.create_index('ix_creator_org_id_created_at', 'creator', ['org_id', 'created_at', 'id'], unique=False)
    op.create_table('campaign_goal',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('target', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_goal_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_campaign_goal_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_goal'))
    )
    op.create_index(op.f('ix_campaign_goal_campaign_id'), 'campaign_goal', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_campaign_goal_org_id'), 'campaign_goal', ['org_id'], unique=False)
    op.create_table('creator_account',
    sa.Column('creator_id', sa.Uuid(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('handle', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('followers', sa.BigInteger(), nullable=True),
    sa.Column('following', sa.BigInteger(), nullable=True),
    sa.Column('posts_count', sa.BigInteger(), nullable=True),
    sa.Column('tier', sa.String(length=20), nullable=True),
    sa.Column('engagement_rate', sa.Float(), nullable=True),
    sa.Column('authenticity', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('sync_status', sa.String(length=20), nullable=False),
    sa.Column('sync_error', sa.Text(), nullable=True),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('credentials_encrypted', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['creator_id'], ['creator.id'], name=op.f('fk_creator_account_creator_id_creator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_creator_account_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_creator_account'))
    )
    op.create_index(op.f('ix_creator_account_creator_id'), 'creator_account', ['creator_id'], unique=False)
    op.create_index('ix_creator_account_next_sync_at', 'creator_account', ['next_sync_at'], unique=False)
    op.create_index(op.f('ix_creator_account_org_id'), 'creator_account', ['org_id'], unique=False)
    op.create_index('uq_creator_account_org_platform_handle', 'creator_account', ['org_id', 'platform', sa.literal_column('lower(handle)')], unique=True)
    op.create_table('account_snapshot',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=True),
    sa.Column('following', sa.BigInteger(), nullable=True),
    sa.Column('posts_count', sa.BigInteger(), nullable=True),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['creator_account.id'], name=op.f('fk_account_snapshot_account_id_creator_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_account_snapshot_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'captured_at', name=op.f('pk_account_snapshot'))
    )
    op.create_index(op.f('ix_account_snapshot_org_id'), 'account_snapshot', ['org_id'], unique=False)



def downgrade() -> None:

    op.drop_index(op.f('ix_account_snapshot_org_id'), table_name='account_snapshot')
    op.drop_table('account_snapshot')
    op.drop_index('uq_creator_account_org_platform_handle', table_name='creator_account')
    op.drop_index(op.f('ix_creator_account_org_id'), table_name='creator_account')
    op.drop_index('ix_creator_account_next_sync_at', table_name='creator_account')
    op.drop_index(op.f('ix_creator_account_creator_id'), table_name='creator_account')
    op.drop_table('creator_account')
    op.drop_index(op.f('ix_campaign_goal_org_id'), table_name='campaign_goal')
    op.drop_index(op.f('ix_campaign_goal_campaign_id'), table_name='campaign_goal')
    op.drop_table('campaign_goal')
    op.drop_index('ix_creator_org_id_created_at', table_name='creator')
    op.drop_index(op.f('ix_creator_org_id'), table_name='creator')
    op.drop_table('creator')
    op.drop_index('ix_campaign_org_id_created_at', table_name='campaign')
    op.drop_index(op.f('ix_campaign_org_id'), table_name='campaign')
    op.drop_table('campaign')
    op.drop_index(op.f('ix_api_key_org_id'), table_name='api_key')
    op.drop_table('api_key')
    op.drop_table('organization')

