from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin
from shared.models.status import SubscriptionStatus


class Subscription(IdMixin, OrgMixin, TimestampMixin, Base):
    """An internal integration's endpoint and the event types it wants, signed (Standard
    Webhooks) with its own secret, sealed under SWAY_SECRET_KEY."""

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_org_id_created_at", "org_id", "created_at", "id"),)

    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    description: Mapped[str | None] = mapped_column(Text)
    secret_sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=SubscriptionStatus.active)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    # Deliveries that ended failed in a row; reset by any success.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
