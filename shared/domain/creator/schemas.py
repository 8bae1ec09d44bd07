from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.domain.account.schemas import AccountSummary
from shared.domain.types import NO_NUL, CountryCode, Email, Labels, LanguageTag, LongText, Name
from shared.domain.vetting.schemas import Influence, stored
from shared.metrics.tiers import Tier
from shared.platforms.base import Platform


class CreatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email | None = None
    niches: Labels = []
    country: CountryCode | None = None
    language: LanguageTag | None = None
    tags: Labels = []
    notes: LongText | None = None


class CreatorUpdate(BaseModel):
    """PATCH body: only the fields sent change; unknown fields are refused. `name`, `niches`
    and `tags` are optional but never null (send [] to clear a list); the rest take null to
    clear."""

    model_config = ConfigDict(extra="forbid")

    name: Name = None  # type: ignore[assignment]
    email: Email | None = None
    niches: Labels = None  # type: ignore[assignment]
    country: CountryCode | None = None
    language: LanguageTag | None = None
    tags: Labels = None  # type: ignore[assignment]
    notes: LongText | None = None


class CreatorAccountSummary(AccountSummary):
    """An account as a creator shows it: its figures and how genuine its audience looks."""

    authenticity_score: float | None = Field(
        description="0-100 (docs/vetting.md); null until there is history enough to judge"
    )


class CreatorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    email: str | None
    niches: list[str]
    country: str | None
    language: str | None
    tags: list[str]
    notes: str | None
    accounts: list[CreatorAccountSummary]
    influence_score: float | None
    influence: Influence = Field(
        default_factory=Influence, description="The influence score's components and reasons"
    )
    total_followers: int | None
    engagement_rate: float | None
    last_posted_at: datetime | None = Field(description="The newest post known on any account")
    past_campaigns: int | None = Field(description="Campaigns in its track record")
    past_engagement_rate: float | None = Field(
        description="Engagement rate across its past campaigns"
    )
    past_roi: float | None = Field(description="ROI across its past campaigns")
    past_on_time_rate: float | None = Field(
        description="Share of its past deliverables published on time"
    )
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @field_validator("influence", mode="before")
    @classmethod
    def _none_is_unknown(cls, value: Any) -> Any:
        return stored(value)


# Comfortably above any real follower count, and inside Postgres bigint.
MAX_COUNT = 10**15


class CreatorSort(StrEnum):
    influence_score = "influence_score"
    engagement_rate = "engagement_rate"
    followers = "followers"
    created_at = "created_at"
    past_roi = "past_roi"
    past_engagement_rate = "past_engagement_rate"
    past_on_time_rate = "past_on_time_rate"
    past_campaigns = "past_campaigns"


# Each sort with and without the '-' of descending order.
CreatorSortParam = Literal[tuple(f"{sign}{sort}" for sort in CreatorSort for sign in ("", "-"))]  # type: ignore[valid-type]
Query = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]


SEARCH_RULE = (
    "Full-text search over names, handles, niches, tags and recent captions (docs/discovery.md): "
    'each word is a prefix ("ada.br" finds @ada.brews, "latt" finds latte), every word '
    'must match; "quoted words" match as a phrase, -word excludes, or between words '
    "matches either. Letter case and a leading @ or # do not matter."
)
SORTS = "influence_score, engagement_rate, followers, created_at, past_roi, past_engagement_rate, "
SORTS += "past_on_time_rate or past_campaigns; prefix '-' for descending"


class CreatorSearch(BaseModel):
    """The filters the creator list and discovery share; each narrows the result (all must
    hold). The account filters (platform, tier, followers, authenticity) hold on one account."""

    model_config = ConfigDict(extra="forbid")

    q: Query | None = Field(None, description=SEARCH_RULE)
    platform: Platform | None = None
    tier: Tier | None = None
    niche: Annotated[str, StringConstraints(max_length=60, pattern=NO_NUL)] | None = None
    country: CountryCode | None = None
    language: LanguageTag | None = Field(
        None, description="A language tag or its prefix: en matches en-US"
    )
    min_followers: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_followers: int | None = Field(
        None,
        ge=0,
        le=MAX_COUNT,
        description="Below min_followers, nothing is in range: the page is empty.",
    )
    min_engagement_rate: float | None = Field(None, ge=0, le=1000, allow_inf_nan=False)
    min_authenticity: float | None = Field(
        None,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="An account's authenticity score at least this (an account with no score "
        "yet does not qualify)",
    )
    posted_within_days: int | None = Field(
        None, ge=1, le=3650, description="The creator's newest known post is this recent"
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class CreatorFilters(CreatorSearch):
    archived: bool = False
    sort: CreatorSortParam = Field("-created_at", description=SORTS)
