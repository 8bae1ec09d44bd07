"""YouTube Data API v3: /channels, /playlistItems and /videos, with counts as strings, only the
parts asked for, and Google's error envelope (403 quotaExceeded when throttled)."""

import base64
import hashlib
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bench.fake_platforms.core import (
    ANCHOR,
    YEAR,
    FakeState,
    bearer_token,
    csv_list,
    followers,
    gone,
    int_param,
    iso,
    json_response,
    offset_of,
    page_token,
    post_counts,
    posts_count,
    published_at,
    seed,
    timeline,
    youtube_id,
)

MAX_IDS = 50


def google_error(status: int, reason: str, message: str, domain: str = "global") -> Response:
    error = {"message": message, "domain": domain, "reason": reason}
    return json_response({"error": {"code": status, "message": message, "errors": [error]}}, status)


def throttle(request: Request, state: FakeState) -> Response:
    message = (
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
        'getting-started#quota">quota</a>.'
    )
    return google_error(403, "quotaExceeded", message, "youtube.quota")


def server_error(state: FakeState) -> Response:
    return google_error(503, "backendError", "Backend Error")


def channel_id(key: str) -> str:
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    return "UC" + base64.urlsafe_b64encode(digest).decode()[:22]


def _list(kind: str, items: list[dict[str, Any]], per_page: int, **extra: Any) -> Response:
    total = extra.pop("total", len(items))
    body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": f"{seed(kind):x}"}
    body.update(extra)
    body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
    if items or kind != "channel":  # a channel lookup that matches nothing leaves out "items"
        body["items"] = items
    return json_response(body)


def _too_many(ids: list[str]) -> Response | None:
    if len(ids) <= MAX_IDS:
        return None
    message = "The request specifies an invalid filter parameter."
    return google_error(400, "invalidFilters", message, "youtube.parameter")


def _channel(cid: str, handle: str, parts: set[str], now: float) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": "youtube#channel", "etag": f"{seed(cid):x}", "id": cid}
    if "snippet" in parts:
        item["snippet"] = {
            "title": f"Fake {handle.lstrip('@')}",
            "customUrl": handle.lower(),
            "publishedAt": iso(ANCHOR - seed(cid) % (5 * YEAR)),
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": "UU" + cid[2:]}}
    if "statistics" in parts:
        subscribers = followers(cid, now)
        rounded = round(subscribers, 2 - int(math.log10(subscribers)))  # 3 significant figures
        item["statistics"] = {
            "viewCount": str(subscribers * 37),
            "subscriberCount": str(rounded),
            "hiddenSubscriberCount": False,
            "videoCount": str(posts_count(cid, now)),
        }
    return item


def _wanted_channels(request: Request) -> list[tuple[str, str]] | Response:
    """(channel id, handle) for each channel the query names, by handle, username, "mine" or id."""
    query = request.query_params
    if "forHandle" in query:
        handle = "@" + query["forHandle"].lstrip("@")
        return [(channel_id(handle.lower()), handle)]
    if "forUsername" in query:
        return [(channel_id(query["forUsername"].lower()), "@" + query["forUsername"])]
    if query.get("mine") == "true":
        cid = channel_id("mine:" + bearer_token(request))
        return [(cid, "@fake" + cid[2:8])]
    ids = csv_list(query.get("id"))
    return _too_many(ids) or [(cid, "@fake" + cid[2:8]) for cid in ids]


async def channels(request: Request, state: FakeState) -> Response:
    wanted = _wanted_channels(request)
    if isinstance(wanted, Response):
        return wanted
    state.items["youtube"] += len(wanted)
    parts, now = set(csv_list(request.query_params.get("part"))), state.clock()
    items = [_channel(cid, handle, parts, now) for cid, handle in wanted if not gone(cid + handle)]
    return _list("channel", items, 5)


async def playlist_items(request: Request, state: FakeState) -> Response:
    query = request.query_params
    playlist = query.get("playlistId", "")
    if not playlist.startswith("UU") or gone(playlist):
        message = (
            "The playlist identified with the request's <code>playlistId</code> parameter "
            "cannot be found."
        )
        return google_error(404, "playlistNotFound", message, "youtube.playlistItem")
    cid, parts = "UC" + playlist[2:], set(csv_list(query.get("part")))
    size, offset = int_param(query.get("maxResults"), 5, 0, 50), offset_of(query.get("pageToken"))
    stamps = timeline(cid, state.clock())
    items = [_playlist_item(cid, stamp, parts) for stamp in stamps[offset : offset + size]]
    extra: dict[str, Any] = {"total": len(stamps)}
    if offset + size < len(stamps):
        extra["nextPageToken"] = page_token(offset + size)
    if offset:
        extra["prevPageToken"] = page_token(max(0, offset - size))
    return _list("playlistItem", items, size, **extra)


def _playlist_item(cid: str, stamp: int, parts: set[str]) -> dict[str, Any]:
    video_id = youtube_id(cid, stamp)
    item_id = base64.b64encode(f"{cid}.{video_id}".encode()).decode()
    item: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": f"{stamp:x}", "id": item_id}
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": iso(stamp),
            "channelId": cid,
            "title": f"Fake video {video_id}",
            "playlistId": "UU" + cid[2:],
            "resourceId": {"kind": "youtube#video", "videoId": video_id},
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {"videoId": video_id, "videoPublishedAt": iso(stamp)}
    return item


async def videos(request: Request, state: FakeState) -> Response:
    ids = csv_list(request.query_params.get("id"))
    if error := _too_many(ids):
        return error
    state.items["youtube"] += len(ids)
    parts, now = set(csv_list(request.query_params.get("part"))), state.clock()
    items = [_video(video_id, parts, now) for video_id in ids if not gone(video_id)]
    return _list("video", items, len(items))


def _video(video_id: str, parts: set[str], now: float) -> dict[str, Any]:
    s = seed(video_id)
    item: dict[str, Any] = {"kind": "youtube#video", "etag": f"{s:x}", "id": video_id}
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": iso(published_at(video_id, now)),
            "channelId": channel_id(f"owner:{s % 1000}"),
            "title": f"Fake video {video_id}",
            "description": "Made by the fake platform server #sway",
            "liveBroadcastContent": "none",
        }
    if "contentDetails" in parts:
        seconds = 15 + s % 900
        item["contentDetails"] = {
            "duration": f"PT{seconds // 60}M{seconds % 60}S",
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "projection": "rectangular",
        }
    if "statistics" in parts:
        counts = post_counts(video_id, now)
        item["statistics"] = {
            "viewCount": str(counts.views),
            "likeCount": str(counts.likes),
            "favoriteCount": "0",
            "commentCount": str(counts.comments),
        }
    return item


ROUTES = [
    ("GET", "/channels", channels),
    ("GET", "/playlistItems", playlist_items),
    ("GET", "/videos", videos),
]
