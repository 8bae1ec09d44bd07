from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.domain.listening.schemas import BrandOverride
from shared.domain.types import (
    NO_NUL,
    CountryCode,
    CurrencyCode,
    Date,
    Hashtag,
    Label,
    LongText,
    Mention,
    Money,
    Name,
    decimal,
    deduplicated,
    unique,
)
from shared.metrics.kpis import KpiName
from shared.platforms.audience import AGE_RANGES, GENDERS
from shared.platforms.base import Platform


class Objective(StrEnum):
    awareness = "awareness"
    engagement = "engagement"
    traffic = "traffic"
    leads = "leads"
    sales = "sales"


class CampaignStatus(StrEnum):
    draft = "draft"
    active = "active"
    paused = "paused"
    completed = "completed"
    archived = "archived"


class Direction(StrEnum):
    at_least = "at_least"
    at_most = "at_most"


class Goal(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    metric: KpiName = Field(examples=["engagements"])
    target: Annotated[
        decimal(20, 6),
        # Plain decimal text without trailing zeros: "12.5", "100000", "0.03".
        PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
    ]
    direction: Direction = Direction.at_least


def _one_goal_per_metric(goals: list[Goal]) -> list[Goal]:
    # Two targets for one KPI cannot both be the goal: say which one is meant.
    unique([goal.metric for goal in goals])
    return goals


# Hashtags and mentions are stored normalized, so "#Ad" and "ad" are one tag: repeats are dropped.
# A platform twice is more likely a mistake in the request, so it is refused.
Hashtags = Annotated[list[Hashtag], Field(max_length=50), AfterValidator(deduplicated)]
Mentions = Annotated[list[Mention], Field(max_length=50), AfterValidator(deduplicated)]
Platforms = Annotated[
    list[Platform],
    Field(max_length=8, json_schema_extra={"uniqueItems": True}),
    AfterValidator(unique),
]
Goals = Annotated[list[Goal], Field(max_length=30), AfterValidator(_one_goal_per_metric)]


def _lower(values: list[str]) -> list[str]:
    return deduplicated([value.lower() for value in values])


# Who the campaign looks for (discovery ranks creators by fit to them): niches are labels like a
# creator's, compared in lower case; countries ISO 3166-1 alpha-2 codes, upper case. Repeats of
# a normalized value are dropped, as for hashtags.
Niches = Annotated[
    list[Label],
    Field(max_length=50, description="Niches sought, as creators' niches name them"),
    AfterValidator(_lower),
]
Countries = Annotated[
    list[CountryCode],
    Field(max_length=250, description="Countries sought (ISO 3166-1 alpha-2)"),
    AfterValidator(deduplicated),
]


AgeRange = Literal[AGE_RANGES]  # type: ignore[valid-type]
AudienceGender = Literal[GENDERS]  # type: ignore[valid-type]


class TargetAudience(BaseModel):
    """Whose audience the campaign wants to reach; discovery's audience_fit is the share of a
    creator's audience inside it (docs/discovery.md, "Audience fit"). A list left empty does
    not narrow the audience."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    countries: Countries = Field(default_factory=list)
    age_ranges: Annotated[
        list[AgeRange],
        Field(max_length=len(AGE_RANGES), description="Age ranges, as the platforms bucket ages"),
        AfterValidator(deduplicated),
    ] = Field(default_factory=list)
    genders: Annotated[
        list[AudienceGender], Field(max_length=len(GENDERS)), AfterValidator(deduplicated)
    ] = Field(default_factory=list)


BRAND = (
    "The campaign's own brand terms for listening (handles, keywords, products, competitors): "
    "each list given replaces the organization's brand profile's for this campaign's posts"
)

TARGET_AUDIENCE = (
    "Whose audience the campaign wants to reach (countries, age_ranges, genders); null for none"
)


# `disclosure_required` is strictly a JSON boolean, as the document says: "yes" or 1 is 422.
DISCLOSURE_REQUIRED = (
    "Every post of the campaign must disclose, paid or not (a post of a paid collaboration, or of "
    "a deliverable that asks for one, must anyway: docs/metrics.md, Disclosure)."
)


def _check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValueError("ends_on is before starts_on")


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    objective: Objective
    status: CampaignStatus = CampaignStatus.draft
    starts_on: Date | None = None
    ends_on: Date | None = None
    currency: CurrencyCode = "USD"
    budget: Money | None = None
    hashtags: Hashtags = Field(default_factory=list)
    mentions: Mentions = Field(default_factory=list)
    platforms: Platforms = Field(default_factory=list)
    niches: Niches = Field(default_factory=list)
    countries: Countries = Field(default_factory=list)
    target_audience: TargetAudience | None = Field(None, description=TARGET_AUDIENCE)
    brand: BrandOverride | None = Field(None, description=BRAND)
    brief: LongText | None = None
    disclosure_required: StrictBool = Field(False, description=DISCLOSURE_REQUIRED)
    goals: Goals = Field(default_factory=list)

    @field_validator("ends_on")
    @classmethod
    def _dates_in_order(cls, ends_on: date | None, info: ValidationInfo) -> date | None:
        _check_dates(info.data.get("starts_on"), ends_on)
        return ends_on


class CampaignUpdate(BaseModel):
    """PATCH body: only the fields sent change; `goals`, when sent, replaces the whole list.
    Only `starts_on`, `ends_on`, `budget`, `brief`, `target_audience` and `brand` take null (to
    clear them); the other fields are optional but never null."""

    model_config = ConfigDict(extra="forbid")

    name: Name = None  # type: ignore[assignment]
    objective: Objective = None  # type: ignore[assignment]
    status: CampaignStatus = None  # type: ignore[assignment]
    starts_on: Date | None = None
    ends_on: Date | None = None
    currency: CurrencyCode = None  # type: ignore[assignment]
    budget: Money | None = None
    hashtags: Hashtags = None  # type: ignore[assignment]
    mentions: Mentions = None  # type: ignore[assignment]
    platforms: Platforms = None  # type: ignore[assignment]
    niches: Niches = None  # type: ignore[assignment]
    countries: Countries = None  # type: ignore[assignment]
    target_audience: TargetAudience | None = Field(None, description=TARGET_AUDIENCE)
    brand: BrandOverride | None = Field(None, description=BRAND)
    brief: LongText | None = None
    disclosure_required: StrictBool = Field(None, description=DISCLOSURE_REQUIRED)  # type: ignore[assignment]
    goals: Goals = None  # type: ignore[assignment]

    @field_validator("ends_on")
    @classmethod
    def _dates_in_order(cls, ends_on: date | None, info: ValidationInfo) -> date | None:
        _check_dates(info.data.get("starts_on"), ends_on)
        return ends_on


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    objective: str
    status: str
    starts_on: date | None
    ends_on: date | None
    currency: str
    budget: Money | None
    hashtags: list[str]
    mentions: list[str]
    platforms: list[str]
    niches: list[str]
    countries: list[str]
    target_audience: TargetAudience | None
    brand: BrandOverride | None
    brief: str | None
    disclosure_required: bool
    goals: list[Goal]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class CampaignFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] | None = None
    status: CampaignStatus | None = None
    objective: Objective | None = None
    platform: Platform | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
