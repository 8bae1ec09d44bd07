from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin, org_foreign_key


class AccountRecentPost(OrgMixin, Base):
    """The latest counts and caption of an account's recent posts as its last sync listed them,
    campaign posts or not: what vetting (engagement, posting consistency) and discovery (caption
    vocabulary) read. Upserted by each sync, bounded per account; not a history."""

    __tablename__ = "account_recent_post"
    __table_args__ = (
        org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),
        Index("ix_account_recent_post_account_published", "account_id", "published_at"),
    )

    account_id: Mapped[UUID] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    published_at: Mapped[datetime | None]
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    views: Mapped[int | None] = mapped_column(BigInteger)
    # The account's followers when the listing was read.
    followers: Mapped[int | None] = mapped_column(BigInteger)
    caption: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[datetime]
