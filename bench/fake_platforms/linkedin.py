"""LinkedIn Community Management API (/rest): organization follower counts, an organization's
posts (the author finder, BATCH_GET by `ids=List(...)` and GET by URN), and lifetime share
statistics for shares and ugcPosts named in Rest.li List(...)."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bench.fake_platforms.core import (
    DAY,
    FakeState,
    csv_list,
    followers,
    gone,
    int_param,
    json_response,
    numeric_id,
    post_counts,
    published_at,
    seed,
    timeline,
)


def error(status: int, code: str, message: str) -> Response:
    body = {"status": status, "serviceErrorCode": 0, "code": code, "message": message}
    return json_response(body, status)


def throttle(request: Request, state: FakeState) -> Response:
    body = {
        "status": 429,
        "serviceErrorCode": 101,
        "code": "TOO_MANY_REQUESTS",
        "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is "
        "reached.",
    }
    return json_response(body, 429)


def server_error(state: FakeState) -> Response:
    return error(500, "INTERNAL_SERVER_ERROR", "Internal Server Error")


async def network_size(request: Request, state: FakeState) -> Response:
    urn = request.path_params["urn"]
    if not request.query_params.get("edgeType"):
        return error(400, "PARAM_INVALID", "edgeType is required")
    if gone(urn):
        return error(404, "NOT_FOUND", f"Not found: {urn}")
    return json_response({"firstDegreeSize": followers(urn, state.clock())})


async def posts(request: Request, state: FakeState) -> Response:
    query = request.query_params
    if "ids" in query:
        return _batch_get(_restli_list(query["ids"]), state.clock())
    author = query.get("author", "")
    if query.get("q") != "author" or not author:
        return error(400, "PARAM_INVALID", "q=author and author are required")
    start = int_param(query.get("start"), 0, 0, 10**6)
    count = int_param(query.get("count"), 10, 1, 100)
    stamps = [] if gone(author) else timeline(author, state.clock())
    elements = [_post(author, stamp) for stamp in stamps[start : start + count]]
    paging: dict[str, Any] = {"start": start, "count": count, "links": [], "total": len(stamps)}
    if start + count < len(stamps):
        href = f"/rest/posts?author={author}&count={count}&q=author&start={start + count}"
        paging["links"].append({"type": "application/json", "rel": "next", "href": href})
    return json_response({"paging": paging, "elements": elements})


def _post(author: str, stamp: int) -> dict[str, Any]:
    kind = "ugcPost" if stamp // DAY % 4 == 0 else "share"  # a mix, as real feeds have
    return _element(f"urn:li:{kind}:{numeric_id(author, stamp)}", author, stamp)


def _looked_up(urn: str, now: float) -> dict[str, Any]:
    """A post asked for by URN alone: its URN tells its publish time, not its author."""
    author = f"urn:li:organization:{seed('author:' + urn) % 10**8}"
    return _element(urn, author, published_at(urn, now))


def _batch_get(urns: list[str], now: float) -> Response:
    """Rest.li BATCH_GET: found posts under `results`, every URN's status, errors for the rest."""
    results = {urn: _looked_up(urn, now) for urn in urns if not gone(urn)}
    statuses = {urn: 200 if urn in results else 404 for urn in urns}
    errors = {
        urn: {"status": 404, "code": "NOT_FOUND", "message": f"Cannot find entity {urn}"}
        for urn in urns
        if urn not in results
    }
    return json_response({"results": results, "statuses": statuses, "errors": errors})


async def post(request: Request, state: FakeState) -> Response:
    urn = request.path_params["urn"]
    if gone(urn):
        return error(404, "NOT_FOUND", f"Cannot find entity {urn}")
    return json_response(_looked_up(urn, state.clock()))


def _element(urn: str, author: str, stamp: int) -> dict[str, Any]:
    number = urn.rpartition(":")[2]
    ms = stamp * 1000
    return {
        "id": urn,
        "author": author,
        "commentary": f"Fake post {number} #sway",
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "createdAt": ms,
        "publishedAt": ms,
        "lastModifiedAt": ms + 60_000,
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "isReshareDisabledByAuthor": False,
    }


def _restli_list(value: str | None) -> list[str]:
    return csv_list((value or "").removeprefix("List(").removesuffix(")"))


async def share_statistics(request: Request, state: FakeState) -> Response:
    query = request.query_params
    organization = query.get("organizationalEntity", "")
    if query.get("q") != "organizationalEntity" or not organization:
        return error(400, "PARAM_INVALID", "q=organizationalEntity is required")
    wanted = [("share", urn) for urn in _restli_list(query.get("shares"))]
    wanted += [("ugcPost", urn) for urn in _restli_list(query.get("ugcPosts"))]
    state.items["linkedin"] += len(wanted)
    now = state.clock()
    if wanted:
        elements = [_statistics(organization, now, key, urn) for key, urn in wanted]
        elements = [element for element in elements if element]
    else:  # no posts named: the organization's aggregate
        elements = [_statistics(organization, now)]
    paging = {"start": 0, "count": 10, "links": []}
    return json_response({"paging": paging, "elements": elements})


def _statistics(organization: str, now: float, key: str = "", urn: str = "") -> dict[str, Any]:
    if gone(urn):
        return {}
    c = post_counts(urn or organization, now)
    engagement = (c.clicks + c.likes + c.comments + c.shares) / max(1, c.impressions)
    element: dict[str, Any] = {"organizationalEntity": organization}
    if key:
        element[key] = urn
    element["totalShareStatistics"] = {
        "uniqueImpressionsCount": c.reach,
        "shareCount": c.shares,
        "engagement": round(engagement, 4),
        "clickCount": c.clicks,
        "likeCount": c.likes,
        "impressionCount": c.impressions,
        "commentCount": c.comments,
    }
    return element


ROUTES = [
    ("GET", "/networkSizes/{urn}", network_size),
    ("GET", "/posts", posts),
    ("GET", "/posts/{urn}", post),
    ("GET", "/organizationalEntityShareStatistics", share_statistics),
]
