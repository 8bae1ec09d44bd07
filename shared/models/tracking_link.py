from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key


class TrackingLink(IdMixin, OrgMixin, TimestampMixin, Base):
    """A creator's link for a campaign: /r/{code} redirects to `tracked_url` (the destination
    with UTM parameters, `utm_content` being the code)."""

    __tablename__ = "tracking_link"
    __table_args__ = (
        org_foreign_key("campaign_id", "campaign", ondelete="CASCADE"),
        org_foreign_key("creator_id", "creator", ondelete="CASCADE"),
        # /r/{code} has no organization to scope by: codes are unique across all of them, which
        # link_code holds (a tenant table's unique keys include org_id, shared/distribution.py).
        Index("uq_tracking_link_code", "code", "org_id", unique=True),
        Index("ix_tracking_link_campaign_id_created_at", "campaign_id", "created_at", "id"),
    )

    campaign_id: Mapped[UUID]
    creator_id: Mapped[UUID]
    platform: Mapped[str | None] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(32))
    destination_url: Mapped[str] = mapped_column(Text)
    tracked_url: Mapped[str] = mapped_column(Text)
