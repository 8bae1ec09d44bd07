"""Facebook Pages through the Graph API, reference §2.

Likes, comments and shares are fields of the post (reactions and comments summaries, `shares`);
reach, views and clicks come from the post insights edge. Impressions stay None: Meta replaced
them by views in all versions on 2025-11-15.
"""

import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms import meta
from shared.platforms.base import (
    AccountRef,
    AccountStats,
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

PLATFORM = Platform.facebook.value
ACCOUNT_FIELDS = "id,name,followers_count,fan_count"
COUNT_FIELDS = (
    "shares,reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count)"
)
# The listing and the first stats round read the same fields: the counts, and the post's details.
POST_FIELDS = f"id,created_time,message,permalink_url,status_type,{COUNT_FIELDS}"
PAGE_SIZE = 25
INSIGHT_METRICS = ("post_total_media_view_unique", "post_media_view", "post_clicks")
# `post_media_view` is a name only third-party code uses, and one note says v25 rejects it. When an
# insights request fails as an invalid metric we ask again without it, so reach and clicks survive.
FALLBACK_METRICS = ("post_total_media_view_unique", "post_clicks")
# filter=stream lists replies beside top-level comments, each naming its `parent`. `from` comes
# only with a Page token of the post's Page (kept hashed, never the name).
COMMENT_PARAMS = {
    "fields": "id,message,created_time,like_count,from{id},parent{id}",
    "order": "reverse_chronological",
    "filter": "stream",
}
COMMENT_PAGE_SIZE = 100  # unconfirmed maximum for this edge


@dataclass
class InsightsRound:
    """One insights batch: values read, posts refused as an invalid metric (to ask again without
    it), and posts refused for a reason of their own."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)
    refused: dict[str, PostRefused] = field(default_factory=dict)


class FacebookAdapter:
    platform = Platform.facebook
    max_batch = meta.BATCH_LIMIT

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # Meta counts every sub-request of a batch as one call, and there are two rounds (fields,
        # then insights), details included in the first. A third round, for posts whose insights
        # refused `post_media_view`, depends on the answers and cannot be known up front.
        return 2 * posts

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._base = settings.base_url("facebook")

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(_page_id(account))}"
        params = {"fields": ACCOUNT_FIELDS, "access_token": token}
        body = await meta.get_json(self._client, url, params, platform=PLATFORM)
        with reading("the Page", platform=PLATFORM):
            # fan_count counts Page likes, not followers; it is read but never stands in for them.
            return AccountStats(
                external_id=str(body["id"]),
                handle=None,
                display_name=body.get("name"),
                followers=optional_int(body.get("followers_count")),
                following=None,
                posts_count=None,
            )

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(_page_id(account))}/posts"
        params = {"fields": POST_FIELDS, "limit": PAGE_SIZE, "access_token": token}
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
        """Round one reads the counted fields and the details and finds the gone posts; round two
        reads insights for the rest (each post needs both, and 2 × 50 sub-requests do not fit one
        batch anyway). A post refused in either round for a reason we cannot read is a PostRefused
        of its own."""
        ids = list(dict.fromkeys(post_ids))
        if len(ids) > self.max_batch:
            raise ValueError(f"facebook: at most {self.max_batch} ids per call, not {len(ids)}")
        if not ids:
            return {}
        token = meta.access_token(creds, platform=PLATFORM)
        posts, refused = await meta.batch_objects(
            self._client, self._base, ids, POST_FIELDS, token, platform=PLATFORM
        )
        insights, refused_insights = await self._insights(list(posts), token)
        with reading("Page post stats", platform=PLATFORM):
            stats = {
                pid: stats_with_details(_post(fields), _stats(fields, insights.get(pid, {})))
                for pid, fields in posts.items()
            }
        return {**stats, **refused, **refused_insights}

    def comments_cost(self, limit: int) -> int:
        return math.ceil(limit / COMMENT_PAGE_SIZE)

    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        """The Page post's newest comments and replies (CommentSource). A post whose comments
        are restricted has no answer of its own: its list is just empty, so `disabled` is never
        set here."""
        token = meta.access_token(creds, platform=PLATFORM)
        url = f"{self._base}/{meta.node(post_id)}/comments"
        params = {**COMMENT_PARAMS, "limit": min(COMMENT_PAGE_SIZE, limit), "access_token": token}
        comments, _ = await meta.read_edge(
            self._client,
            url,
            params,
            platform=PLATFORM,
            parse=_comment,
            limit=limit,
            pages=self.comments_cost(limit),
        )
        return CommentPage(comments=comments)

    async def _insights(
        self, ids: list[str], token: str
    ) -> tuple[dict[str, dict[str, Any]], dict[str, PostRefused]]:
        round_two = await self._insights_round(ids, INSIGHT_METRICS, token)
        if round_two.invalid:
            # Only the refused posts are asked again; what the retry still refuses stays None.
            retried = await self._insights_round(round_two.invalid, FALLBACK_METRICS, token)
            round_two.values.update(retried.values)
            round_two.refused.update(retried.refused)
        return round_two.values, round_two.refused

    async def _insights_round(
        self, ids: list[str], metrics: Sequence[str], token: str
    ) -> InsightsRound:
        urls = [f"{meta.node(pid)}/insights?metric={','.join(metrics)}" for pid in ids]
        answers = await meta.batch_get(self._client, self._base, urls, token, platform=PLATFORM)
        answered = InsightsRound()
        for pid, answer in zip(ids, answers, strict=True):
            if not isinstance(answer, meta.GraphError):
                answered.values[pid] = meta.insight_values(answer, platform=PLATFORM)
            elif answer.code == 100 and not answer.gone:
                answered.invalid.append(pid)
            elif not (answer.gone or answer.code == 10):
                answered.refused[pid] = meta.refused(answer, platform=PLATFORM)
            # Else gone or refused (code 10) here, yet readable in round one: the post keeps the
            # counts its fields gave, with the insights None.
        return answered


def _page_id(account: AccountRef) -> str:
    if not account.external_id:
        raise NotFound(
            f"facebook: {account.handle} needs its Page id; connect the Page to record it",
            platform=PLATFORM,
        )
    return account.external_id


def _post(item: dict[str, Any]) -> PostInfo:
    return PostInfo(
        external_id=str(item["id"]),
        url=item.get("permalink_url"),
        kind="video" if item.get("status_type") == "added_video" else "post",
        caption=item.get("message"),
        published_at=meta.parse_time(item.get("created_time")),
        stats=_stats(item, {}),
    )


def _stats(post: dict[str, Any], values: dict[str, Any]) -> PostStats:
    return PostStats(
        views=optional_int(values.get("post_media_view")),
        impressions=None,
        reach=optional_int(values.get("post_total_media_view_unique")),
        likes=_summary_total(post.get("reactions")),
        comments=_summary_total(post.get("comments")),
        shares=_share_count(post.get("shares")),
        saves=None,
        clicks=optional_int(values.get("post_clicks")),
    )


def _summary_total(edge: Any) -> int | None:
    summary = edge.get("summary") if isinstance(edge, dict) else None
    return optional_int(summary.get("total_count")) if isinstance(summary, dict) else None


def _share_count(shares: Any) -> int | None:
    # A post nobody shared usually comes without `shares` at all. That this means 0 is unconfirmed,
    # so it stays None (unknown) rather than a made-up 0.
    return None if shares is None else optional_int(shares.get("count"))


def _comment(item: dict[str, Any]) -> Iterator[PlatformComment]:
    # A comment that is only a photo or a sticker has an empty message: nothing to read.
    if not item.get("message"):
        return
    author, parent = item.get("from"), item.get("parent")
    yield PlatformComment(
        external_id=str(item["id"]),
        text=item["message"],
        published_at=meta.parse_time(item["created_time"]),
        like_count=optional_int(item.get("like_count")),
        author_id=meta.object_id(author),
        parent_external_id=meta.object_id(parent),
    )
