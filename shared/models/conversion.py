from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ForeignKey, Index, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, org_foreign_key


class Conversion(IdMixin, OrgMixin, Base):
    """A purchase, lead or refund reported by a webhook source, in the currency it was made in.
    Attribution (campaign, creator, the rule that matched) is decided once, when it is stored;
    a refund carries its purchase's attribution. `converted_amount` is the amount in the
    campaign's currency at `exchange_rate` (null when no rate was known: reported apart)."""

    __tablename__ = "conversion"
    __table_args__ = (
        org_foreign_key("event_id", "webhook_event", ondelete="SET NULL"),
        org_foreign_key("purchase_id", "conversion", ondelete="CASCADE"),
        org_foreign_key("campaign_id", "campaign", ondelete="SET NULL"),
        org_foreign_key("creator_id", "creator", ondelete="SET NULL"),
        Index(
            "uq_conversion_source_id_kind_external_id",
            "source_id",
            "kind",
            "external_id",
            "org_id",
            unique=True,
        ),
        Index("ix_conversion_campaign_id_occurred_at", "campaign_id", "occurred_at"),
        Index("ix_conversion_purchase_id", "purchase_id"),
        Index("ix_conversion_org_id_created_at", "org_id", "created_at", "id"),
    )
    _eager_defaults = True

    source_id: Mapped[UUID] = mapped_column(ForeignKey("webhook_source.id", ondelete="CASCADE"))
    event_id: Mapped[UUID | None]
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    # A refund's purchase (the order it refunds).
    purchase_id: Mapped[UUID | None]
    occurred_at: Mapped[datetime]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    promo_code: Mapped[str | None] = mapped_column(String(64))
    link_code: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[UUID | None]
    creator_id: Mapped[UUID | None]
    platform: Mapped[str | None] = mapped_column(String(20))
    attributed_by: Mapped[str | None] = mapped_column(String(20))
    converted_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    converted_currency: Mapped[str | None] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
