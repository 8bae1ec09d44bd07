from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin, org_foreign_key


class PostSchedule(OrgMixin, Base):
    """When the scheduler next looks at a post: the one thing its claim indexes, kept in a
    narrow row of its own so that refreshing a post changes no indexed column of `post` and
    every refresh of the wide row is a HOT update (docs/scaling.md, "Cheap post updates").

    `due_at` is derived from the post (shared/domain/post/schedule.py, DUE): its next refresh
    while it is tracked and free, the end of its lease while a job holds it, NULL when the
    scheduler has nothing to do with it (not tracked, or an Instagram story)."""

    __tablename__ = "post_schedule"
    __table_args__ = (
        org_foreign_key("post_id", "post", ondelete="CASCADE"),
        # The claim: per organization, by due time, only posts the scheduler may take.
        Index(
            "ix_post_schedule_due",
            "org_id",
            "due_at",
            postgresql_where=text("due_at IS NOT NULL"),
        ),
    )

    post_id: Mapped[UUID] = mapped_column(primary_key=True)
    due_at: Mapped[datetime | None]
