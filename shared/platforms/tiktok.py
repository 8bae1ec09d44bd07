"""TikTok Display API v2 (Login Kit user token): profile counts, recent videos, video counts.

Every response carries an `error` object, "ok" on success, so the error code (not only the HTTP
status) decides what went wrong. The Display API reports no impressions, reach, saves or watch time.
"""

import math
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    Platform,
    PlatformUnavailable,
    PostInfo,
    PostRefused,
    PostStats,
    RateLimited,
)
from shared.platforms.details import stats_with_details
from shared.platforms.http import (
    expect,
    optional_int,
    parse_json,
    raise_for_server_error,
    reading,
    send,
)

PLATFORM = Platform.tiktok
USER_FIELDS = (
    "open_id,display_name,avatar_url,follower_count,following_count,likes_count,video_count"
)
# The listing and the query by id ask for the same fields, so a video tracked by id learns its
# publish time, caption and URL along with its counts.
VIDEO_FIELDS = (
    "id,create_time,title,video_description,share_url,duration,"
    "view_count,like_count,comment_count,share_count"
)
PAGE_SIZE = 20
# Bounds one listing to 50 calls (1,000 videos) however far back `since` reaches.
MAX_PAGES = 50
# No rate-limit headers are documented; the limit is counted over a sliding one-minute window, so
# a minute is the longest any single request can keep counting against it.
THROTTLE_WINDOW_S = 60.0
# Expired, revoked or missing a scope: in every case the creator must authorize again.
AUTH_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}


def _stats(video: dict[str, Any]) -> PostStats:
    return PostStats(
        views=optional_int(video.get("view_count")),
        likes=optional_int(video.get("like_count")),
        comments=optional_int(video.get("comment_count")),
        shares=optional_int(video.get("share_count")),
    )


def _caption(video: dict[str, Any]) -> str | None:
    # The description carries the hashtags; the title is often empty or a copy of it.
    parts = [video.get("title"), video.get("video_description")]
    unique = [part for part in dict.fromkeys(parts) if part]
    return "\n\n".join(unique) or None


def _post_info(video: dict[str, Any]) -> PostInfo:
    return PostInfo(
        external_id=str(video["id"]),
        url=video.get("share_url"),
        kind="video",
        caption=_caption(video),
        published_at=_created_at(video),
        stats=_stats(video),
    )


def _created_at(video: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(video["create_time"]), UTC)  # epoch seconds


def _account_stats(user: dict[str, Any]) -> AccountStats:
    return AccountStats(
        external_id=str(user["open_id"]),
        # `username` needs the user.info.profile scope, which Sway does not ask for.
        handle=None,
        display_name=user.get("display_name"),
        followers=optional_int(user.get("follower_count")),
        following=optional_int(user.get("following_count")),
        posts_count=optional_int(user.get("video_count")),
    )


def _error(body: Any) -> tuple[str | None, str]:
    """The `error.code` and a readable message, or None when the body has no error object."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code = error.get("code")
    message = f"{error.get('message')} (log_id {error.get('log_id')})"
    return (str(code) if code is not None else None), message


class TikTokAdapter:
    platform = PLATFORM
    max_batch = 20

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # One call carries 20 ids, details included; TikTok counts requests per endpoint.
        return math.ceil(posts / self.max_batch)

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._base = settings.base_url("tiktok")

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        # The Display API only ever describes the user who authorized the token.
        data = await self._call("GET", "/user/info/", USER_FIELDS, creds)
        with reading("user info", platform=PLATFORM):
            return _account_stats(data["user"])

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        """Videos newest first, down to `since`; without `since`, only the newest page."""
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        request: dict[str, Any] = {"max_count": PAGE_SIZE}
        posts: list[PostInfo] = []
        for _ in range(MAX_PAGES):
            data = await self._call("POST", "/video/list/", VIDEO_FIELDS, creds, json=request)
            with reading("video list", platform=PLATFORM):
                page, reached_since = _page_of_posts(data.get("videos", []), since)
                cursor, has_more = data.get("cursor"), data.get("has_more") is True
            posts += page
            # A repeated cursor would loop forever; treat it as the end.
            if reached_since or not has_more or since is None or cursor == request.get("cursor"):
                break
            request = {"max_count": PAGE_SIZE, "cursor": cursor}
        return posts

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        if len(post_ids) > self.max_batch:
            raise ValueError(f"tiktok: at most {self.max_batch} ids per call, got {len(post_ids)}")
        if not post_ids:
            return {}
        request = {"filters": {"video_ids": list(post_ids)}}
        data = await self._call("POST", "/video/query/", VIDEO_FIELDS, creds, json=request)
        with reading("video query", platform=PLATFORM):
            # Deleted, private or not-owned videos are simply not returned.
            videos = data.get("videos", [])
            return {str(video["id"]): stats_with_details(_post_info(video)) for video in videos}

    async def _call(
        self, method: str, path: str, fields: str, creds: Credentials | None, **kwargs: Any
    ) -> dict[str, Any]:
        """One API call; returns its `data` object once `error.code` says "ok"."""
        if not (creds and creds.access_token):
            raise AuthExpired("tiktok: a user access token is required", platform=PLATFORM)
        response = await send(
            self._client,
            method,
            self._base + path,
            platform=PLATFORM,
            params={"fields": fields},
            headers={"Authorization": f"Bearer {creds.access_token}"},
            **kwargs,
        )
        body = self._checked_body(response)
        data = body.get("data")
        expect(isinstance(data, dict), "data is not an object", platform=PLATFORM)
        return data

    def _checked_body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = parse_json(response, platform=PLATFORM)
        except AdapterError:
            # Gateways may answer throttles, auth failures and outages without TikTok's envelope.
            self._raise_for_code(None, "", response)
            raise
        code, message = _error(body)
        if code != "ok" or response.status_code >= 400:
            self._raise_for_code(code, message, response)
        expect(code is not None, "no error object", platform=PLATFORM)
        return body

    def _raise_for_code(self, code: str | None, message: str, response: httpx.Response) -> None:
        status = response.status_code
        detail = f"tiktok: HTTP {status} {code}: {message}"
        if code in AUTH_CODES or status == 401:
            raise AuthExpired(detail, platform=PLATFORM)
        if code == "rate_limit_exceeded" or status == 429:
            raise RateLimited(detail, retry_after_s=THROTTLE_WINDOW_S, platform=PLATFORM)
        if code == "internal_error":
            raise PlatformUnavailable(detail, platform=PLATFORM)
        raise_for_server_error(response, platform=PLATFORM)
        if code is not None:
            # invalid_params and unknown codes: our request or TikTok's contract changed; a person
            # has to look, and retrying the same request would not help.
            raise AdapterError(detail, platform=PLATFORM)


def _page_of_posts(
    videos: list[dict[str, Any]], since: datetime | None
) -> tuple[list[PostInfo], bool]:
    """The posts on one page at or after `since`, and whether an older video was seen."""
    posts = []
    for video in videos:
        if since is not None and _created_at(video) < since:
            return posts, True
        posts.append(_post_info(video))
    return posts, False
