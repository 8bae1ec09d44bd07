from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin
from shared.models.status import WebhookEventStatus


class WebhookEvent(IdMixin, OrgMixin, Base):
    """The inbox: an inbound event exactly as it arrived (headers and raw body), stored in the
    request that verified it, before any processing."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        # A delivery seen before (same event id from the same source) changes nothing.
        Index(
            "uq_webhook_event_source_id_external_id",
            "source_id",
            "external_id",
            "org_id",
            unique=True,
        ),
        Index("ix_webhook_event_org_id_received_at", "org_id", "received_at", "id"),
        # The re-enqueue cron's scan: only events still waiting for a try.
        Index(
            "ix_webhook_event_waiting",
            "received_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
    )
    _eager_defaults = True

    source_id: Mapped[UUID] = mapped_column(ForeignKey("webhook_source.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=WebhookEventStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
    # When a failed event is due for its next try (exponential backoff); the cron re-enqueues
    # it once due, should the deferred retry job be lost.
    next_attempt_at: Mapped[datetime | None]
