from datetime import datetime
from uuid import UUID

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin, org_foreign_key


class AudienceCollection(OrgMixin, Base):
    """When an account's audience was last asked for, and why the last try failed: it is asked
    at most once per SWAY_AUDIENCE_EVERY_S, and a failure never fails the account's sync."""

    __tablename__ = "audience_collection"
    __table_args__ = (org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),)

    account_id: Mapped[UUID] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime]
    collected_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
