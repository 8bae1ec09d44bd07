from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, Integer, SmallInteger, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, org_foreign_key
from shared.models.status import DeliveryStatus


class Delivery(IdMixin, OrgMixin, Base):
    """One event for one subscription. `message_id` is the `webhook-id` the receiver sees, the
    same on every attempt and redelivery, so the receiver can drop duplicates."""

    __tablename__ = "delivery"
    __table_args__ = (
        org_foreign_key("subscription_id", "subscription", ondelete="CASCADE"),
        Index("ix_delivery_subscription_id_created_at", "subscription_id", "created_at", "id"),
        # The cron's scan for deliveries whose next attempt is due.
        Index(
            "ix_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )
    _eager_defaults = True

    subscription_id: Mapped[UUID]
    event_type: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DeliveryAttempt(IdMixin, OrgMixin, Base):
    """The delivery log: one row per HTTP attempt, with what the receiver answered."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        org_foreign_key("delivery_id", "delivery", ondelete="CASCADE"),
        Index("ix_delivery_attempt_delivery_id_at", "delivery_id", "at"),
    )

    delivery_id: Mapped[UUID]
    at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
