"""X API v2: users (by id, by username, me), a user's posts and posts by id. Deleted ids come
back in `errors[]` next to `data`, `expansions=author_id` adds the authors under
`includes.users`, rate-limit headers ride on every answer, and a throttle is the 429 problem with
x-rate-limit-reset."""

from datetime import datetime
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
    numeric_id,
    offset_of,
    page_token,
    post_counts,
    posts_count,
    published_at,
    seed,
    timeline,
)

NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
TIME = "%Y-%m-%dT%H:%M:%S.000Z"
WINDOW_S = 900
MAX_TIMELINE = 3_200  # the user timeline reaches back this many posts...
MAX_TIMELINE_WITHOUT_REPLIES = 800  # ...and this many with exclude=replies
KNOWN_USERNAMES = 100_000  # a bound, so a long benchmark cannot grow the map forever


def throttle(request: Request, state: FakeState) -> Response:
    body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
    headers = {**response_headers(state, "throttled"), "x-rate-limit-remaining": "0"}
    return json_response({**body, "status": 429}, 429, headers)


def server_error(state: FakeState) -> Response:
    body = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank"}
    return json_response({**body, "status": 503}, 503)


def response_headers(state: FakeState, label: str) -> dict[str, str]:
    limit = 3_500 if label == "GET /tweets" else 900
    reset = (int(state.clock()) // WINDOW_S + 1) * WINDOW_S  # end of the 15-minute window
    used = state.requests[("x", label)] % limit
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(limit - used),
        "x-rate-limit-reset": str(reset),
    }


def _missing(kind: str, value: str, parameter: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find {kind} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": kind,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def _invalid(message: str) -> Response:
    body = {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return json_response(body, 400)


def _user(state: FakeState, user_id: str, fields: set[str]) -> dict[str, Any]:
    username = state.usernames.get(user_id, f"fake_{user_id[-6:]}")
    user: dict[str, Any] = {"id": user_id, "name": f"Fake {username}", "username": username}
    s, now = seed(user_id), state.clock()
    if "created_at" in fields:
        user["created_at"] = iso(ANCHOR - s % (5 * YEAR), TIME)
    if "verified" in fields:
        user["verified"] = False
    if "public_metrics" in fields:
        user["public_metrics"] = {
            "followers_count": followers(user_id, now),
            "following_count": 50 + s % 2_000,
            "tweet_count": posts_count(user_id, now),
            "listed_count": s % 500,
            "like_count": s % 20_000,
        }
    return user


def _user_answer(state: FakeState, user_id: str, request: Request) -> Response:
    if gone(user_id):
        # Unknown and suspended users answer 200 with only an errors list.
        return json_response({"errors": [_missing("user", user_id, "id")]})
    fields = set(csv_list(request.query_params.get("user.fields")))
    return json_response({"data": _user(state, user_id, fields)})


def _user_id(name: str) -> str:
    return str(10**9 + seed(name) % 10**9)


async def me(request: Request, state: FakeState) -> Response:
    return _user_answer(state, _user_id("token:" + bearer_token(request)), request)


async def user(request: Request, state: FakeState) -> Response:
    return _user_answer(state, request.path_params["user_id"], request)


async def user_by_username(request: Request, state: FakeState) -> Response:
    username = request.path_params["username"]
    if gone(username):
        return json_response({"errors": [_missing("user", username, "username")]})
    user_id = _user_id(username.lower())
    if len(state.usernames) < KNOWN_USERNAMES:
        state.usernames[user_id] = username  # so /users/{id} answers with the same username
    return _user_answer(state, user_id, request)


def _author(post_id: str) -> str:
    """Who wrote a post looked up by id alone: one of a thousand fake authors."""
    return _user_id(f"author:{seed(post_id) % 1000}")


def _post(post_id: str, fields: set[str], now: float, author: str | None) -> dict[str, Any]:
    post: dict[str, Any] = {
        "id": post_id,
        "text": f"Fake post {post_id} #sway",
        "edit_history_tweet_ids": [post_id],
    }
    if "created_at" in fields:
        post["created_at"] = iso(published_at(post_id, now), TIME)
    if "author_id" in fields:
        post["author_id"] = author or _author(post_id)
    counts = post_counts(post_id, now)
    if "public_metrics" in fields:
        post["public_metrics"] = {
            "retweet_count": counts.shares,
            "reply_count": counts.comments,
            "like_count": counts.likes,
            "quote_count": counts.shares // 4,
            "bookmark_count": counts.saves,
            "impression_count": counts.impressions,
        }
    if "non_public_metrics" in fields:
        post["non_public_metrics"] = {
            "impression_count": counts.impressions,
            "url_link_clicks": counts.clicks,
            "user_profile_clicks": counts.clicks // 3,
            "engagements": counts.likes + counts.comments + counts.shares + counts.clicks,
        }
    return post


async def posts(request: Request, state: FakeState) -> Response:
    ids = csv_list(request.query_params.get("ids"))
    if not 1 <= len(ids) <= 100:
        return _invalid(
            f"The number of values in the `ids` query parameter list [{len(ids)}] is not between "
            "1 and 100"
        )
    state.items["x"] += len(ids)
    query, now = request.query_params, state.clock()
    # An expansion brings the field it expands along, as the real API does.
    expansions = set(csv_list(query.get("expansions")))
    fields = set(csv_list(query.get("tweet.fields"))) | (expansions & {"author_id"})
    body: dict[str, Any] = {}
    found = [_post(post_id, fields, now, None) for post_id in ids if not gone(post_id)]
    if found:
        body["data"] = found
    if found and "author_id" in expansions:
        user_fields = set(csv_list(query.get("user.fields")))
        authors = dict.fromkeys(post["author_id"] for post in found)
        body["includes"] = {"users": [_user(state, author, user_fields) for author in authors]}
    missing = [_missing("tweet", post_id, "ids") for post_id in ids if gone(post_id)]
    if missing:
        body["errors"] = missing
    return json_response(body)


async def user_posts(request: Request, state: FakeState) -> Response:
    user_id, query = request.path_params["user_id"], request.query_params
    if gone(user_id):
        return json_response({"errors": [_missing("user", user_id, "id")]})
    size = int_param(query.get("max_results"), 10, 5, 100)
    offset, now = offset_of(query.get("pagination_token")), state.clock()
    reach = (
        MAX_TIMELINE_WITHOUT_REPLIES
        if "replies" in csv_list(query.get("exclude"))
        else MAX_TIMELINE
    )
    stamps = timeline(user_id, now)[:reach]
    if "start_time" in query:
        start = datetime.fromisoformat(query["start_time"].replace("Z", "+00:00")).timestamp()
        stamps = [stamp for stamp in stamps if stamp >= start]
    fields = set(csv_list(query.get("tweet.fields")))
    page = [_post(numeric_id(user_id, s), fields, now, user_id) for s in stamps[offset:][:size]]
    meta: dict[str, Any] = {"result_count": len(page)}
    if page:
        meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
    if offset + size < len(stamps):
        meta["next_token"] = page_token(offset + size)
    return json_response({"data": page, "meta": meta} if page else {"meta": meta})


ROUTES = [
    ("GET", "/users/me", me),
    ("GET", "/users/by/username/{username}", user_by_username),
    ("GET", "/users/{user_id}/tweets", user_posts),
    ("GET", "/users/{user_id}", user),
    ("GET", "/tweets", posts),
]
