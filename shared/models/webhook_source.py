from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin


class WebhookSource(IdMixin, OrgMixin, TimestampMixin, Base):
    """A marketplace or a shop that calls Sway back at /webhooks/{id}. Its secret is sealed under
    SWAY_SECRET_KEY; while a rotation's grace period runs, the previous secret verifies too."""

    __tablename__ = "webhook_source"
    __table_args__ = (Index("ix_webhook_source_org_id_created_at", "org_id", "created_at", "id"),)

    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    secret_sealed: Mapped[str] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
