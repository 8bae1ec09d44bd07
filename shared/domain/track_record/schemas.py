"""The track record resource (API.md, docs/track-record.md). Counts are integers, ratios
unrounded numbers, money decimal text with two places; null where a figure is undefined."""

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from shared.domain.campaign.schemas import CampaignStatus
from shared.models.status import CollaborationStage

Count = int | None
Rate = float | None
Money = Annotated[str | None, Field(description="Decimal text, 2 places, in `currency`")]


class TrackRecordCampaign(BaseModel):
    """The creator's figures on one campaign: the campaign KPIs' (docs/metrics.md) for this
    creator, and their deliverables' punctuality."""

    campaign_id: UUID
    name: str
    status: CampaignStatus
    starts_on: date | None
    ends_on: date | None
    currency: str
    past: bool = Field(description="The campaign has ended: it counts in `totals`")
    stage: CollaborationStage | None = Field(
        description="The collaboration's stage; null: tracked posts with no collaboration"
    )
    posts: int
    engagements: Count
    engagement_rate: Rate
    conversions: Count
    revenue: Money
    cost: Money
    cpe: Rate
    roi: Rate
    deliverables_due: int
    delivered_on_time: int
    on_time_rate: Rate
    disclosure_required: int
    disclosure_passed: int
    disclosure_rate: Rate


class TrackRecordMoney(BaseModel):
    """Money figures over the past campaigns in one currency."""

    currency: str
    campaigns: int
    cost: Money
    revenue: Money
    cpe: Rate = Field(description="Over the campaigns where cost and engagements are both known")
    roi: Rate = Field(description="Over the campaigns where revenue and cost are both known")


class TrackRecordTotals(BaseModel):
    """Over the past campaigns: counts summed, rates as ratios of the sums."""

    campaigns: int
    posts: int
    engagements: Count
    engagement_rate: Rate
    conversions: Count
    deliverables_due: int
    delivered_on_time: int
    on_time_rate: Rate
    disclosure_required: int
    disclosure_passed: int
    disclosure_rate: Rate
    roi: Rate = Field(
        description="The ROI of `money`'s one currency with an ROI; null when none or several"
    )
    money: list[TrackRecordMoney]


class TrackRecordRead(BaseModel):
    creator_id: UUID
    campaigns: list[TrackRecordCampaign]
    totals: TrackRecordTotals
