"""A simulated platform: no network, deterministic, plausible growth.

Everything is a pure function of the handle, the post number and the clock, so a newcomer's first
run shows the whole pipeline moving and tests can compute the expected numbers by hand.
- followers(t) = base × 1.002^days, base = 2,000 + seed mod 398,000 (seed from the handle's SHA-256)
- post n of a handle is published at ANCHOR + 2n days + (seed mod 24) hours; id "<handle>-<n>"
- views(age) = peak × (1 − e^(−age_h / 18)), peak = followers_at_anchor × 0.6
- likes = 6 % of views, comments = 4 % of likes, shares = 2 % of likes, saves = 5 % of likes,
  reach = 80 % of views, impressions = 130 % of views, watch time = 9 s per view, clicks unknown.
"""

import hashlib
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    Credentials,
    NotFound,
    Platform,
    PostDetails,
    PostInfo,
    PostRefused,
    PostStats,
)

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
POST_EVERY = timedelta(days=2)
DEFAULT_LOOKBACK = timedelta(days=30)
PROFILE_URL = "https://demo.sway.test/@{handle}"
POST_URL = "https://demo.sway.test/@{handle}/posts/{post_id}"


def _seed(handle: str) -> int:
    return int(hashlib.sha256(handle.lower().encode()).hexdigest()[:8], 16)


def base_followers(handle: str) -> int:
    return 2_000 + _seed(handle) % 398_000


def followers_at(handle: str, at: datetime) -> int:
    days = max(0.0, (at - ANCHOR).total_seconds() / 86_400)
    return int(base_followers(handle) * 1.002**days)


def published_at(handle: str, number: int) -> datetime:
    return ANCHOR + number * POST_EVERY + timedelta(hours=_seed(handle) % 24)


def post_stats_at(handle: str, number: int, at: datetime) -> PostStats:
    age_h = max(0.0, (at - published_at(handle, number)).total_seconds() / 3600)
    views = int(base_followers(handle) * 0.6 * (1 - math.exp(-age_h / 18)))
    likes = int(views * 0.06)
    return PostStats(
        views=views,
        impressions=int(views * 1.3),
        reach=int(views * 0.8),
        likes=likes,
        comments=int(likes * 0.04),
        shares=int(likes * 0.02),
        saves=int(likes * 0.05),
        clicks=None,
        watch_time_seconds=float(views * 9),
    )


def _details(handle: str, number: int) -> PostDetails:
    post_id = f"{handle}-{number}"
    return PostDetails(
        url=POST_URL.format(handle=handle, post_id=post_id),
        kind="post",
        caption=f"Demo post {number} by @{handle} #sway #demo",
        published_at=published_at(handle, number),
    )


def _split_post_id(post_id: str) -> tuple[str, int] | None:
    handle, sep, number = post_id.rpartition("-")
    if not sep or not handle or not number.isdigit():
        return None
    return handle, int(number)


class DemoAdapter:
    platform = Platform.demo
    max_batch = 50

    def quota_cost(self, posts: int, details: int = 0) -> int:
        return 1  # one call carries the whole batch, details included

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._now = clock or (lambda: datetime.now(UTC))

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        handle = account.handle.lstrip("@")
        if not handle:
            raise NotFound("demo: empty handle", platform=self.platform)
        now = self._now()
        return AccountStats(
            external_id=f"demo-{_seed(handle):08x}",
            handle=handle,
            display_name=handle.replace(".", " ").replace("_", " ").title(),
            followers=followers_at(handle, now),
            following=100 + _seed(handle) % 900,
            posts_count=self._latest_number(handle, now) + 1,
        )

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        handle = account.handle.lstrip("@")
        now = self._now()
        since = since or now - DEFAULT_LOOKBACK
        posts = []
        for number in range(self._latest_number(handle, now), -1, -1):
            when = published_at(handle, number)
            if when < since:
                break
            post_id = f"{handle}-{number}"
            posts.append(
                PostInfo(
                    external_id=post_id,
                    url=(details := _details(handle, number)).url,
                    kind=details.kind,
                    caption=details.caption,
                    published_at=when,
                    stats=post_stats_at(handle, number, now),
                )
            )
        return posts

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        now = self._now()
        result = {}
        for post_id in post_ids:
            parsed = _split_post_id(post_id)
            # Unknown or not-yet-published ids are "gone", exactly like a deleted post elsewhere.
            if parsed and published_at(*parsed) <= now:
                details = _details(*parsed)
                result[post_id] = replace(post_stats_at(*parsed, now), details=details)
        return result

    @staticmethod
    def _latest_number(handle: str, now: datetime) -> int:
        first = published_at(handle, 0)
        if now < first:
            return -1
        return int((now - first) / POST_EVERY)
