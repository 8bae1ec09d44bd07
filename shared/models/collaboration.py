from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import CheckConstraint, Index, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key
from shared.models.status import CollaborationStage

if TYPE_CHECKING:
    from shared.models.collaboration_stage_change import CollaborationStageChange


class Collaboration(IdMixin, OrgMixin, TimestampMixin, Base):
    """A creator on a campaign: where the deal stands and what it pays. Compensation lives in
    plain columns (money in the campaign's currency), so campaign cost is one aggregate."""

    __tablename__ = "collaboration"
    __table_args__ = (
        org_foreign_key("campaign_id", "campaign", ondelete="CASCADE"),
        org_foreign_key("creator_id", "creator", ondelete="CASCADE"),
        # One collaboration per creator and campaign.
        Index(
            "uq_collaboration_campaign_creator", "campaign_id", "creator_id", "org_id", unique=True
        ),
        Index("ix_collaboration_campaign_id_created_at", "campaign_id", "created_at", "id"),
        Index("ix_collaboration_creator_id", "creator_id"),
        CheckConstraint(
            "fee >= 0 AND product_value >= 0 AND commission_rate BETWEEN 0 AND 1",
            name="compensation_range",
        ),
    )

    campaign_id: Mapped[UUID]
    creator_id: Mapped[UUID]
    stage: Mapped[str] = mapped_column(String(20), default=CollaborationStage.prospect)
    compensation_model: Mapped[str | None] = mapped_column(String(20))
    fee: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    product_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    commission_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    usage_rights: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    contract_signed_at: Mapped[datetime | None]
    contract_document_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    stage_history: Mapped[list["CollaborationStageChange"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(CollaborationStageChange.at, CollaborationStageChange.id)",
    )
