"""YouTube Data API v3: channel statistics, recent uploads and video statistics.

Costs are what shape this adapter: every call below costs 1 quota unit out of 10,000 per project per
day, so recent uploads come from the uploads playlist (never search.list) and videos are fetched 50
ids per call, with the snippet and content details that cost nothing more.

Requests authenticate with the account's OAuth token, else its own API key, else Sway's app key
(SWAY_YOUTUBE_API_KEY). A refusal of the app key is an operator's to fix (NotConfigured); a refusal
of the account's own token or key is the account's (AuthExpired).
"""

import math
import re
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    NotConfigured,
    NotFound,
    Platform,
    PostInfo,
    PostRefused,
    PostStats,
    RateLimited,
)
from shared.platforms.comments import CommentPage, PlatformComment
from shared.platforms.details import stats_with_details
from shared.platforms.http import (
    expect,
    optional_int,
    parse_json,
    raise_for_server_error,
    reading,
    send,
)
from shared.platforms.owners import PostOwner

PLATFORM = Platform.youtube
PAGE_SIZE = 50
# Bounds one listing to 20 quota units even when `since` reaches years back.
MAX_PAGES = 20
QUOTA_RESETS_IN = ZoneInfo("America/Los_Angeles")
# rateLimitExceeded/userRateLimitExceeded are short-term throttles, not the daily quota. Google
# documents no wait for them, so one minute keeps the worker from hammering without stalling it.
SHORT_THROTTLE_S = 60.0
# The Data API has no Shorts flag. Shorts may run up to 3 minutes since Oct 2024, so duration cannot
# prove a video is not a Short; only uploads of 60 s or less are called shorts, where the guess is
# almost always right, and anything longer stays "video" rather than be mislabelled.
SHORT_MAX_S = 60
DAILY_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
SHORT_THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
# Bad, expired or unconfigured API keys (or a project with the API disabled): a person has to fix
# the key, its owner being the account or, for the app key, Sway's operator.
BAD_KEY_REASONS = {"keyInvalid", "keyExpired", "accessNotConfigured"}
VIDEO_PARTS = "snippet,statistics,contentDetails"
ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
# commentThreads.list: 1 unit a call whatever the page size, at most 100 threads a page. Only
# `snippet` is asked: the top-level comments; replies would need `replies` (or comments.list
# per thread) and are not read.
COMMENT_PAGE_SIZE = 100
COMMENTS_DISABLED = "commentsDisabled"


def seconds_until_quota_reset(now: datetime) -> float:
    """Seconds until the next midnight in Pacific time, when the daily quota resets."""
    local = now.astimezone(QUOTA_RESETS_IN)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=QUOTA_RESETS_IN)
    # Subtract in UTC: wall-clock arithmetic would be an hour off on DST change days.
    return (midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


def duration_seconds(value: str | None) -> int | None:
    match = ISO_DURATION.match(value or "")
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _stats(statistics: dict[str, Any]) -> PostStats:
    # favoriteCount is always "0" and is not saves; likes/comments vanish when hidden or disabled.
    return PostStats(
        views=optional_int(statistics.get("viewCount")),
        likes=optional_int(statistics.get("likeCount")),
        comments=optional_int(statistics.get("commentCount")),
    )


def _kind(video: dict[str, Any]) -> str:
    if video["snippet"].get("liveBroadcastContent") in ("live", "upcoming"):
        return "live"
    seconds = duration_seconds(video.get("contentDetails", {}).get("duration"))
    return "short" if seconds is not None and 0 < seconds <= SHORT_MAX_S else "video"


def _caption(snippet: dict[str, Any]) -> str | None:
    # Hashtags and mentions live in the description; the title alone would miss them.
    parts = [snippet.get("title"), snippet.get("description")]
    return "\n\n".join(part for part in parts if part) or None


def _post_info(video: dict[str, Any]) -> PostInfo:
    return PostInfo(
        external_id=video["id"],
        url=WATCH_URL.format(video_id=video["id"]),
        kind=_kind(video),
        caption=_caption(video["snippet"]),
        published_at=parse_time(video["snippet"]["publishedAt"]),
        stats=_stats(video.get("statistics", {})),
    )


def _account_stats(channel: dict[str, Any]) -> AccountStats:
    snippet, statistics = channel["snippet"], channel["statistics"]
    hidden = statistics.get("hiddenSubscriberCount") is True
    custom_url = snippet.get("customUrl")
    return AccountStats(
        external_id=channel["id"],
        handle=custom_url.lstrip("@") if custom_url else None,
        display_name=snippet.get("title"),
        followers=None if hidden else optional_int(statistics.get("subscriberCount")),
        following=None,  # YouTube does not publish whom a channel subscribes to as a count
        posts_count=optional_int(statistics.get("videoCount")),
    )


def _google_error(response: httpx.Response) -> tuple[set[str], str]:
    """The reasons and message of a Google error envelope; empty when the body is not one."""
    try:
        error = response.json()["error"]
        reasons = {str(item.get("reason")) for item in error.get("errors", [])}
        return reasons, str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return set(), response.text[:120]


def _is_missing_playlist(response: httpx.Response) -> bool:
    return response.status_code == 404 and "playlistNotFound" in _google_error(response)[0]


class YouTubeAdapter:
    platform = PLATFORM
    max_batch = 50

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # videos.list costs 1 unit per call whatever its parts, and one call carries 50 ids.
        return math.ceil(posts / self.max_batch)

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._base = settings.base_url("youtube")
        key = settings.youtube_api_key
        self._default_key = key.get_secret_value() if key else None
        self._now = clock or (lambda: datetime.now(UTC))

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        channel = await self._channel(account, "snippet,statistics,contentDetails", creds)
        with reading("channel", platform=PLATFORM):
            return _account_stats(channel)

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        playlist_id = await self._uploads_playlist(account, creds)
        video_ids = await self._recent_uploads(playlist_id, creds, since)
        posts: dict[str, PostInfo] = {}
        for start in range(0, len(video_ids), self.max_batch):
            chunk = video_ids[start : start + self.max_batch]
            videos = await self._videos(chunk, VIDEO_PARTS, creds)
            with reading("video", platform=PLATFORM):
                posts.update((video["id"], _post_info(video)) for video in videos)
        # Newest first, as the playlist listed them; uploads gone since then are skipped.
        return [posts[video_id] for video_id in video_ids if video_id in posts]

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        if len(post_ids) > self.max_batch:
            raise ValueError(f"youtube: at most {self.max_batch} ids per call, got {len(post_ids)}")
        if not post_ids:
            return {}
        videos = await self._videos(list(post_ids), VIDEO_PARTS, creds)
        with reading("video statistics", platform=PLATFORM):
            # Deleted and private videos are simply absent from items.
            return {video["id"]: stats_with_details(_post_info(video)) for video in videos}

    async def post_owner(self, external_id: str, creds: Credentials | None) -> PostOwner | None:
        """The channel that uploaded a video (PostOwnerLookup): one videos.list call, 1 unit."""
        videos = await self._videos([external_id], "snippet", creds)
        if not videos:
            return None  # deleted, private, or never existed
        with reading("video owner", platform=PLATFORM):
            snippet = videos[0]["snippet"]
            return PostOwner(
                external_id=str(snippet["channelId"]), display_name=snippet.get("channelTitle")
            )

    def comments_cost(self, limit: int) -> int:
        return math.ceil(limit / COMMENT_PAGE_SIZE)

    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        """The video's newest top-level comments (CommentSource), a page of 100 per unit."""
        params = {
            "part": "snippet",
            "videoId": post_id,
            "order": "time",
            "textFormat": "plainText",
        }
        comments: list[PlatformComment] = []
        # No more pages than the budget was charged for, whatever the page tokens say.
        for _ in range(self.comments_cost(limit)):
            params["maxResults"] = min(COMMENT_PAGE_SIZE, limit - len(comments))
            body = await self._comment_threads(params, creds)
            if body is None:
                return CommentPage(disabled=True)
            with reading("comment threads", platform=PLATFORM):
                comments += [c for item in body.get("items", []) if (c := _comment(item))]
                next_token = body.get("nextPageToken")
            if not next_token or len(comments) >= limit:
                break
            params["pageToken"] = next_token
        return CommentPage(comments=comments[:limit])

    async def _comment_threads(
        self, params: dict[str, Any], creds: Credentials | None
    ) -> dict[str, Any] | None:
        """One page of comment threads; None when the video's comments are turned off (403
        commentsDisabled, an answer about the video, not the key)."""
        headers, auth_params, app_key = self._auth(creds)
        response = await send(
            self._client,
            "GET",
            self._base + "/commentThreads",
            platform=PLATFORM,
            params={**params, **auth_params},
            headers=headers,
        )
        if response.status_code == 403 and COMMENTS_DISABLED in _google_error(response)[0]:
            return None
        self._raise_for_error(response, app_key=app_key)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    async def _channel(
        self, account: AccountRef, parts: str, creds: Credentials | None
    ) -> dict[str, Any]:
        params = {"part": parts}
        if account.external_id:
            params["id"] = account.external_id
        else:
            params["forHandle"] = "@" + account.handle.lstrip("@")
        body = await self._get("/channels", params, creds)
        items = body.get("items") or []  # no match leaves "items" out entirely
        expect(isinstance(items, list), "channels items is not a list", platform=PLATFORM)
        if not items:
            who = account.external_id or account.handle
            raise NotFound(f"youtube: no channel {who!r}", platform=PLATFORM)
        expect(isinstance(items[0], dict), "channel is not an object", platform=PLATFORM)
        return items[0]

    async def _uploads_playlist(self, account: AccountRef, creds: Credentials | None) -> str:
        # A channel's uploads playlist is its id with UC swapped for UU, which saves a call.
        if account.external_id and account.external_id.startswith("UC"):
            return "UU" + account.external_id[2:]
        channel = await self._channel(account, "contentDetails", creds)
        with reading("channel uploads playlist", platform=PLATFORM):
            return str(channel["contentDetails"]["relatedPlaylists"]["uploads"])

    async def _recent_uploads(
        self, playlist_id: str, creds: Credentials | None, since: datetime | None
    ) -> list[str]:
        """Upload ids newest first, down to `since`; without `since`, only the newest page."""
        params = {"part": "contentDetails", "playlistId": playlist_id, "maxResults": PAGE_SIZE}
        video_ids: list[str] = []
        for _ in range(MAX_PAGES):
            body = await self._get("/playlistItems", params, creds, missing_ok=True)
            with reading("playlist items", platform=PLATFORM):
                page_ids, reached_since = _page_of_uploads(body.get("items", []), since)
                next_token = body.get("nextPageToken")
            video_ids += page_ids
            if reached_since or not next_token or since is None:
                break
            params["pageToken"] = next_token
        return video_ids

    async def _videos(
        self, video_ids: list[str], parts: str, creds: Credentials | None
    ) -> list[dict[str, Any]]:
        body = await self._get("/videos", {"part": parts, "id": ",".join(video_ids)}, creds)
        items = body.get("items", [])
        expect(isinstance(items, list), "videos items is not a list", platform=PLATFORM)
        return items

    async def _get(
        self,
        path: str,
        params: dict[str, Any],
        creds: Credentials | None,
        *,
        missing_ok: bool = False,
    ) -> dict[str, Any]:
        headers, auth_params, app_key = self._auth(creds)
        response = await send(
            self._client,
            "GET",
            self._base + path,
            platform=PLATFORM,
            params={**params, **auth_params},
            headers=headers,
        )
        # Channels that never uploaded answer 404 playlistNotFound for their uploads playlist; a
        # channel that is gone is caught by fetch_account, so here it just means "no posts".
        if missing_ok and _is_missing_playlist(response):
            return {"items": []}
        self._raise_for_error(response, app_key=app_key)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    def _auth(self, creds: Credentials | None) -> tuple[dict[str, str], dict[str, str], bool]:
        """Headers, query parameters, and whether they carry Sway's app key."""
        if creds and creds.access_token:
            return {"Authorization": f"Bearer {creds.access_token}"}, {}, False
        if creds and creds.api_key:
            return {}, {"key": creds.api_key}, False
        if self._default_key:
            return {}, {"key": self._default_key}, True
        raise NotConfigured(
            "youtube: no OAuth access token, no API key on the account and no "
            "SWAY_YOUTUBE_API_KEY: set SWAY_YOUTUBE_API_KEY for public statistics, or connect "
            "the channel",
            platform=PLATFORM,
        )

    def _raise_for_error(self, response: httpx.Response, *, app_key: bool) -> None:
        if response.status_code < 400:
            return
        raise_for_server_error(response, platform=PLATFORM)
        reasons, message = _google_error(response)
        status = response.status_code
        detail = f"youtube: HTTP {status} {sorted(reasons)}: {message}"
        if reasons & DAILY_QUOTA_REASONS:
            wait = seconds_until_quota_reset(self._now())
            raise RateLimited(detail, retry_after_s=wait, platform=PLATFORM)
        if reasons & SHORT_THROTTLE_REASONS or status == 429:
            raise RateLimited(detail, retry_after_s=SHORT_THROTTLE_S, platform=PLATFORM)
        if reasons & BAD_KEY_REASONS or "API key" in message:
            if app_key:
                raise NotConfigured(
                    f"{detail} (SWAY_YOUTUBE_API_KEY was refused: an operator must fix it)",
                    platform=PLATFORM,
                )
            raise AuthExpired(detail, platform=PLATFORM)
        if status == 401:
            raise AuthExpired(detail, platform=PLATFORM)
        raise AdapterError(detail, platform=PLATFORM)


def _page_of_uploads(items: list[dict[str, Any]], since: datetime | None) -> tuple[list[str], bool]:
    """The ids on one playlist page at or after `since`, and whether an older upload was seen."""
    video_ids = []
    for item in items:
        details = item["contentDetails"]
        published = details.get("videoPublishedAt")
        if published is None:
            continue  # private or deleted uploads carry no date and no public statistics
        # The uploads playlist lists newest first, so the first older upload ends the listing.
        if since is not None and parse_time(published) < since:
            return video_ids, True
        video_ids.append(details["videoId"])
    return video_ids, False


def _comment(thread: dict[str, Any]) -> PlatformComment | None:
    """A thread's top-level comment; None for one without text (nothing left to read)."""
    top = thread["snippet"]["topLevelComment"]
    snippet = top["snippet"]
    # textOriginal is only promised to the comment's author; with textFormat=plainText,
    # textDisplay is the same text for everyone.
    text = snippet.get("textDisplay") or snippet.get("textOriginal")
    if not text:
        return None
    author = snippet.get("authorChannelId") or {}
    return PlatformComment(
        external_id=str(top["id"]),
        text=text,
        published_at=parse_time(snippet["publishedAt"]),
        like_count=optional_int(snippet.get("likeCount")),
        author_id=str(author["value"]) if author.get("value") else None,
    )
