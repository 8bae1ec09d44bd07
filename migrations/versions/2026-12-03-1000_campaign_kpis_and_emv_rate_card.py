"""campaign kpis and emv rate card

The organization's versioned EMV rate cards, the worker's campaign KPI snapshots, a campaign's
own disclosure requirement, and each post's age-normalized engagements (24 h, 7 d, 30 d).

Revision ID: e3a91c0d5f62
Revises: bad0bfa820f4
Create Date: 2026-12-03 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'e3a91c0d5f62'
down_revision: str | None = 'bad0bfa820f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaign_kpi_snapshot',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('totals', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('by_creator', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('by_platform', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('goals', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('coverage', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('emv_rate_card_version', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_kpi_snapshot_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_campaign_kpi_snapshot_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_kpi_snapshot'))
    )
    op.create_index('ix_campaign_kpi_snapshot_campaign_id_computed_at', 'campaign_kpi_snapshot', ['campaign_id', 'computed_at', 'id'], unique=False)
    op.create_table('emv_rate_card',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rates', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('sources', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['api_key.id'], name=op.f('fk_emv_rate_card_created_by_api_key'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_emv_rate_card_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emv_rate_card'))
    )
    op.create_index('uq_emv_rate_card_org_id_version', 'emv_rate_card', ['org_id', 'version'], unique=True)
    op.add_column('campaign', sa.Column('disclosure_required', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('post', sa.Column('engagements_24h', sa.BigInteger(), nullable=True))
    op.add_column('post', sa.Column('engagements_24h_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('post', sa.Column('engagements_7d', sa.BigInteger(), nullable=True))
    op.add_column('post', sa.Column('engagements_7d_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('post', sa.Column('engagements_30d', sa.BigInteger(), nullable=True))
    op.add_column('post', sa.Column('engagements_30d_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('post', 'engagements_30d_at')
    op.drop_column('post', 'engagements_30d')
    op.drop_column('post', 'engagements_7d_at')
    op.drop_column('post', 'engagements_7d')
    op.drop_column('post', 'engagements_24h_at')
    op.drop_column('post', 'engagements_24h')
    op.drop_column('campaign', 'disclosure_required')
    op.drop_index('uq_emv_rate_card_org_id_version', table_name='emv_rate_card')
    op.drop_table('emv_rate_card')
    op.drop_index('ix_campaign_kpi_snapshot_campaign_id_computed_at', table_name='campaign_kpi_snapshot')
    op.drop_table('campaign_kpi_snapshot')
