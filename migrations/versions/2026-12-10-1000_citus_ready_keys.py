"""citus ready keys

Every table distributed by org_id (shared/distribution.py) gets org_id in its primary key and in
each of its unique keys, and its foreign keys to another such table become (x_id, org_id) ->
(id, org_id): Citus needs both to distribute the schema by org_id (docs/scaling.md). A link's
code, unique across organizations, moves to link_code, a reference table, filled from the links.

Foreign keys go first (they hang on the keys), then keys and unique indexes are rebuilt, then the
composite foreign keys are added and checked. On a partitioned table the parent's key is
rebuilt on every partition. Every key is an index build, about 3 s per million snapshot rows
on the development machine (docs/scaling.md), under locks that stop writes meanwhile.

Revision ID: 0e3593d8e3d3
Revises: d5f9b2a8c0e3
Create Date: 2026-12-10 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0e3593d8e3d3"
down_revision: str | None = "d5f9b2a8c0e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table, ON DELETE) of each foreign key between distributed tables.
FOREIGN_KEYS = [
    ("account_recent_post", "account_id", "creator_account", "CASCADE"),
    ("account_snapshot", "account_id", "creator_account", "CASCADE"),
    ("audience_collection", "account_id", "creator_account", "CASCADE"),
    ("audience_snapshot", "account_id", "creator_account", "CASCADE"),
    ("campaign_goal", "campaign_id", "campaign", "CASCADE"),
    ("campaign_kpi_snapshot", "campaign_id", "campaign", "CASCADE"),
    ("collaboration", "campaign_id", "campaign", "CASCADE"),
    ("collaboration", "creator_id", "creator", "CASCADE"),
    ("collaboration_stage_change", "collaboration_id", "collaboration", "CASCADE"),
    ("comment", "post_id", "post", "CASCADE"),
    ("connect_link", "account_id", "creator_account", "CASCADE"),
    ("conversion", "campaign_id", "campaign", "SET NULL"),
    ("conversion", "creator_id", "creator", "SET NULL"),
    ("conversion", "event_id", "webhook_event", "SET NULL"),
    ("conversion", "purchase_id", "conversion", "CASCADE"),
    ("creator_account", "creator_id", "creator", "CASCADE"),
    ("deliverable", "collaboration_id", "collaboration", "CASCADE"),
    ("delivery", "subscription_id", "subscription", "CASCADE"),
    ("delivery_attempt", "delivery_id", "delivery", "CASCADE"),
    ("link_click", "link_id", "tracking_link", "CASCADE"),
    ("mention", "account_id", "creator_account", "CASCADE"),
    ("mention", "campaign_id", "campaign", "SET NULL"),
    ("mention", "comment_id", "comment", "CASCADE"),
    ("mention", "creator_id", "creator", "CASCADE"),
    ("mention", "post_id", "post", "CASCADE"),
    ("oauth_state", "account_id", "creator_account", "CASCADE"),
    ("oauth_state", "connect_link_id", "connect_link", "SET NULL"),
    ("post", "account_id", "creator_account", "CASCADE"),
    ("post", "campaign_id", "campaign", "SET NULL"),
    ("post", "creator_id", "creator", "CASCADE"),
    ("post", "deliverable_id", "deliverable", "SET NULL"),
    ("post_listening", "campaign_id", "campaign", "SET NULL"),
    ("post_listening", "post_id", "post", "CASCADE"),
    ("post_snapshot", "post_id", "post", "CASCADE"),
    ("promo_code", "campaign_id", "campaign", "CASCADE"),
    ("promo_code", "creator_id", "creator", "CASCADE"),
    ("tracking_link", "campaign_id", "campaign", "CASCADE"),
    ("tracking_link", "creator_id", "creator", "CASCADE"),
]

# Each distributed table's key before; org_id is appended to it. It goes last, so lookups by id
# alone (jobs, joins) still lead the index.
PRIMARY_KEYS = {
    "account_recent_post": "account_id, external_id",
    "account_snapshot": "account_id, captured_at",
    "audience_collection": "account_id",
    "audience_snapshot": "account_id, dimension, captured_at",
    "campaign": "id",
    "campaign_goal": "id",
    "campaign_kpi_snapshot": "id",
    "collaboration": "id",
    "collaboration_stage_change": "id",
    "comment": "id",
    "connect_link": "id",
    "conversion": "id",
    "creator": "id",
    "creator_account": "id",
    "deliverable": "id",
    "delivery": "id",
    "delivery_attempt": "id",
    "emv_rate_card": "id",
    "engagement_benchmark": "id",
    "link_click": "id",
    "mention": "id",
    "oauth_state": "id",
    "post": "id",
    "post_listening": "post_id",
    "post_snapshot": "post_id, captured_at",
    "promo_code": "id",
    "subscription": "id",
    "tracking_link": "id",
    "webhook_event": "id",
}

# (name, table, columns before, partial index predicate) of the unique indexes that take org_id.
UNIQUE_INDEXES = [
    ("uq_collaboration_campaign_creator", "collaboration", "campaign_id, creator_id", None),
    (
        "uq_conversion_source_id_kind_external_id",
        "conversion",
        "source_id, kind, external_id",
        None,
    ),
    ("uq_post_deliverable_id", "post", "deliverable_id", "deliverable_id IS NOT NULL"),
    ("uq_tracking_link_code", "tracking_link", "code", None),
    ("uq_webhook_event_source_id_external_id", "webhook_event", "source_id, external_id", None),
]


def _fk_name(table: str, column: str, target: str) -> str:
    return f"fk_{table}_{column}_{target}"


def _drop_foreign_keys() -> None:
    for table, column, target, _ in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_fk_name(table, column, target)}")


def _keys(with_org: bool) -> None:
    for table, columns in PRIMARY_KEYS.items():
        key = f"{columns}, org_id" if with_org else columns
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT pk_{table},"
            f" ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})"
        )
    for name, table, columns, where in UNIQUE_INDEXES:
        op.execute(f"DROP INDEX {name}")
        key = f"{columns}, org_id" if with_org else columns
        predicate = f" WHERE {where}" if where else ""
        op.execute(f"CREATE UNIQUE INDEX {name} ON {table} ({key}){predicate}")


def upgrade() -> None:
    _drop_foreign_keys()
    _keys(with_org=True)
    for table, column, target, ondelete in FOREIGN_KEYS:
        # SET NULL clears the reference only: org_id is the row's own, never null.
        action = f"SET NULL ({column})" if ondelete == "SET NULL" else ondelete
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {_fk_name(table, column, target)}"
            f" FOREIGN KEY ({column}, org_id) REFERENCES {target} (id, org_id)"
            f" ON DELETE {action}"
        )
    op.create_table(
        "link_code",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name="fk_link_code_org_id_organization",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name="pk_link_code"),
    )
    op.execute("INSERT INTO link_code (code, org_id) SELECT code, org_id FROM tracking_link")


def downgrade() -> None:
    op.drop_table("link_code")
    _drop_foreign_keys()
    _keys(with_org=False)
    for table, column, target, ondelete in FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {_fk_name(table, column, target)}"
            f" FOREIGN KEY ({column}) REFERENCES {target} (id) ON DELETE {ondelete}"
        )
