from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, org_foreign_key


class LinkClick(IdMixin, OrgMixin, Base):
    """One request to /r/{code}. No raw IP is kept: `visitor_hash` digests the IP and user agent
    with a salt that changes every UTC day and is then forgotten, so a visitor is the same only
    within a day and cannot be traced back. Known bots are kept but flagged, and not counted."""

    __tablename__ = "link_click"
    __table_args__ = (
        org_foreign_key("link_id", "tracking_link", ondelete="CASCADE"),
        Index("ix_link_click_link_id_clicked_at", "link_id", "clicked_at"),
        # People's clicks in visitor order: the counts (clicks, distinct visitors) of a link are
        # one index-only scan, with no heap read and no bots to skip.
        Index(
            "ix_link_click_link_id_visitor_hash",
            "link_id",
            "visitor_hash",
            postgresql_where=text("NOT is_bot"),
        ),
    )

    link_id: Mapped[UUID]
    clicked_at: Mapped[datetime]
    referrer: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    visitor_hash: Mapped[str] = mapped_column(String(64))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
