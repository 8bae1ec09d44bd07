"""Brand listening's request and response shapes (docs/listening.md)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.domain.kpi.schemas import Instant
from shared.domain.types import Mention, deduplicated, stripped
from shared.listening.matching import TermKind
from shared.listening.sentiment import Sentiment
from shared.platforms.base import Platform


def _distinct_terms(terms: list[str]) -> list[str]:
    # Matching ignores case and accents, so "Café" and "cafe" are one term: the first is kept.
    seen: set[str] = set()
    kept = []
    for term in terms:
        key = term.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(term)
    return kept


Term = stripped(100)
Terms = Annotated[list[Term], Field(max_length=100), AfterValidator(_distinct_terms)]
# Handles are stored like a campaign's mentions: without "@", in lower case.
Handles = Annotated[list[Mention], Field(max_length=100), AfterValidator(deduplicated)]

TERM_LISTS = ("handles", "keywords", "products", "competitors")


class BrandTerms(BaseModel):
    """PUT /v1/organization/brand: the whole profile; a list left out is empty."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    handles: Handles = Field(
        default_factory=list, description="The brand's own accounts, e.g. bluebottle (no @)"
    )
    keywords: Terms = Field(default_factory=list, description="The brand's names, e.g. Blue Bottle")
    products: Terms = Field(default_factory=list, description="Product names, e.g. Bella Donovan")
    competitors: Terms = Field(
        default_factory=list, description="Competitors' names and handles, counted apart"
    )


class BrandOverride(BaseModel):
    """A campaign's `brand`: each list given replaces the organization's for the campaign's
    posts; a list left out (or null) is the organization's."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    handles: Handles | None = None
    keywords: Terms | None = None
    products: Terms | None = None
    competitors: Terms | None = None


class BrandProfileRead(BrandTerms):
    updated_at: datetime | None = Field(None, description="null until the profile is first set")


class SentimentRead(BaseModel):
    label: Sentiment
    # The analyser's score where it ran (VADER's compound, -1..1), else null.
    score: float | None
    language: str | None = Field(description="ISO 639-1 code detected; null when none was")


class MentionRead(BaseModel):
    id: UUID
    source: str = Field(description="caption | comment")
    term: str
    kind: TermKind
    text: str | None = Field(description="The caption or comment the term was found in")
    occurred_at: datetime
    platform: str
    creator_id: UUID
    account_id: UUID
    post_id: UUID | None
    post_external_id: str
    comment_id: UUID | None
    campaign_id: UUID | None
    sentiment: SentimentRead


class CommentRead(BaseModel):
    id: UUID
    post_id: UUID
    platform: str
    external_id: str
    parent_external_id: str | None
    text: str
    published_at: datetime
    like_count: int | None
    author_hash: str | None = Field(description="A pseudonym: equal for one author's comments")
    terms: list[str] = Field(description="Brand and competitor terms found in it")
    sentiment: SentimentRead | None = Field(description="null until analysed (within minutes)")


class ListFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sentiment: Sentiment | None = None
    term: Term | None = Field(None, description="Only texts where this profile term was found")
    since: Instant | None = Field(None, description="Only texts from this instant on (RFC 3339)")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class MentionFilters(ListFilters):
    kind: TermKind | None = None
    competitors: bool = Field(False, description="List competitor mentions instead of the brand's")
    creator_id: UUID | None = None
    platform: Platform | None = None


class BrandHistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(12, ge=1, le=36, description="How far back to look")


class BrandSeen(BaseModel):
    brand: str = Field(description="The @handle or brand name the creator named")
    posts: int
    last_posted_at: datetime | None
    platforms: list[str]
    competitor: bool = Field(description="Named in the organization's competitors")
    own_brand: bool = Field(description="One of the organization's own brand terms")
    examples: list[str] = Field(description="Up to three post URLs (or ids)")


class BrandHistoryRead(BaseModel):
    creator_id: UUID
    months: int
    since: datetime
    sponsored_posts: int = Field(description="Disclosed sponsored posts in the window")
    posts_read: int = Field(description="Synced posts read in the window")
    brands: list[BrandSeen]
    competitor_conflicts: list[str]
