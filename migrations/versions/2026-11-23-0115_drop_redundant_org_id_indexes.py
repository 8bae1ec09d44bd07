"""drop redundant org_id indexes

Revision ID: d02c2a524560
Revises: 5985283c2b8d
Create Date: 2026-11-23 01:15:43.489243+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd02c2a524560'
down_revision: str | None = '5985283c2b8d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f('ix_account_snapshot_org_id'), table_name='account_snapshot')
    op.drop_index(op.f('ix_campaign_org_id'), table_name='campaign')
    op.drop_index(op.f('ix_campaign_goal_org_id'), table_name='campaign_goal')
    op.drop_index(op.f('ix_creator_org_id'), table_name='creator')
    op.drop_index(op.f('ix_creator_account_org_id'), table_name='creator_account')
    op.drop_index(op.f('ix_post_org_id'), table_name='post')
    op.drop_index(op.f('ix_post_snapshot_org_id'), table_name='post_snapshot')


def downgrade() -> None:
    op.create_index(op.f('ix_post_snapshot_org_id'), 'post_snapshot', ['org_id'], unique=False)
    op.create_index(op.f('ix_post_org_id'), 'post', ['org_id'], unique=False)
    op.create_index(op.f('ix_creator_account_org_id'), 'creator_account', ['org_id'], unique=False)
    op.create_index(op.f('ix_creator_org_id'), 'creator', ['org_id'], unique=False)
    op.create_index(op.f('ix_campaign_goal_org_id'), 'campaign_goal', ['org_id'], unique=False)
    op.create_index(op.f('ix_campaign_org_id'), 'campaign', ['org_id'], unique=False)
    op.create_index(op.f('ix_account_snapshot_org_id'), 'account_snapshot', ['org_id'], unique=False)
