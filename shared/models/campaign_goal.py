from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key

if TYPE_CHECKING:
    from shared.models.campaign import Campaign


class CampaignGoal(IdMixin, OrgMixin, TimestampMixin, Base):
    __tablename__ = "campaign_goal"
    __table_args__ = (org_foreign_key("campaign_id", "campaign", ondelete="CASCADE"),)

    campaign_id: Mapped[UUID] = mapped_column(index=True)
    metric: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    direction: Mapped[str] = mapped_column(String(10))

    campaign: Mapped["Campaign"] = relationship(back_populates="goals", lazy="raise")
