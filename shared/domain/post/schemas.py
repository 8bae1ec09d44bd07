from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.metrics.engagement import engagements, ratio
from shared.models.post_snapshot import COUNTS
from shared.models.status import PostStatus


class PostCreate(BaseModel):
    """Track a post by its URL, or by an account of the organization and the platform's id."""

    model_config = ConfigDict(extra="forbid")

    url: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    account_id: UUID | None = None
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        by_id = self.account_id is not None or self.external_id is not None
        if self.url is None and not by_id:
            raise ValueError("send either `url`, or `account_id` and `external_id`")
        if self.url is not None and by_id:
            raise ValueError("send `url` or `account_id` + `external_id`, not both")
        if by_id and (self.account_id is None or self.external_id is None):
            raise ValueError("`account_id` and `external_id` go together")
        return self


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

    @classmethod
    def of(cls, row: Any, captured_at: datetime, followers_at_post: int | None) -> "SnapshotRead":
        counts = {name: getattr(row, name) for name in COUNTS}
        total = engagements(counts["likes"], counts["comments"], counts["shares"], counts["saves"])
        return cls(
            captured_at=captured_at,
            **counts,
            engagements=total,
            engagement_rate=ratio(total, followers_at_post),
        )


class PostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID | None
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
        fields = {name: getattr(post, name) for name in cls.model_fields if name != "latest"}
        fields["disclosure"] = post.disclosure or {}
        return cls(**fields, latest=latest)
