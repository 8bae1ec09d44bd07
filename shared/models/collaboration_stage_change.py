from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, org_foreign_key


class CollaborationStageChange(IdMixin, OrgMixin, Base):
    """Append-only audit of a collaboration's stage: every move, when, and by which API key
    (null when Sway itself moved it)."""

    __tablename__ = "collaboration_stage_change"
    __table_args__ = (
        org_foreign_key("collaboration_id", "collaboration", ondelete="CASCADE"),
        Index("ix_collaboration_stage_change_collaboration_id_at", "collaboration_id", "at"),
    )

    collaboration_id: Mapped[UUID]
    stage: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    by: Mapped[UUID | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
