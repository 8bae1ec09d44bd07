from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.domain.account.schemas import AccountSummary
from shared.domain.types import NO_NUL, CountryCode, Email, Labels, LanguageTag, LongText, Name
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
    accounts: list[AccountSummary]
    influence_score: float | None
    total_followers: int | None
    engagement_rate: float | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


# Comfortably above any real follower count, and inside Postgres bigint.
MAX_COUNT = 10**15


class CreatorSort(StrEnum):
    influence_score = "influence_score"
    engagement_rate = "engagement_rate"
    followers = "followers"
    created_at = "created_at"


# Each sort with and without the '-' of descending order.
CreatorSortParam = Literal[tuple(f"{sign}{sort}" for sort in CreatorSort for sign in ("", "-"))]  # type: ignore[valid-type]
Query = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]


class CreatorFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Query | None = None
    platform: Platform | None = None
    tier: Tier | None = None
    niche: Annotated[str, StringConstraints(max_length=60, pattern=NO_NUL)] | None = None
    country: CountryCode | None = None
    language: LanguageTag | None = None
    min_followers: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_followers: int | None = Field(
        None,
        ge=0,
        le=MAX_COUNT,
        description="Below min_followers, nothing is in range: the page is empty.",
    )
    min_engagement_rate: float | None = Field(None, ge=0, le=1000, allow_inf_nan=False)
    archived: bool = False
    sort: CreatorSortParam = Field(
        "-created_at",
        description="influence_score, engagement_rate, followers or "
        "created_at; prefix '-' for descending",
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
