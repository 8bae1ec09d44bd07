"""The KPI resources of API.md: the campaign's figures now, their stored history, and one KPI
over time. Field meanings are docs/metrics.md's."""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from shared.metrics.kpis import KpiName
from shared.platforms.base import Platform

# RFC 3339 with a time zone, as API.md says; pydantic alone would also take "0.5" (Unix seconds).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not RFC3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp with a time zone")
    return value


def _plausible(value: datetime) -> datetime:
    # Far outside any campaign, and near the ends of the calendar bucket arithmetic overflows.
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must be between 1970-01-01 and 2100-01-01")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
BucketBound = Annotated[Instant, AfterValidator(_plausible)]
Count = int | None
Rate = float | None
MoneyText = Annotated[str | None, Field(description="Decimal text, 2 places, in `currency`")]


class SentimentFigures(BaseModel):
    """Texts by sentiment: the comments, and captions naming the brand (docs/listening.md)."""

    positive: int
    neutral: int
    negative: int
    unanalysed: int = Field(description="In a language the analyser does not read")
    pending: int = Field(description="Comments stored, not analysed yet")
    analysed: int
    coverage: Rate = Field(description="analysed / (analysed + unanalysed)")
    net: Rate = Field(description="(positive − negative) / analysed")


class Figures(BaseModel):
    """Every campaign KPI (null where undefined: docs/metrics.md, "Rules for every metric")."""

    posts: int
    creators: int
    impressions: Count
    reach: Count
    views: Count
    likes: Count
    comments: Count
    shares: Count
    saves: Count
    engagements: Count
    engagement_rate: Rate
    engagement_rate_by_reach: Rate
    engagement_rate_by_views: Rate
    engagements_24h: Count
    engagements_7d: Count
    engagements_30d: Count
    engagement_rate_24h: Rate
    engagement_rate_7d: Rate
    engagement_rate_30d: Rate
    clicks: Count = Field(description="Clicks by people on the campaign's tracking links")
    # Defaults: KPI snapshots stored before these existed read back without them.
    unique_clicks: Count = Field(None, description="Distinct visitors per link per UTC day")
    platform_clicks: Count = Field(
        None, description="The posts' own link clicks, as their platforms report them"
    )
    ctr: Rate
    conversions: Count
    leads: Count
    revenue: MoneyText
    unconverted_revenue: dict[str, str] = Field(
        default_factory=dict,
        description="Per ISO 4217 currency, the net amount of attributed orders with no exchange "
        "rate into the campaign's currency (decimal text): not in `revenue`",
    )
    cost: MoneyText
    cpe: Rate
    cpm: Rate
    cpv: Rate
    cpc: Rate
    cpa: Rate
    cpl: Rate
    roi: Rate
    roas: Rate
    emv: MoneyText
    disclosure_rate: Rate
    mentions: Count = Field(
        description="Texts on the campaign's posts naming the brand (docs/listening.md)"
    )
    # Defaults: KPI snapshots stored before brand listening read back without them.
    competitor_mentions: Count = Field(None, description="Texts naming a competitor")
    sentiment: SentimentFigures | None
    sentiment_net: Rate = Field(None, description="(positive − negative) / analysed, -1..1")


class CreatorFigures(Figures):
    creator_id: UUID


class PlatformFigures(Figures):
    platform: Platform


class GoalStatus(StrEnum):
    achieved = "achieved"
    on_track = "on_track"
    behind = "behind"


class GoalProgress(BaseModel):
    metric: str
    target: str = Field(description="Decimal text, as the campaign's goal states it")
    direction: str
    actual: int | float | str | None
    progress: Rate
    expected_progress: Rate = Field(
        description="The fraction of the campaign's time elapsed; null when it has no end date"
    )
    status: GoalStatus | None = Field(description="null while the KPI itself is null")


class CampaignKpis(BaseModel):
    campaign_id: UUID
    computed_at: datetime
    currency: str
    emv_rate_card_version: int
    totals: Figures
    by_creator: list[CreatorFigures]
    by_platform: list[PlatformFigures]
    goals: list[GoalProgress]
    coverage: dict[str, float | None]


class KpiSnapshotRead(BaseModel):
    """The KPIs as the worker computed and stored them at `computed_at`."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID
    computed_at: datetime
    emv_rate_card_version: int | None
    totals: Figures
    by_creator: list[CreatorFigures]
    by_platform: list[PlatformFigures]
    goals: list[GoalProgress]
    coverage: dict[str, float | None]


class KpiSnapshotFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: Instant | None = None
    until: Instant | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class Interval(StrEnum):
    hour = "hour"
    day = "day"


class TimeseriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    metric: KpiName = "engagements"
    interval: Interval = Interval.day
    from_: BucketBound | None = Field(
        None, alias="from", description="Default: 30 days (day) or 48 hours (hour) before `to`"
    )
    to: BucketBound | None = Field(None, description="Default: now")


class Point(BaseModel):
    t: datetime = Field(description="The bucket's start; the value is the KPI at its end")
    value: int | float | str | None
    emv_rate_card_version: int | None = Field(
        None, description="With metric=emv: the rate card the value was computed with"
    )


class Timeseries(BaseModel):
    campaign_id: UUID
    metric: str
    interval: Interval
    currency: str
    points: list[Point]
