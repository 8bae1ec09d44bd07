"""collaboration and deliverable

Collaborations (campaign × creator: stage, compensation, usage rights, contract), their
append-only stage history, deliverables, and the post's link to the deliverable it fulfils.

Revision ID: bad0bfa820f4
Revises: 5b8e2f4c9a17
Create Date: 2026-12-02 18:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'bad0bfa820f4'
down_revision: str | None = '5b8e2f4c9a17'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('collaboration',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('creator_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('compensation_model', sa.String(length=20), nullable=True),
    sa.Column('fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('product_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('commission_rate', sa.Numeric(precision=5, scale=4), nullable=True),
    sa.Column('usage_rights', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('contract_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contract_document_url', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('fee >= 0 AND product_value >= 0 AND commission_rate BETWEEN 0 AND 1', name=op.f('ck_collaboration_compensation_range')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_collaboration_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['creator_id'], ['creator.id'], name=op.f('fk_collaboration_creator_id_creator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_collaboration_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collaboration'))
    )
    op.create_index('ix_collaboration_campaign_id_created_at', 'collaboration', ['campaign_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_collaboration_creator_id', 'collaboration', ['creator_id'], unique=False)
    op.create_index('uq_collaboration_campaign_creator', 'collaboration', ['campaign_id', 'creator_id'], unique=True)
    op.create_table('collaboration_stage_change',
    sa.Column('collaboration_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['by'], ['api_key.id'], name=op.f('fk_collaboration_stage_change_by_api_key'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['collaboration_id'], ['collaboration.id'], name=op.f('fk_collaboration_stage_change_collaboration_id_collaboration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_collaboration_stage_change_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collaboration_stage_change'))
    )
    op.create_index('ix_collaboration_stage_change_collaboration_id_at', 'collaboration_stage_change', ['collaboration_id', 'at'], unique=False)
    op.create_table('deliverable',
    sa.Column('collaboration_id', sa.Uuid(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hashtags', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('mentions', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('disclosure', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['collaboration_id'], ['collaboration.id'], name=op.f('fk_deliverable_collaboration_id_collaboration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_deliverable_org_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverable'))
    )
    op.create_index('ix_deliverable_collaboration_id_created_at', 'deliverable', ['collaboration_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_deliverable_due_at', 'deliverable', ['due_at'], unique=False)
    op.add_column('post', sa.Column('deliverable_id', sa.Uuid(), nullable=True))
    op.create_index('uq_post_deliverable_id', 'post', ['deliverable_id'], unique=True, postgresql_where=sa.text('deliverable_id IS NOT NULL'))
    op.create_foreign_key(op.f('fk_post_deliverable_id_deliverable'), 'post', 'deliverable', ['deliverable_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    op.drop_constraint(op.f('fk_post_deliverable_id_deliverable'), 'post', type_='foreignkey')
    op.drop_index('uq_post_deliverable_id', table_name='post', postgresql_where=sa.text('deliverable_id IS NOT NULL'))
    op.drop_column('post', 'deliverable_id')
    op.drop_index('ix_deliverable_due_at', table_name='deliverable')
    op.drop_index('ix_deliverable_collaboration_id_created_at', table_name='deliverable')
    op.drop_table('deliverable')
    op.drop_index('ix_collaboration_stage_change_collaboration_id_at', table_name='collaboration_stage_change')
    op.drop_table('collaboration_stage_change')
    op.drop_index('uq_collaboration_campaign_creator', table_name='collaboration')
    op.drop_index('ix_collaboration_creator_id', table_name='collaboration')
    op.drop_index('ix_collaboration_campaign_id_created_at', table_name='collaboration')
    op.drop_table('collaboration')
