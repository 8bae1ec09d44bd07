"""Instagram Graph API (Business/Creator accounts), reference §1.

Counts come from two places: IG Media fields (`like_count`, `comments_count`, live) and the media
insights edge (views, reach, shares, saved..., lagging up to 48 h, empty rather than 0 when absent).
`impressions` stays None: Meta replaced it (and `plays`) by `views` on 2025-04-21.
"""

import math
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms import meta
from shared.platforms.audience import AudienceBreakdown, shares_of
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    Credentials,
    NotFound,
    Platform,
    PostInfo,
    PostRefused,
    PostStats,
)
from shared.platforms.comments import CommentPage, PlatformComment
from shared.platforms.details import stats_with_details
from shared.platforms.http import optional_int, reading

PLATFORM = Platform.instagram.value
ACCOUNT_FIELDS = "id,username,name,followers_count,follows_count,media_count"
# The listing and the first stats round read the same fields: the type picks the insights metrics,
# the live counts are the freshest likes and comments, and the rest are the post's details.
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)
PAGE_SIZE = 25  # the documented example size; the maximum `limit` is unconfirmed
# One unsupported metric fails the whole insights request, so each product type asks only for
# metrics third-party code reports working for it (no official table exists).
FEED_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
REELS_METRICS = (*FEED_METRICS, "ig_reels_video_view_total_time")
STORY_METRICS = ("views", "reach", "replies", "shares", "total_interactions")
METRICS_BY_PRODUCT = {"REELS": REELS_METRICS, "STORY": STORY_METRICS}
KIND_BY_PRODUCT = {"REELS": "reel", "STORY": "story"}
# The stories edge lists the same IG Media objects, only the live ones (not live videos, not
# reshares); it has no counts, which come from the insights edge.
STORY_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp"
STORY_PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Follower demographics: one breakdown per request (with two, Meta answers the combinations).
DEMOGRAPHICS = "follower_demographics"
DEMOGRAPHIC_BREAKDOWNS = ("age", "gender", "country", "city")
GENDER_BUCKETS = {"F": "female", "M": "male", "U": "other"}
# A media's comments edge lists top-level comments; their replies come expanded in the same call.
# `from` is the commenter's IG-scoped id (kept only hashed); `username` is never asked for.
COMMENT_FIELDS = "id,text,timestamp,like_count,from,parent_id"
COMMENTS_FIELDS = f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}"
COMMENT_PAGE_SIZE = 50  # unconfirmed maximum for this edge; 50 is what other clients use


class InstagramAdapter:
    platform = Platform.instagram
    max_batch = meta.BATCH_LIMIT
    max_story_batch = meta.BATCH_LIMIT
    source_platform = PLATFORM

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # Meta counts every sub-request of a batch as one call, and there are two rounds (fields,
        # then insights), details included in the first. Posts found gone in round one are not
        # asked again, so this is the most a call spends.
        return 2 * posts

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._base = settings.base_url("instagram")

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(_user_id(account))}"
        params = {"fields": ACCOUNT_FIELDS, "access_token": token}
        body = await meta.get_json(self._client, url, params, platform=PLATFORM)
        with reading("the IG user", platform=PLATFORM):
            return AccountStats(
                external_id=str(body["id"]),
                handle=body.get("username"),
                display_name=body.get("name"),
                followers=optional_int(body.get("followers_count")),
                following=optional_int(body.get("follows_count")),
                posts_count=optional_int(body.get("media_count")),
            )

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(_user_id(account))}/media"
        params = {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE, "access_token": token}
        return await meta.list_since(
            self._client, url, params, platform=PLATFORM, parse=_post, since=since
        )

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        """Two batch rounds: the metric list depends on `media_product_type`, which a bare id does
        not tell us, and a wrong metric fails the item. Round one reads the type, the live counts
        and the details (and finds the gone ids); round two asks each media for exactly its type's
        metrics. The one-round alternative, `?fields=...,insights.metric(...)`, is unconfirmed and
        would still have to pick the metrics before knowing the type. A media refused in either
        round for a reason we cannot read is a PostRefused of its own."""
        ids = list(dict.fromkeys(post_ids))
        if len(ids) > self.max_batch:
            raise ValueError(f"instagram: at most {self.max_batch} ids per call, not {len(ids)}")
        if not ids:
            return {}
        token = meta.access_token(creds, platform=PLATFORM)
        media, refused = await meta.batch_objects(
            self._client, self._base, ids, MEDIA_FIELDS, token, platform=PLATFORM
        )
        insights, refused_insights = await self._insights(media, token)
        with reading("IG media stats", platform=PLATFORM):
            stats = {
                pid: stats_with_details(_post(fields), _stats(fields, insights.get(pid, {})))
                for pid, fields in media.items()
            }
        return {**stats, **refused, **refused_insights}

    async def list_stories(self, account: AccountRef, creds: Credentials | None) -> list[PostInfo]:
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(_user_id(account))}/stories"
        params = {"fields": STORY_FIELDS, "limit": STORY_PAGE_SIZE, "access_token": token}
        # The edge lists only live stories: no time filter of ours, every page is read.
        return await meta.list_since(
            self._client, url, params, platform=PLATFORM, parse=_story, since=EPOCH
        )

    async def fetch_story_insights(
        self, story_ids: Sequence[str], creds: Credentials | None
    ) -> dict[str, PostStats | PostRefused]:
        """One batch of insights requests, each asking for the STORY metrics only. A story with
        under 5 viewers (code 10) or just expired has no insights: it is left out."""
        ids = list(dict.fromkeys(story_ids))
        if len(ids) > self.max_story_batch:
            raise ValueError(f"instagram: at most {self.max_story_batch} stories per call")
        if not ids:
            return {}
        token = meta.access_token(creds, platform=PLATFORM)
        story = {"media_product_type": "STORY"}
        values, refused = await self._insights({pid: story for pid in ids}, token)
        with reading("IG story insights", platform=PLATFORM):
            stats = {pid: _stats(story, found) for pid, found in values.items()}
        return {**stats, **refused}

    def story_cost(self, stories: int) -> int:
        # The listing, and one batch sub-request (one call to Meta) per story.
        return 1 + stories

    def audience_cost(self) -> int:
        return len(DEMOGRAPHIC_BREAKDOWNS)

    async def fetch_audience(
        self, account: AccountRef, creds: Credentials | None
    ) -> list[AudienceBreakdown]:
        """`follower_demographics` by age, gender, country and city, in one batch. Meta refuses
        the metric for accounts under 100 followers, and a breakdown whose buckets are too
        small; a breakdown refused is left out, and all four refused is an error saying why."""
        token = meta.access_token(creds, platform=PLATFORM)
        node = meta.node(_user_id(account))
        urls = [
            f"{node}/insights?metric={DEMOGRAPHICS}&period=lifetime&metric_type=total_value"
            f"&breakdown={breakdown}"
            for breakdown in DEMOGRAPHIC_BREAKDOWNS
        ]
        answers = await meta.batch_get(self._client, self._base, urls, token, platform=PLATFORM)
        found, refusals = [], []
        for breakdown, answer in zip(DEMOGRAPHIC_BREAKDOWNS, answers, strict=True):
            if isinstance(answer, meta.GraphError):
                refusals.append(answer.describe(PLATFORM))
                continue
            with reading("IG follower demographics", platform=PLATFORM):
                breakdown_found = _demographics(breakdown, answer)
            if breakdown_found is not None:
                found.append(breakdown_found)
        if refusals and not found:
            raise AdapterError("; ".join(dict.fromkeys(refusals)), platform=PLATFORM)
        return found

    def comments_cost(self, limit: int) -> int:
        # The pages, and one lookup of is_comment_enabled when the first page is empty.
        return math.ceil(limit / COMMENT_PAGE_SIZE) + 1

    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        """The media's comments and their replies (CommentSource). Turned-off comments answer
        an empty list like a media nobody commented on, so an empty first page asks the media's
        is_comment_enabled to tell the two apart."""
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(post_id)}/comments"
        params = {
            "fields": COMMENTS_FIELDS,
            "limit": min(COMMENT_PAGE_SIZE, limit),
            "access_token": token,
        }
        pages = self.comments_cost(limit) - 1
        comments, empty = await meta.read_edge(
            self._client, url, params, platform=PLATFORM, parse=_comments, limit=limit, pages=pages
        )
        if not empty:
            return CommentPage(comments=comments)
        media_url = f"{self._base}/{meta.node(post_id)}"
        media = await meta.get_json(
            self._client,
            media_url,
            {"fields": "is_comment_enabled", "access_token": token},
            platform=PLATFORM,
        )
        return CommentPage(disabled=media.get("is_comment_enabled") is False)

    async def _insights(
        self, media: dict[str, dict[str, Any]], token: str
    ) -> tuple[dict[str, dict[str, Any]], dict[str, PostRefused]]:
        ids = list(media)
        urls = [
            f"{meta.node(pid)}/insights?metric={','.join(metrics_for(media[pid]))}" for pid in ids
        ]
        answers = await meta.batch_get(self._client, self._base, urls, token, platform=PLATFORM)
        values, refused = {}, {}
        for pid, answer in zip(ids, answers, strict=True):
            if not isinstance(answer, meta.GraphError):
                values[pid] = meta.insight_values(answer, platform=PLATFORM)
            elif not (answer.code in (10, 100) or answer.gone):
                refused[pid] = meta.refused(answer, platform=PLATFORM)
            # Else round one just saw this media, so an insights refusal (code 10: story with under
            # 5 viewers; code 100: metric unsupported here, carousel child, media vanished in
            # between) leaves its live counts standing with the insights None.
        return values, refused


def metrics_for(media: dict[str, Any]) -> tuple[str, ...]:
    return METRICS_BY_PRODUCT.get(media.get("media_product_type"), FEED_METRICS)


def _story(item: dict[str, Any]) -> PostInfo:
    return PostInfo(
        external_id=str(item["id"]),
        url=item.get("permalink"),
        kind="story",
        caption=item.get("caption"),
        published_at=meta.parse_time(item.get("timestamp")),
    )


def _demographics(breakdown: str, body: Any) -> AudienceBreakdown | None:
    """{"data": [{"name": "follower_demographics", "total_value": {"breakdowns": [
    {"dimension_keys": [breakdown], "results": [{"dimension_values": [bucket], "value": n}]}]}}]}.
    Empty `data` (nothing to report yet) is None."""
    if not body["data"]:
        return None
    results = body["data"][0]["total_value"]["breakdowns"][0]["results"]
    counts: dict[str, float] = {}
    for result in results:
        bucket = str(result["dimension_values"][0])
        if breakdown == "gender":
            bucket = GENDER_BUCKETS.get(bucket, "other")
        elif breakdown == "country":
            bucket = bucket.upper()
        counts[bucket] = counts.get(bucket, 0) + float(result["value"])
    shares, total = shares_of(counts)
    if not shares:
        return None
    return AudienceBreakdown(breakdown, f"instagram.{DEMOGRAPHICS}", shares, int(total))


def _user_id(account: AccountRef) -> str:
    if not account.external_id:
        raise NotFound(
            f"instagram: @{account.handle} needs its IG user id (the Graph API cannot look up a"
            " handle); connect the account to record it",
            platform=PLATFORM,
        )
    return account.external_id


def _kind(item: dict[str, Any]) -> str:
    product = item.get("media_product_type")
    if product in KIND_BY_PRODUCT:
        return KIND_BY_PRODUCT[product]
    return "video" if item.get("media_type") == "VIDEO" else "post"


def _post(item: dict[str, Any]) -> PostInfo:
    return PostInfo(
        external_id=str(item["id"]),
        url=item.get("permalink"),
        kind=_kind(item),
        caption=item.get("caption"),
        published_at=meta.parse_time(item.get("timestamp")),
        stats=PostStats(
            likes=optional_int(item.get("like_count")),
            comments=optional_int(item.get("comments_count")),
        ),
    )


def _stats(media: dict[str, Any], values: dict[str, Any]) -> PostStats:
    # Likes and comments prefer the live fields: insights lag up to 48 h, and switching sources as
    # they catch up would make a post's curve step backwards.
    if media.get("media_product_type") == "STORY":
        # Story replies are the story's conversation; the common model's nearest field is comments.
        comments = optional_int(values.get("replies"))
    else:
        comments = _first(media.get("comments_count"), values.get("comments"))
    watch_ms = values.get("ig_reels_video_view_total_time")
    return PostStats(
        views=optional_int(values.get("views")),
        impressions=None,
        reach=optional_int(values.get("reach")),
        likes=_first(media.get("like_count"), values.get("likes")),
        comments=comments,
        shares=optional_int(values.get("shares")),
        saves=optional_int(values.get("saved")),
        clicks=None,
        watch_time_seconds=None if watch_ms is None else float(watch_ms) / 1000,
    )


def _first(*counts: Any) -> int | None:
    return next((optional_int(c) for c in counts if c is not None), None)


def _comments(item: dict[str, Any]) -> Iterator[PlatformComment]:
    """A top-level comment, then its replies; any without text (nothing left to read) is
    skipped."""
    replies = (item.get("replies") or {}).get("data") or []
    for entry in (item, *replies):
        if entry.get("text"):
            author = entry.get("from")  # {"id": IG-scoped id, "username"}
            yield PlatformComment(
                external_id=str(entry["id"]),
                text=entry["text"],
                published_at=meta.parse_time(entry["timestamp"]),
                like_count=optional_int(entry.get("like_count")),
                author_id=meta.object_id(author),
                parent_external_id=_parent(entry, item),
            )


def _parent(entry: dict[str, Any], top: dict[str, Any]) -> str | None:
    if entry is top:
        return None
    return str(entry.get("parent_id") or top["id"])
