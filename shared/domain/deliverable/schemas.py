from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.domain.types import Hashtag, Mention, deduplicated
from shared.models.status import DeliverableStatus
from shared.platforms.base import Platform


class DeliverableKind(StrEnum):
    post = "post"
    reel = "reel"
    story = "story"
    video = "video"
    short = "short"
    tweet = "tweet"
    pin = "pin"
    article = "article"
    live = "live"


Hashtags = Annotated[list[Hashtag], Field(max_length=30), AfterValidator(deduplicated)]
Mentions = Annotated[list[Mention], Field(max_length=30), AfterValidator(deduplicated)]
# What a person may set: `published` follows the linked post, `late` and `missed` the due time.
SettableStatus = Literal[
    DeliverableStatus.pending, DeliverableStatus.submitted, DeliverableStatus.approved
]


class Requirements(BaseModel):
    """What the post must carry: every hashtag and mention (matched case-insensitively in its
    caption), and a disclosure if `disclosure`."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    hashtags: Hashtags = Field(default_factory=list)
    mentions: Mentions = Field(default_factory=list)
    disclosure: bool = True


class DeliverableCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    kind: DeliverableKind
    due_at: datetime | None = None
    requirements: Requirements = Field(default_factory=Requirements)


class DeliverableUpdate(BaseModel):
    """PATCH body: only the fields sent change. `post_id` links a post (null unlinks it)."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform = Field(None)  # type: ignore[assignment]
    kind: DeliverableKind = Field(None)  # type: ignore[assignment]
    due_at: datetime | None = None
    requirements: Requirements = Field(None)  # type: ignore[assignment]
    status: SettableStatus = Field(None)  # type: ignore[assignment]
    post_id: UUID | None = None


class DeliverableRead(BaseModel):
    id: UUID
    collaboration_id: UUID
    platform: Platform
    kind: DeliverableKind
    due_at: datetime | None
    requirements: Requirements
    status: DeliverableStatus
    post_id: UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, deliverable) -> "DeliverableRead":
        return cls(
            id=deliverable.id,
            collaboration_id=deliverable.collaboration_id,
            platform=deliverable.platform,
            kind=deliverable.kind,
            due_at=deliverable.due_at,
            requirements=Requirements(
                hashtags=deliverable.hashtags,
                mentions=deliverable.mentions,
                disclosure=deliverable.disclosure,
            ),
            status=deliverable.status,
            post_id=deliverable.post_id,
            created_at=deliverable.created_at,
            updated_at=deliverable.updated_at,
        )


class DeliverableFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DeliverableStatus | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
