from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Index, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key
from shared.models.post_snapshot import EngagementCounts
from shared.models.status import PostStatus


class Post(EngagementCounts, IdMixin, OrgMixin, TimestampMixin, Base):
    """A tracked post. The latest snapshot's counts are denormalized onto the row, so KPIs and
    lists never scan snapshot history.

    No index covers a column a refresh writes (counts, ages, next_refresh_at, lease_until,
    status_detail, updated_at): the scheduler's index lives in post_schedule, and the table
    keeps half of each page free (fillfactor 50, set by its migration), so a refresh is a HOT
    update, written beside the old row version with no new index entries, even when a claim
    leases every row of a page at once."""

    __tablename__ = "post"
    __table_args__ = (
        org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),
        org_foreign_key("creator_id", "creator", ondelete="CASCADE"),
        org_foreign_key("campaign_id", "campaign", ondelete="SET NULL"),
        org_foreign_key("deliverable_id", "deliverable", ondelete="SET NULL"),
        Index("uq_post_org_platform_external_id", "org_id", "platform", "external_id", unique=True),
        Index("ix_post_campaign_id_created_at", "campaign_id", "created_at", "id"),
        # The comment reader's walk over the posts of its window, newest first (across tenants,
        # like the claim). published_at is set once, so refreshes stay HOT updates.
        Index("ix_post_published_at_id", "published_at", "id"),
        # A deliverable is fulfilled by one post.
        Index(
            "uq_post_deliverable_id",
            "deliverable_id",
            "org_id",
            unique=True,
            postgresql_where=text("deliverable_id IS NOT NULL"),
        ),
    )

    account_id: Mapped[UUID] = mapped_column(index=True)
    creator_id: Mapped[UUID]
    campaign_id: Mapped[UUID | None]
    # The deliverable this post fulfils (of the same organization, as the key says).
    deliverable_id: Mapped[UUID | None]
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(20))
    caption: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default=PostStatus.tracking)
    # Why a post is paused, stopped early or in error, in words a user can act on.
    status_detail: Mapped[str | None] = mapped_column(Text)
    # How many refreshes in a row the platform left this post out; two means gone.
    missing_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    disclosure: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    followers_at_post: Mapped[int | None] = mapped_column(BigInteger)
    # Age-normalized engagements (METRICS.md): the engagements of the snapshot nearest to
    # published_at + 24 h / 7 d / 30 d within 10 % of that age, and when that snapshot was taken,
    # kept up to date by each batch write so KPIs never read snapshot history.
    engagements_24h: Mapped[int | None] = mapped_column(BigInteger)
    engagements_24h_at: Mapped[datetime | None]
    engagements_7d: Mapped[int | None] = mapped_column(BigInteger)
    engagements_7d_at: Mapped[datetime | None]
    engagements_30d: Mapped[int | None] = mapped_column(BigInteger)
    engagements_30d_at: Mapped[datetime | None]
    # How it was attached: api | url | capture
    source: Mapped[str] = mapped_column(String(10), default="api")

    # The latest snapshot's counts (EngagementCounts), denormalized.
    last_refreshed_at: Mapped[datetime | None]
    # When the cadence wants the next refresh (what the API shows; post_schedule.due_at is the
    # scheduler's copy).
    next_refresh_at: Mapped[datetime | None]
    # Set while a batch job holds the post: its fencing token, and the end of its reservation.
    # A lease that ran out stays here until the post is claimed again (nothing sweeps it).
    lease_until: Mapped[datetime | None]
