"""Tracking links of API.md: a creator's short link for a campaign, its tracked destination and
its click counts (docs/attribution.md)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models import TrackingLink
from shared.platforms.base import Platform

MAX_DESTINATION_LENGTH = 2000

DestinationUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=MAX_DESTINATION_LENGTH,
        # Printable ASCII only (a Location header carries it as is): a host without `@` (a user
        # name before the host is a phishing disguise), then an optional path, query, fragment.
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[\x21\x22\x24-\x2e\x30-\x3e\x41-\x7e]+"
        r"(?:[/?#][\x21-\x7e]*)?$",
    ),
    Field(
        description=f"An http(s) URL of at most {MAX_DESTINATION_LENGTH} characters, printable "
        "ASCII (percent-encode anything else; an international domain in its xn-- form)",
        examples=["https://shop.example.com/autumn?ref=ig#top"],
    ),
]


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: UUID
    destination_url: DestinationUrl
    platform: Platform | None = Field(
        None, description="Where the creator shares the link; it is the link's `utm_source`"
    )


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link with its click counts, as the service returns it."""

    link: TrackingLink
    clicks: int
    unique_clicks: int


class LinkRead(BaseModel):
    id: UUID
    campaign_id: UUID
    creator_id: UUID
    platform: Platform | None
    code: str
    short_url: str = Field(description="`/r/{code}` on Sway's public URL: share this one")
    destination_url: str
    tracked_url: str = Field(description="The destination with Sway's UTM parameters")
    clicks: int = Field(description="Clicks by people (known bots are recorded, not counted)")
    unique_clicks: int = Field(description="Distinct visitors per UTC day, summed over days")
    created_at: datetime

    @classmethod
    def of(cls, view: LinkView, public_url: str) -> "LinkRead":
        link = view.link
        return cls(
            id=link.id,
            campaign_id=link.campaign_id,
            creator_id=link.creator_id,
            platform=link.platform,
            code=link.code,
            short_url=f"{public_url}/r/{link.code}",
            destination_url=link.destination_url,
            tracked_url=link.tracked_url,
            clicks=view.clicks,
            unique_clicks=view.unique_clicks,
            created_at=link.created_at,
        )


class LinkFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
