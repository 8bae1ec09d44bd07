"""Meta Graph API, shared by Instagram and Facebook Pages: GET /{id} with `fields`, the /media and
/posts edges with cursor paging, /insights, and the batch POST / whose parts count one by one.

A node answers a superset of IG user, Page, IG media and Page post fields, cut to those asked for.
Deleted ids answer (#100) subcode 33; retired metrics answer (#100) as the real API does, so an
adapter that still asks for them fails here too. Throttles are code 4 with usage headers.
"""

import base64
import json
import struct
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from bench.fake_platforms.core import (
    DAY,
    Counts,
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

Answer = tuple[int, dict[str, Any]]
TIME = "%Y-%m-%dT%H:%M:%S+0000"
MAX_BATCH = 50
RETIRED_MEDIA_METRICS = {"impressions", "plays", "video_views", "clips_replays_count",
                         "ig_reels_aggregated_all_plays_count", "engagement"}  # fmt: skip
RETIRED_POST_METRICS = {"post_impressions", "post_impressions_unique", "post_engaged_users"}


def error(
    status: int, code: int, message: str, *, subcode: int | None = None, **extra: Any
) -> Answer:
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body.update(extra)
    body["fbtrace_id"] = f"Fk{seed(message) % 10**12:012d}"
    return status, {"error": body}


def _respond(answer: Answer, headers: dict[str, str] | None = None) -> Response:
    status, body = answer
    return json_response(body, status, headers)


def throttle(request: Request, state: FakeState) -> Response:
    usage = {"call_count": 100, "total_cputime": 12, "total_time": 15}
    owner = str(seed(bearer_token(request)) % 10**17)
    buc = {owner: [{"type": "instagram", **usage, "estimated_time_to_regain_access": 1}]}
    headers = {"X-Business-Use-Case-Usage": json.dumps(buc), "X-App-Usage": json.dumps(usage)}
    message = "(#4) Application request limit reached"
    return _respond(error(403, 4, message, is_transient=True), headers)


def server_error(state: FakeState) -> Response:
    message = "An unexpected error has occurred. Please retry your request later."
    return _respond(error(500, 2, message, is_transient=True))


def _gone(node: str) -> Answer:
    message = (
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api"
    )
    return error(400, 100, message, subcode=33, type="GraphMethodException")


def field_names(fields: str) -> list[str]:
    """Top-level names in a `fields` list: "reactions.limit(0).summary(total_count),id" names
    reactions and id."""
    names, depth, current = [], 0, ""
    for char in fields + ",":
        depth += (char in "({") - (char in ")}")
        if char == "," and depth == 0:
            names.append(current.split(".")[0].split("{")[0].strip())
            current = ""
        else:
            current += char
    return [name for name in names if name]


def product_type(media_id: str) -> str:
    return ("REELS", "FEED", "FEED")[seed(media_id) % 3]


def _node(node: str, names: list[str], now: float) -> dict[str, Any]:
    counts, s, stamp = post_counts(node, now), seed(node), published_at(node, now)
    product = product_type(node)
    shortcode = base64.urlsafe_b64encode(struct.pack(">Q", s)).decode()[:11]
    permalink = f"https://www.instagram.com/{'reel' if product == 'REELS' else 'p'}/{shortcode}/"
    media_type = "VIDEO" if product == "REELS" else ("IMAGE", "CAROUSEL_ALBUM")[s % 2]
    every: dict[str, Callable[[], Any]] = {
        "id": lambda: node,
        "name": lambda: f"Fake {node[-6:]}",
        "username": lambda: f"fake_{node[-6:]}",
        "followers_count": lambda: followers(node, now),
        "follows_count": lambda: 50 + s % 2_000,
        "fan_count": lambda: followers(node, now) * 9 // 10,
        "media_count": lambda: posts_count(node, now),
        "profile_picture_url": lambda: f"https://scontent.fake.test/{node}.jpg",
        "caption": lambda: f"Fake post {node} #sway",
        "message": lambda: f"Fake post {node} #sway",
        "media_type": lambda: media_type,
        "media_product_type": lambda: product,
        "permalink": lambda: permalink,
        "permalink_url": lambda: f"https://www.facebook.com/{node.replace('_', '/posts/')}",
        "timestamp": lambda: iso(stamp, TIME),
        "created_time": lambda: iso(stamp, TIME),
        "status_type": lambda: ("added_photos", "added_video", "mobile_status_update")[s % 3],
        "like_count": lambda: counts.likes,
        "comments_count": lambda: counts.comments,
        "view_count": lambda: counts.views,
        "shares": lambda: {"count": counts.shares},
        "reactions": lambda: {"data": [], "summary": {"total_count": counts.likes}},
        "comments": lambda: {"data": [], "summary": {"total_count": counts.comments}},
    }
    return {name: every[name]() for name in names if name in every}


def _object(node: str, query: dict[str, str], now: float) -> Answer:
    if gone(node):
        return _gone(node)
    return 200, _node(node, field_names(query.get("fields", "id,name")), now)


def _edge(node: str, edge: str, query: dict[str, str], url: str, now: float) -> Answer:
    if gone(node):
        return _gone(node)
    size, offset = int_param(query.get("limit"), 25, 1, 100), offset_of(query.get("after"))
    history = timeline(node, now)
    ids = [numeric_id(node, stamp) for stamp in history[offset : offset + size]]
    if edge == "posts":
        ids = [f"{node}_{post_id}" for post_id in ids]  # Page post ids are "<page>_<post>"
    names = field_names(query.get("fields", "id"))
    body: dict[str, Any] = {"data": [_node(post_id, names, now) for post_id in ids]}
    if ids:
        cursors = {"before": page_token(offset), "after": page_token(offset + len(ids))}
        body["paging"] = {"cursors": cursors}
        if offset + size < len(history):
            next_query = urlencode({**query, "after": cursors["after"]})
            body["paging"]["next"] = f"{url.split('?')[0]}?{next_query}"
    return 200, body


def _insight_value(metric: str, c: Counts) -> Any:
    if metric == "post_reactions_by_type_total":
        return {"like": c.likes * 8 // 10, "love": c.likes // 10, "wow": c.likes // 20,
                "haha": c.likes // 20}  # fmt: skip
    by_name = {
        "views": c.views, "total_views": c.views, "post_media_view": c.views,
        "post_video_views": c.views, "reach": c.reach, "post_total_media_view_unique": c.reach,
        "likes": c.likes, "total_likes": c.likes, "comments": c.comments, "shares": c.shares,
        "saved": c.saves, "post_clicks": c.clicks, "follows": c.clicks // 10,
        "total_interactions": c.likes + c.comments + c.shares + c.saves,
        "ig_reels_video_view_total_time": c.watch_ms,
        "ig_reels_avg_watch_time": c.watch_ms // max(1, c.views),
    }  # fmt: skip
    return by_name.get(metric, c.clicks // 2)


def _refused_metrics(node: str, metrics: list[str]) -> list[str]:
    if "_" in node:  # Page posts are "<page-id>_<post-id>"; IG media ids are plain digits
        return [m for m in metrics if m in RETIRED_POST_METRICS]
    refused = [m for m in metrics if m in RETIRED_MEDIA_METRICS]
    if product_type(node) != "REELS":
        refused += [m for m in metrics if m.startswith("ig_reels_")]
    return refused


def _insights(node: str, query: dict[str, str], now: float) -> Answer:
    if gone(node):
        return _gone(node)
    metrics = csv_list(query.get("metric"))
    if not metrics:
        return error(400, 100, "(#100) The parameter metric is required")
    if refused := _refused_metrics(node, metrics):
        return error(
            400,
            100,
            f"(#100) The Media Insights API does not support the {', '.join(refused)} metric "
            "for this media product type.",
        )
    counts, period = post_counts(node, now), query.get("period", "lifetime")
    data = []
    for metric in metrics:
        point: dict[str, Any] = {"value": _insight_value(metric, counts)}
        if period == "day":
            point["end_time"] = iso(now - now % DAY, TIME)
        data.append({"name": metric, "period": period, "values": [point],
                     "title": metric.replace("_", " ").title(), "description": f"Fake {metric}",
                     "id": f"{node}/insights/{metric}/{period}"})  # fmt: skip
    return 200, {"data": data}


def graph_get(path: str, query: dict[str, str], url: str, state: FakeState) -> tuple[str, Answer]:
    """Route one Graph GET, plain or inside a batch; returns its stats label and its answer."""
    parts = [part for part in path.split("/") if part]
    if parts and parts[0].startswith("v") and parts[0][1:].replace(".", "").isdigit():
        parts = parts[1:]  # batch relative_urls may carry the version
    now = state.clock()
    if len(parts) == 1:
        token = query.get("access_token", "anonymous")
        node = str(10**16 + seed(token) % 10**16) if parts[0] == "me" else parts[0]
        return "GET /{node}", _object(node, query, now)
    if len(parts) == 2 and parts[1] in ("media", "posts"):
        return f"GET /{{node}}/{parts[1]}", _edge(parts[0], parts[1], query, url, now)
    if len(parts) == 2 and parts[1] == "insights":
        return "GET /{node}/insights", _insights(parts[0], query, now)
    return "GET (unsupported)", error(400, 100, f"(#100) Unknown path components: /{path}")


async def get(request: Request, state: FakeState) -> Response:
    query = {"access_token": bearer_token(request), **request.query_params}
    path = request.url.path.split("/", 3)[-1]  # drop "/meta/v25.0/"
    return _respond(graph_get(path, query, str(request.url), state)[1])


async def batch(request: Request, state: FakeState) -> Response:
    form = dict(parse_qsl((await request.body()).decode()))
    try:
        requests = json.loads(form.get("batch", ""))
    except ValueError:
        return _respond(error(400, 100, "(#100) batch must be a JSON array"))
    if not isinstance(requests, list) or len(requests) > MAX_BATCH:
        message = f"Too many requests in batch message. Maximum batch size is {MAX_BATCH}"
        return _respond(error(400, 100, message, type="GraphBatchException"))
    state.items["meta"] += len(requests)
    with_headers = form.get("include_headers", "true") != "false"
    url = str(request.url)
    return json_response([_part(item, form, url, state, with_headers) for item in requests])


def _part(
    item: Any, form: dict[str, str], url: str, state: FakeState, with_headers: bool
) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("method", "GET").upper() != "GET":
        status, body = error(400, 100, "(#100) The fake answers only GET inside a batch")
    else:
        split = urlsplit(str(item.get("relative_url", "")))
        query = dict(parse_qsl(split.query))
        query.setdefault("access_token", form.get("access_token", "anonymous"))
        label, (status, body) = graph_get(split.path, query, url, state)
        state.requests[("meta", "batch " + label)] += 1
    answer: dict[str, Any] = {"code": status}
    if with_headers:
        answer["headers"] = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
    answer["body"] = json.dumps(body, separators=(",", ":"))
    return answer


ROUTES = [
    ("POST", "/", batch),
    ("POST", "", batch),
    ("GET", "/{node}/insights", get),
    ("GET", "/{node}/media", get),
    ("GET", "/{node}/posts", get),
    ("GET", "/{node}", get),
]
