"""The capability of platforms whose API lists a post's comments (brand listening,
docs/listening.md). Adapters that have it implement CommentSource beside PlatformAdapter; the
worker reads a bounded number of the newest comments of each tracked post on its own cadence
(SWAY_COMMENTS_PER_POST, SWAY_COMMENTS_REFRESH_S)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from shared.platforms.base import Credentials, Platform


@dataclass(frozen=True, slots=True)
class PlatformComment:
    """One comment as its platform gave it. `author_id` is the platform's id of its author (only
    ever stored hashed); `parent_external_id` is the comment it replies to, None when top-level."""

    external_id: str
    text: str
    published_at: datetime
    like_count: int | None
    author_id: str | None
    parent_external_id: str | None = None


@dataclass(frozen=True, slots=True)
class CommentPage:
    """A post's newest comments, newest first where the platform orders them so. `disabled`: the
    post's comments are turned off, a normal answer (no comments to read), not an error."""

    comments: list[PlatformComment] = field(default_factory=list)
    disabled: bool = False


@runtime_checkable
class CommentSource(Protocol):
    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        """Up to `limit` of the post's newest comments, following the platform's pagination
        until `limit` or the end. Deleted comments the platform still lists as placeholders
        (without text) are left out."""
        ...

    def comments_cost(self, limit: int) -> int:
        """Budget units one list_comments call for `limit` comments spends at most."""
        ...


# Platforms whose API gives an ordinary app no comments of a post, and why: what the docs and the
# API say instead of an empty list that would read as "nobody commented".
NO_COMMENTS: dict[Platform, str] = {
    Platform.tiktok: (
        "TikTok's Display API lists an account's own videos and their counts, not their "
        "comments; comment listing is only in the Research API, which TikTok grants to academic "
        "researchers, not to ordinary apps"
    ),
    Platform.pinterest: (
        "Pinterest API v5 has no endpoint that lists a Pin's comments; only their count "
        "(TOTAL_COMMENTS in Pin analytics)"
    ),
}
