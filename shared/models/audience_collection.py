from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin


class AudienceCollection(OrgMixin, Base):
    """When an account's audience was last asked for, and why the last try failed: it is asked
    at most once per SWAY_AUDIENCE_EVERY_S, and a failure never fails the account's sync."""

    __tablename__ = "audience_collection"

    account_id: Mapped[UUID] = mapped_column(
        ForeignKey("creator_account.id", ondelete="CASCADE"), primary_key=True
    )
    attempted_at: Mapped[datetime]
    collected_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
