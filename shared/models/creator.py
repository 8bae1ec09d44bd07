from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Float, Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin

if TYPE_CHECKING:
    from shared.models.creator_account import CreatorAccount


class Creator(IdMixin, OrgMixin, TimestampMixin, Base):
    __tablename__ = "creator"
    __table_args__ = (Index("ix_creator_org_id_created_at", "org_id", "created_at", "id"),)

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

    accounts: Mapped[list["CreatorAccount"]] = relationship(
        back_populates="creator", lazy="raise", order_by="CreatorAccount.created_at"
    )
