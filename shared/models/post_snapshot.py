from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Float
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin, org_foreign_key

COUNTS = (
    "views",
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "watch_time_seconds",
)
# The counts of things (views, likes, clicks, …): watch time, a duration, aside.
UNIT_COUNTS = tuple(name for name in COUNTS if name != "watch_time_seconds")


class EngagementCounts:
    """The counts a platform reports for a post; None where it reports nothing."""

    views: Mapped[int | None] = mapped_column(BigInteger)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    watch_time_seconds: Mapped[float | None] = mapped_column(Float)


class PostSnapshot(EngagementCounts, OrgMixin, Base):
    """Append-only engagement history, as the platform reported it (None where it reports
    nothing). Keyed (post_id, captured_at, org_id) so a replayed write is a no-op; org_id adds no
    rows to it (a post has one organization), only what Citus needs. Partitioned by month of
    captured_at (docs/scaling.md), which the key includes as Postgres requires."""

    __tablename__ = "post_snapshot"
    __table_args__ = (
        org_foreign_key("post_id", "post", ondelete="CASCADE"),
        {"postgresql_partition_by": "RANGE (captured_at)"},
    )

    post_id: Mapped[UUID] = mapped_column(primary_key=True)
    captured_at: Mapped[datetime] = mapped_column(primary_key=True)
