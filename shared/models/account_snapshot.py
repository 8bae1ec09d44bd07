from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin, org_foreign_key


class AccountSnapshot(OrgMixin, Base):
    """Append-only follower history of an account (growth curves, fake-follower signals),
    partitioned by month of captured_at (docs/scaling.md)."""

    __tablename__ = "account_snapshot"
    __table_args__ = (
        org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),
        {"postgresql_partition_by": "RANGE (captured_at)"},
    )

    account_id: Mapped[UUID] = mapped_column(primary_key=True)
    captured_at: Mapped[datetime] = mapped_column(primary_key=True)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
