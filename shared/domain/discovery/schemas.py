from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.creator.schemas import CreatorAccountSummary, CreatorSearch, CreatorSortParam

FIT_SORT = "-fit"
DiscoverSortParam = Literal[(*CreatorSortParam.__args__, FIT_SORT)]  # type: ignore[attr-defined,valid-type]


class DiscoverFilters(CreatorSearch):
    campaign_id: UUID | None = Field(
        None,
        description="Rank by fit to this campaign's niches, hashtags, platforms and countries "
        "(docs/discovery.md); each result then carries its fit",
    )
    sort: DiscoverSortParam | None = Field(
        None,
        description="-fit (best fit first; needs a campaign_id, and is the default with one) or "
        "a sort of the creator list (influence_score, engagement_rate, followers, created_at, "
        "past_roi, past_engagement_rate, past_on_time_rate, past_campaigns; prefix '-' for "
        "descending; -created_at is the default without a campaign_id)",
    )


class Fit(BaseModel):
    score: float = Field(
        ge=0,
        le=100,
        description="0-100: the weighted share of the campaign's targets the creator meets",
    )
    reasons: list[str] = Field(description='What matched, e.g. "niche coffee matches"')


class AudienceFit(BaseModel):
    score: float | None = Field(
        ge=0,
        le=100,
        description="0-100: the share of the creator's audience inside the campaign's target "
        "audience; null without audience data",
    )
    reasons: list[str] = Field(
        description='e.g. "62 % of audience in US, GB"; ["no_audience_data"] when none'
    )


class CreatorSummary(BaseModel):
    """A creator as a search result shows it: who it is, its reach and its record."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    niches: list[str]
    country: str | None
    language: str | None
    tags: list[str]
    accounts: list[CreatorAccountSummary]
    influence_score: float | None
    total_followers: int | None
    engagement_rate: float | None
    last_posted_at: datetime | None
    past_campaigns: int | None
    past_engagement_rate: float | None
    past_roi: float | None
    past_on_time_rate: float | None


class DiscoveredCreator(CreatorSummary):
    fit: Fit | None = Field(description="How well it fits the campaign; null without a campaign_id")
    audience_fit: AudienceFit | None = Field(
        None,
        description="How much of its audience is the campaign's target audience (not part of "
        "fit.score); null without a campaign_id or a target audience",
    )


class Similarity(BaseModel):
    score: float = Field(
        ge=0, le=1, description="Jaccard index of the two creators' terms: shared / all distinct"
    )
    reasons: list[str] = Field(description="The terms they share, the source's strongest first")


class SimilarCreator(CreatorSummary):
    similarity: Similarity


class SimilarCreators(BaseModel):
    creator_id: UUID
    terms: list[str] = Field(description="The source creator's terms that were compared")
    items: list[SimilarCreator]
