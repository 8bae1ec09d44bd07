from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin

if TYPE_CHECKING:
    from shared.models.creator_account import CreatorAccount


class Creator(IdMixin, OrgMixin, TimestampMixin, Base):
    __tablename__ = "creator"
    __table_args__ = (
        Index("ix_creator_org_id_created_at", "org_id", "created_at", "id"),
        Index("ix_creator_search_document", "search_document", postgresql_using="gin"),
        Index("ix_creator_terms", "terms", postgresql_using="gin"),
        # Imports match a row to a creator by email first, ignoring case.
        Index("ix_creator_org_id_email_lower", "org_id", text("lower(email)")),
        # Discovery filtered by country (migration 2026-12-05-1001_discovery_indexes).
        Index(
            "ix_creator_org_id_country",
            "org_id",
            "country",
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    niches: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(35))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    influence_score: Mapped[float | None] = mapped_column(Float)
    # Denormalized from the accounts so lists sort and filter without aggregating.
    total_followers: Mapped[int | None] = mapped_column(BigInteger)
    engagement_rate: Mapped[float | None] = mapped_column(Float)
    archived_at: Mapped[datetime | None]
    # The influence score's components and reasons (docs/vetting.md); influence_score is its total.
    influence: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Discovery: the full-text document (name, handles, niches, tags, recent captions) and the
    # creator's most telling terms (niches, hashtags, caption words) that lookalikes compare.
    search_document: Mapped[str | None] = mapped_column(TSVECTOR)
    terms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    last_posted_at: Mapped[datetime | None]
    # Track record over past campaigns: the totals, and the figures discovery sorts by.
    track_record: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    past_campaigns: Mapped[int | None] = mapped_column(Integer)
    past_engagement_rate: Mapped[float | None] = mapped_column(Float)
    past_roi: Mapped[float | None] = mapped_column(Float)
    past_on_time_rate: Mapped[float | None] = mapped_column(Float)

    accounts: Mapped[list["CreatorAccount"]] = relationship(
        back_populates="creator", lazy="raise", order_by="CreatorAccount.created_at"
    )
