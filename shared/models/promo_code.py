from uuid import UUID

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key


class PromoCode(IdMixin, OrgMixin, TimestampMixin, Base):
    """A creator's discount code for a campaign. `code` is kept as given; `code_key` is its
    case-folded form, unique per organization, which orders are matched on."""

    __tablename__ = "promo_code"
    __table_args__ = (
        org_foreign_key("campaign_id", "campaign", ondelete="CASCADE"),
        org_foreign_key("creator_id", "creator", ondelete="CASCADE"),
        Index("uq_promo_code_org_id_code_key", "org_id", "code_key", unique=True),
        Index("ix_promo_code_campaign_id_created_at", "campaign_id", "created_at", "id"),
    )

    campaign_id: Mapped[UUID]
    creator_id: Mapped[UUID]
    platform: Mapped[str | None] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(64))
    code_key: Mapped[str] = mapped_column(String(64))
