from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Index, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin

if TYPE_CHECKING:
    from shared.models.campaign_goal import CampaignGoal


class Campaign(IdMixin, OrgMixin, TimestampMixin, Base):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"
        ),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
        Index("ix_campaign_org_id_created_at", "org_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    hashtags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    mentions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    platforms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # Who the campaign is looking for: discovery ranks creators by fit to these.
    niches: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    countries: Mapped[list[str]] = mapped_column(
        ARRAY(String(2)), default=list, server_default="{}"
    )
    # Whose audience the campaign wants to reach: {countries, age_ranges, genders}, each a list
    # (discovery's audience_fit reads it); None when not stated.
    target_audience: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The campaign's own brand terms for listening: {handles, keywords, products, competitors},
    # each list replacing the organization's brand profile's; None: the organization's.
    brand: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    brief: Mapped[str | None] = mapped_column(Text)
    # Every post of the campaign must disclose, paid or not (a paid collaboration always must).
    disclosure_required: Mapped[bool] = mapped_column(default=False, server_default="false")
    archived_at: Mapped[datetime | None]

    goals: Mapped[list["CampaignGoal"]] = relationship(
        back_populates="campaign",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="CampaignGoal.created_at",
    )
