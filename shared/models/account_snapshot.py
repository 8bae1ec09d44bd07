from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin


class AccountSnapshot(OrgMixin, Base):
    """Append-only follower history of an account (growth curves, fake-follower signals),
    partitioned by month of captured_at (docs/scaling.md)."""

    __tablename__ = "account_snapshot"
    __table_args__ = {"postgresql_partition_by": "RANGE (captured_at)"}

    account_id: Mapped[UUID] = mapped_column(
        ForeignKey("creator_account.id", ondelete="CASCADE"), primary_key=True
    )
    captured_at: Mapped[datetime] = mapped_column(primary_key=True)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
