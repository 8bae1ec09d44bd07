from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, String, Text, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, column_property, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key
from shared.models.post import Post
from shared.models.status import DeliverableStatus


class Deliverable(IdMixin, OrgMixin, TimestampMixin, Base):
    """What a collaboration owes: one piece of content on one platform, by a due time. The link
    to its post is stored once, as `post.deliverable_id`; `post_id` here reads it back."""

    __tablename__ = "deliverable"
    __table_args__ = (
        org_foreign_key("collaboration_id", "collaboration", ondelete="CASCADE"),
        Index("ix_deliverable_collaboration_id_created_at", "collaboration_id", "created_at", "id"),
        # The overdue sweep: open deliverables by due time.
        Index("ix_deliverable_due_at", "due_at"),
    )

    collaboration_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime | None]
    hashtags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    mentions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    disclosure: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(10), default=DeliverableStatus.pending)


# A post fulfils at most one deliverable (a unique index on post.deliverable_id).
Deliverable.post_id = column_property(
    select(Post.id).where(Post.deliverable_id == Deliverable.id).scalar_subquery()
)
