"""A simulated platform: no network, deterministic, plausible growth.

Everything is a pure function of the handle, the post number and the clock, so a newcomer's first
run shows the whole pipeline moving and tests can compute the expected numbers by hand.
- followers(t) = base × 1.002^days since ANCHOR, base = 2,000 + seed mod 398,000 (seed from the
  handle's SHA-256)
- a handle ending in a follower count after "." or "_" (`rio.reads.600`, `ada_3k`, `sol.1m`: one to
  three digits, then nothing, `k` or `m`) has that count as its base instead, and grows towards
  1.5 × base: followers(t) = base × (1.5 − 0.5 × e^(−days / 365)). Such an account stays in the tier
  its count names, so a demo can show every tier at any date
- post n of a handle is published at ANCHOR + 2n days + (seed mod 24) hours; id "<handle>-<n>"
- views(age) = peak × (1 − e^(−age_h / 18)), peak = followers_at_anchor × 0.6
- likes = 6 % of views, comments = 4 % of likes, shares = 2 % of likes, saves = 5 % of likes,
  reach = 80 % of views, impressions = 130 % of views, watch time = 9 s per view, clicks unknown.
- post n's caption is CAPTIONS[(seed + n) mod 6]: a sponsored post about @acme.coffee with #sway,
  disclosed in each of the ways docs/metrics.md ("Disclosure") tells apart, so six posts in a row
  of any handle show every disclosure outcome.
- post n has 6 + (post seed mod 10) comments (post seed from its id's SHA-256); comment k appears
  30 × (k + 1)^1.5 minutes after the post (all within 30 h), its text DEMO_COMMENTS[(post seed +
  7k) mod len]: hand-written comments in English, Spanish, German, French and Portuguese, and
  emoji-only ones, each with the sentiment it was written to carry, some naming @acme.coffee or
  the competitor @rivalroasters. Every fourth comment replies to the one before it.

Two handle markers show the vetting signals (docs/vetting.md) on a first run; a marker is a part
of the handle between "." or "_" (`noor.spike.25k`, `pia_pod_2k`):
- `spike`: bought followers. On day 14 of every 28-day cycle since ANCHOR (00:00 UTC) the follower
  count jumps by SPIKE_BOOST (25 %) of itself and stays up until the cycle ends, when the
  platform purges them: followers(t) = the curve above × 1.25 in the cycle's second half. Any
  29 consecutive days of history hold one jump. Post counts are unchanged (the bought followers
  do not engage), so the rate falls by a fifth in the boosted half.
- `pod`: an engagement pod. Likes are POD_FACTOR (8) × the usual, and so comments, shares and
  saves, which follow likes: the rate is 8 × the usual, about 25 %; views are unchanged.
"""

import hashlib
import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
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
from shared.platforms.comments import CommentPage, PlatformComment

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
POST_EVERY = timedelta(days=2)
DEFAULT_LOOKBACK = timedelta(days=30)
PROFILE_URL = "https://demo.sway.test/@{handle}"
POST_URL = "https://demo.sway.test/@{handle}/posts/{post_id}"


def _seed(handle: str) -> int:
    return int(hashlib.sha256(handle.lower().encode()).hexdigest()[:8], 16)


# A follower count at the end of a handle: "rio.reads.600", "ada_3k", "sol.fitness.1m".
_COUNT_SUFFIX = re.compile(r"[._]([0-9]{1,3})([km]?)\Z")
_MULTIPLIER = {"": 1, "k": 1_000, "m": 1_000_000}


def _named_count(handle: str) -> int | None:
    match = _COUNT_SUFFIX.search(handle.lower())
    return None if match is None else int(match[1]) * _MULTIPLIER[match[2]]


# Handle markers (the module docstring): bought-follower spikes and engagement pods.
SPIKE_CYCLE_DAYS = 28
SPIKE_DAY = 14
SPIKE_BOOST = 0.25
POD_FACTOR = 8


def _markers(handle: str) -> set[str]:
    return set(re.split(r"[._]", handle.lower()))


def base_followers(handle: str) -> int:
    named = _named_count(handle)
    return 2_000 + _seed(handle) % 398_000 if named is None else named


def followers_at(handle: str, at: datetime) -> int:
    days = max(0.0, (at - ANCHOR).total_seconds() / 86_400)
    if _named_count(handle) is None:
        curve = base_followers(handle) * 1.002**days
    else:
        # Bounded growth: never above 1.5 × the named count, so it never leaves its tier.
        curve = base_followers(handle) * (1.5 - 0.5 * math.exp(-days / 365))
    if "spike" in _markers(handle) and days % SPIKE_CYCLE_DAYS >= SPIKE_DAY:
        curve *= 1 + SPIKE_BOOST
    return int(curve)


def published_at(handle: str, number: int) -> datetime:
    return ANCHOR + number * POST_EVERY + timedelta(hours=_seed(handle) % 24)


def post_stats_at(handle: str, number: int, at: datetime) -> PostStats:
    age_h = max(0.0, (at - published_at(handle, number)).total_seconds() / 3600)
    views = int(base_followers(handle) * 0.6 * (1 - math.exp(-age_h / 18)))
    likes = int(views * 0.06 * (POD_FACTOR if "pod" in _markers(handle) else 1))
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


# One caption per disclosure outcome (docs/metrics.md, "Disclosure"), in the order a handle
# cycles through them; every one carries #sway and @acme.coffee, what the demo campaign captures.
CAPTIONS = (
    # compliant: a clear hashtag opening the caption
    "#ad Demo post {n}: first pour of the season with @acme.coffee #sway",
    # shorthand_only
    "Demo post {n}: my new morning ritual with @acme.coffee #sp #sway",
    # after_fold: the clear term sits on the third line, past the two a viewer sees
    "Demo post {n}: a slow Sunday pour-over with @acme.coffee.\n"
    "Grind medium-fine, 16 g to 250 ml, bloom for 40 seconds.\n"
    "Full recipe in my stories. #ad #sway",
    # buried_in_hashtags: the fifth of a run of five hashtags
    "Demo post {n}: cosy mornings with @acme.coffee #sway #coffee #autumn #morning #ad",
    # compliant: a clear phrase
    "Paid partnership with @acme.coffee | Demo post {n}: the roast I keep reaching for #sway",
    # missing
    "Demo post {n}: weekend brew with @acme.coffee #sway #coffee",
)


def caption(handle: str, number: int) -> str:
    return CAPTIONS[(_seed(handle) + number) % len(CAPTIONS)].format(n=number)


def _details(handle: str, number: int) -> PostDetails:
    post_id = f"{handle}-{number}"
    return PostDetails(
        url=POST_URL.format(handle=handle, post_id=post_id),
        kind="post",
        caption=caption(handle, number),
        published_at=published_at(handle, number),
    )


def _split_post_id(post_id: str) -> tuple[str, int] | None:
    handle, sep, number = post_id.rpartition("-")
    if not sep or not handle or not number.isdigit():
        return None
    return handle, int(number)


@dataclass(frozen=True, slots=True)
class DemoComment:
    """A hand-written comment and what it was written to carry: its language (ISO 639-1, None for
    emoji alone) and its sentiment (positive|neutral|negative)."""

    text: str
    language: str | None
    sentiment: str


# The one labelled list: the demo's comments come from it, and tests and docs cite its mix.
DEMO_COMMENTS = (
    DemoComment("Love this roast, @acme.coffee never misses! ☕", "en", "positive"),
    DemoComment("This looks amazing, ordering a bag today", "en", "positive"),
    DemoComment("Best cup I've had all week, thanks for the recipe", "en", "positive"),
    DemoComment(
        "Switched from @rivalroasters to Acme Coffee and never looked back", "en", "positive"
    ),
    DemoComment("What grind size do you use for this?", "en", "neutral"),
    DemoComment("Is this available in the UK?", "en", "neutral"),
    DemoComment("Tried @acme.coffee last month, honestly too bitter for me", "en", "negative"),
    DemoComment("Shipping took three weeks and the bag arrived torn. Meh.", "en", "negative"),
    DemoComment("Another sponsored post... this is getting boring", "en", "negative"),
    DemoComment("¡Me encanta este café! Gracias por la receta 😍", "es", "positive"),
    DemoComment("@acme.coffee tiene el mejor tueste de otoño", "es", "positive"),
    DemoComment("¿Dónde se puede comprar en México?", "es", "neutral"),
    DemoComment("Demasiado caro para lo que es, la verdad", "es", "negative"),
    DemoComment("Sieht super lecker aus, muss ich unbedingt probieren!", "de", "positive"),
    DemoComment("Welche Mühle benutzt du dafür?", "de", "neutral"),
    DemoComment("Leider viel zu sauer, @acme.coffee war früher besser", "de", "negative"),
    DemoComment("Magnifique, j'adore cette torréfaction ☕", "fr", "positive"),
    DemoComment("C'est disponible en France ?", "fr", "neutral"),
    DemoComment("Franchement décevant, le goût est plat", "fr", "negative"),
    DemoComment("Que delícia! Quero experimentar o café da @acme.coffee", "pt", "positive"),
    DemoComment("Qual é o método de preparo?", "pt", "neutral"),
    DemoComment("Achei muito amargo, não gostei", "pt", "negative"),
    DemoComment("😍😍☕", None, "positive"),
    DemoComment("🔥🔥🔥", None, "positive"),
    DemoComment("☕", None, "neutral"),
    DemoComment("👎", None, "negative"),
    DemoComment("🤢", None, "negative"),
)
COMMENTS_BASE, COMMENTS_SPREAD = 6, 10
REPLY_EVERY = 4


def comment_count(post_id: str) -> int:
    return COMMENTS_BASE + _seed(post_id) % COMMENTS_SPREAD


def comment_delay(k: int) -> timedelta:
    return timedelta(seconds=round(1800 * (k + 1) ** 1.5))


def demo_comment(post_id: str, k: int) -> DemoComment:
    return DEMO_COMMENTS[(_seed(post_id) + 7 * k) % len(DEMO_COMMENTS)]


def comments_at(post_id: str, at: datetime) -> list[PlatformComment]:
    """The post's comments visible at `at`, newest first (none for an unknown or future post)."""
    parsed = _split_post_id(post_id)
    if parsed is None:
        return []
    published, seed = published_at(*parsed), _seed(post_id)
    visible = []
    for k in range(comment_count(post_id)):
        when = published + comment_delay(k)
        if when > at:
            break
        visible.append(
            PlatformComment(
                external_id=f"{post_id}-c{k}",
                text=demo_comment(post_id, k).text,
                published_at=when,
                like_count=(seed // 7 + 11 * k) % 37,
                author_id=f"fan-{(seed + 31 * k) % 500}",
                parent_external_id=f"{post_id}-c{k - 1}" if k % REPLY_EVERY == 3 else None,
            )
        )
    return visible[::-1]


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

    def comments_cost(self, limit: int) -> int:
        return 1

    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        return CommentPage(comments=comments_at(post_id, self._now())[:limit])

    @staticmethod
    def _latest_number(handle: str, now: datetime) -> int:
        first = published_at(handle, 0)
        if now < first:
            return -1
        return int((now - first) / POST_EVERY)
