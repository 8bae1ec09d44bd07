"""The capability of platforms whose API lists an account's live stories (Instagram, for
connected business and creator accounts): stories are gone from the API 24 hours after they
are posted, and so are their insights, so they are polled on their own cadence
(docs/ingestion.md, "Stories"). Adapters that have it implement StorySource beside
PlatformAdapter."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol, runtime_checkable

from shared.platforms.base import AccountRef, Credentials, PostInfo, PostRefused, PostStats

# How long a story stays up, and with it its insights.
STORY_LIFETIME = timedelta(hours=24)


@runtime_checkable
class StorySource(Protocol):
    async def list_stories(self, account: AccountRef, creds: Credentials | None) -> list[PostInfo]:
        """The account's live stories, kind "story", with their publish time and caption."""
        ...

    async def fetch_story_insights(
        self, story_ids: Sequence[str], creds: Credentials | None
    ) -> dict[str, PostStats | PostRefused]:
        """Insights of live stories (at most `max_story_batch` ids). A story absent from the
        result has no insights to give (too few viewers, or already expired)."""
        ...

    def story_cost(self, stories: int) -> int:
        """Budget units one listing plus insights for `stories` stories spend."""
        ...
