from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin


class EmvRateCard(IdMixin, OrgMixin, Base):
    """One version of an organization's EMV rate card. Rows are never changed: an edit adds the
    next version, so every EMV figure can name the card that produced it."""

    __tablename__ = "emv_rate_card"
    __table_args__ = (Index("uq_emv_rate_card_org_id_version", "org_id", "version", unique=True),)
    _eager_defaults = True

    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # {platform: {metric: "decimal rate per unit"}}
    rates: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # {platform: "where these rates come from"} or free text per card
    sources: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
