"""In-memory stand-ins for the PlatformAdapter Protocol, for worker tests that need a platform to
misbehave in a precise way. Replayed real platform HTTP lives in tests/platforms instead."""

from collections.abc import Collection, Sequence
from datetime import datetime

from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    Credentials,
    Platform,
    PostInfo,
    PostRefused,
    PostStats,
)


class ScriptedAdapter:
    """Answers from a script: each call pops the next outcome (a value or an AdapterError)."""

    def __init__(
        self,
        platform: Platform = Platform.demo,
        *,
        max_batch: int = 50,
        accounts: list | None = None,
        stats: list | None = None,
        posts: list | None = None,
        cost_per_post: int = 0,
    ) -> None:
        self.platform = platform
        self.max_batch = max_batch
        self._accounts = list(accounts or [])
        self._stats = list(stats or [])
        self._posts = list(posts or [])
        self.cost_per_post = cost_per_post
        self.calls: list[tuple[str, object]] = []

    def quota_cost(self, posts: int, details: int = 0) -> int:
        """One call for the batch, or (like Meta) `cost_per_post` calls a post."""
        return self.cost_per_post * posts if self.cost_per_post else 1

    @staticmethod
    def _next(script: list):
        outcome = script.pop(0)
        if isinstance(outcome, AdapterError):
            raise outcome
        return outcome

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        self.calls.append(("fetch_account", account.handle))
        return self._next(self._accounts)

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        self.calls.append(("list_posts", account.handle))
        return self._next(self._posts) if self._posts else []

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        self.calls.append(("fetch_post_stats", tuple(post_ids)))
        self.details_asked = tuple(details_for)
        result = self._next(self._stats)
        return result(post_ids) if callable(result) else result
