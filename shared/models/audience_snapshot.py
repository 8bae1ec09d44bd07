from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin, org_foreign_key


class AudienceSnapshot(OrgMixin, Base):
    """Append-only: one dimension of an account's audience as its platform reported it on one
    day (docs/discovery.md, "Audience"). `shares` maps each bucket (a country code, an age range,
    a gender, a city) to its fraction of the audience, 0..1."""

    __tablename__ = "audience_snapshot"
    __table_args__ = (org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),)

    # The primary key serves "the latest snapshot of each dimension of these accounts".
    account_id: Mapped[UUID] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)  # age|gender|country|city
    captured_at: Mapped[datetime] = mapped_column(primary_key=True)
    # Which platform report it came from, e.g. "instagram.follower_demographics".
    source: Mapped[str] = mapped_column(String(60))
    shares: Mapped[dict[str, float]] = mapped_column(JSONB)
    # What the shares are fractions of, where the platform gives counts (followers counted).
    total: Mapped[int | None] = mapped_column(BigInteger)
