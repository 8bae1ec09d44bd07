from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from shared.domain.types import stripped
from shared.metrics.engagement import AGES, engagements, ratio
from shared.models.post_snapshot import COUNTS
from shared.models.status import PostStatus


class PostByUrl(BaseModel):
    """Track a post by its URL; the URL names the account."""

    model_config = ConfigDict(extra="forbid", title="PostByUrl")

    url: stripped(2000)  # type: ignore[valid-type]
    deliverable_id: UUID | None = Field(
        None, description="The deliverable this post fulfils (same campaign, creator, platform)"
    )


class PostById(BaseModel):
    """Track a post of an account of the organization by the platform's id for it."""

    model_config = ConfigDict(extra="forbid", title="PostById")

    account_id: UUID
    external_id: stripped(200)  # type: ignore[valid-type]
    deliverable_id: UUID | None = Field(
        None, description="The deliverable this post fulfils (same campaign, creator, platform)"
    )


def _way(value: Any) -> str:
    if isinstance(value, dict):
        return "by_url" if "url" in value else "by_id"
    return "by_url" if isinstance(value, PostByUrl) else "by_id"


# One of the two: `url` alone, or `account_id` with `external_id` (either model refuses the
# other's fields). Errors name the way the body was read: body.by_url.* or body.by_id.*.
PostCreate = Annotated[
    Annotated[PostByUrl, Tag("by_url")] | Annotated[PostById, Tag("by_id")],
    Discriminator(_way),
]


class Disclosure(BaseModel):
    required: bool = False
    compliant: bool | None = None
    found: list[str] = []
    reason: str | None = Field(
        None,
        description="Why a required disclosure failed: missing, shorthand_only, after_fold, "
        "buried_in_hashtags; not_required when none is required (docs/metrics.md).",
    )


class SnapshotRead(BaseModel):
    captured_at: datetime
    views: int | None
    impressions: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    clicks: int | None
    watch_time_seconds: float | None
    engagements: int | None
    engagement_rate: float | None
    engagement_rate_by_reach: float | None
    engagement_rate_by_views: float | None

    @classmethod
    def of(cls, row: Any, captured_at: datetime, followers_at_post: int | None) -> "SnapshotRead":
        counts = {name: getattr(row, name) for name in COUNTS}
        total = engagements(counts["likes"], counts["comments"], counts["shares"], counts["saves"])
        return cls(
            captured_at=captured_at,
            **counts,
            engagements=total,
            engagement_rate=ratio(total, followers_at_post),
            engagement_rate_by_reach=ratio(total, counts["reach"]),
            engagement_rate_by_views=ratio(total, counts["views"]),
        )


_DERIVED = {"latest", *(f"engagement_rate_{age}" for age in AGES)}


class PostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID | None
    deliverable_id: UUID | None
    account_id: UUID
    creator_id: UUID
    platform: str
    external_id: str
    url: str | None
    kind: str | None
    caption: str | None
    published_at: datetime | None
    disclosure: Disclosure = Field(default_factory=Disclosure)
    latest: SnapshotRead | None
    followers_at_post: int | None
    engagements_24h: int | None = Field(
        description="Engagements of the snapshot nearest 24 hours after publishing (within "
        "10 %); docs/metrics.md, Post level"
    )
    engagements_7d: int | None
    engagements_30d: int | None
    engagement_rate_24h: float | None
    engagement_rate_7d: float | None
    engagement_rate_30d: float | None
    next_refresh_at: datetime | None
    last_refreshed_at: datetime | None
    status: PostStatus
    status_detail: str | None
    source: str
    created_at: datetime

    @classmethod
    def of(cls, post: Any) -> "PostRead":
        latest = None
        if post.last_refreshed_at is not None:
            latest = SnapshotRead.of(post, post.last_refreshed_at, post.followers_at_post)
        fields = {name: getattr(post, name) for name in cls.model_fields if name not in _DERIVED}
        fields["disclosure"] = post.disclosure or {}
        for age in AGES:
            total = getattr(post, f"engagements_{age}")
            fields[f"engagement_rate_{age}"] = ratio(total, post.followers_at_post)
        return cls(**fields, latest=latest)
