from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from shared.domain.account.schemas import AccountSummary
from shared.domain.types import CountryCode, Labels, LanguageTag, LongText, Name
from shared.metrics.tiers import Tier
from shared.platforms.base import Platform


class CreatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr | None = None
    niches: Labels = []
    country: CountryCode | None = None
    language: LanguageTag | None = None
    tags: Labels = []
    notes: LongText | None = None


class CreatorUpdate(BaseModel):
    """PATCH body: only the fields sent change; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: EmailStr | None = None
    niches: Labels | None = None
    country: CountryCode | None = None
    language: LanguageTag | None = None
    tags: Labels | None = None
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


class CreatorFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=200)
    platform: Platform | None = None
    tier: Tier | None = None
    niche: str | None = Field(None, max_length=60)
    country: CountryCode | None = None
    language: LanguageTag | None = None
    min_followers: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_followers: int | None = Field(None, ge=0, le=MAX_COUNT)
    min_engagement_rate: float | None = Field(None, ge=0, le=1000, allow_inf_nan=False)
    archived: bool = False
    sort: str = Field(
        "-created_at",
        description="influence_score, engagement_rate, followers or "
        "created_at; prefix '-' for descending",
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        # One optional "-": lstrip would let "--followers" through to the sort parser.
        if value.removeprefix("-") not in set(CreatorSort):
            raise ValueError(f"sort must be one of {', '.join(CreatorSort)} (optionally with '-')")
        return value
