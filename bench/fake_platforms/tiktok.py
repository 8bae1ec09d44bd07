"""TikTok Display API v2: /user/info/, /video/list/ and /video/query/. Every answer carries the
`error` object ("ok" on success), with only the fields asked for in `fields`."""

import hashlib
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bench.fake_platforms.core import (
    FakeState,
    bearer_token,
    csv_list,
    followers,
    gone,
    json_response,
    numeric_id,
    post_counts,
    posts_count,
    published_at,
    seed,
    timeline,
)

MAX_LIST = 20
MAX_QUERY = 20


def error(state: FakeState, status: int, code: str, message: str) -> Response:
    body = {"data": {}, "error": {"code": code, "message": message, "log_id": state.log_id()}}
    return json_response(body, status)


def throttle(request: Request, state: FakeState) -> Response:
    message = "The API rate limit was exceeded. Please try again later."
    return error(state, 429, "rate_limit_exceeded", message)


def server_error(state: FakeState) -> Response:
    return error(state, 500, "internal_error", "Something went wrong. Please try again later.")


def _ok(state: FakeState, data: dict[str, Any]) -> Response:
    ok = {"code": "ok", "message": "", "log_id": state.log_id()}
    return json_response({"data": data, "error": ok})


def _open_id(request: Request) -> str:
    digest = hashlib.blake2b(bearer_token(request).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest))


def _username(open_id: str) -> str:
    return f"fake.{seed(open_id) % 10**8:08d}"


def _fields(request: Request) -> list[str]:
    return csv_list(request.query_params.get("fields"))


async def user_info(request: Request, state: FakeState) -> Response:
    fields = _fields(request)
    if not fields:
        return error(state, 400, "invalid_params", "fields is required")
    open_id, now = _open_id(request), state.clock()
    every = {
        "open_id": open_id,
        "union_id": open_id[::-1],
        "avatar_url": f"https://p16-sign.tiktokcdn.test/{open_id}.jpeg",
        "display_name": f"Fake {_username(open_id)}",
        "username": _username(open_id),
        "bio_description": "A fake creator",
        "is_verified": False,
        "follower_count": followers(open_id, now),
        "following_count": 20 + seed(open_id) % 900,
        "likes_count": followers(open_id, now) * 12,
        "video_count": posts_count(open_id, now),
    }
    return _ok(state, {"user": {name: every[name] for name in fields if name in every}})


def _video(video_id: str, fields: list[str], now: float, username: str) -> dict[str, Any]:
    counts, s = post_counts(video_id, now), seed(video_id)
    every = {
        "id": video_id,
        "create_time": published_at(video_id, now),
        "title": f"Fake video {video_id}",
        "video_description": "Made by the fake platform server #sway",
        "share_url": f"https://www.tiktok.com/@{username}/video/{video_id}",
        "duration": 5 + s % 170,
        "height": 1024,
        "width": 576,
        "view_count": counts.views,
        "like_count": counts.likes,
        "comment_count": counts.comments,
        "share_count": counts.shares,
    }
    return {name: every[name] for name in fields if name in every}


async def _json_body(request: Request, state: FakeState) -> dict[str, Any] | Response:
    try:
        body = await request.json()
    except ValueError:
        return error(state, 400, "invalid_params", "The request body is not JSON.")
    if not isinstance(body, dict):
        return error(state, 400, "invalid_params", "The request body is not an object.")
    return body


async def video_list(request: Request, state: FakeState) -> Response:
    body = await _json_body(request, state)
    if isinstance(body, Response):
        return body
    size = body.get("max_count", 10)
    if not isinstance(size, int) or not 1 <= size <= MAX_LIST:
        return error(state, 400, "invalid_params", f"max_count must be between 1 and {MAX_LIST}")
    open_id, now = _open_id(request), state.clock()
    cursor = body.get("cursor") or int(now * 1000) + 1  # epoch ms; older videos come next
    older = [stamp for stamp in timeline(open_id, now) if stamp * 1000 < cursor]
    page, fields, username = older[:size], _fields(request) or ["id"], _username(open_id)
    found = [_video(numeric_id(open_id, stamp), fields, now, username) for stamp in page]
    data = {"videos": found, "cursor": page[-1] * 1000 if page else cursor}
    return _ok(state, {**data, "has_more": len(older) > size})


async def video_query(request: Request, state: FakeState) -> Response:
    body = await _json_body(request, state)
    if isinstance(body, Response):
        return body
    ids = (body.get("filters") or {}).get("video_ids") or []
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_QUERY:
        return error(state, 400, "invalid_params", f"video_ids must hold 1 to {MAX_QUERY} ids")
    state.items["tiktok"] += len(ids)
    fields, now = _fields(request) or ["id"], state.clock()
    username = _username(_open_id(request))
    found = [_video(str(v), fields, now, username) for v in ids if not gone(str(v))]
    return _ok(state, {"videos": found, "cursor": 0, "has_more": False})


ROUTES = [
    ("GET", "/user/info/", user_info),
    ("POST", "/video/list/", video_list),
    ("POST", "/video/query/", video_query),
]
