"""Graph API plumbing shared by the Instagram and Facebook Pages adapters (reference §1, §2, §9):
the error envelope, the batch endpoint, insights items and cursor paging.

Meta's HTTP statuses do not follow the meaning of its errors (a throttle has been seen as 400 and as
403), so everything here classifies by `error.code` from the envelope
{"error": {"message", "type", "code", "error_subcode"?, "is_transient"?, "fbtrace_id"}}.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from shared.platforms import http
from shared.platforms.base import (
    AdapterError,
    AuthExpired,
    Credentials,
    MalformedResponse,
    NotFound,
    PlatformUnavailable,
    PostInfo,
    PostRefused,
    RateLimited,
)

BATCH_LIMIT = 50
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, 80001, 80002})
TOKEN_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({1, 2})
# Meta documents no Retry-After. When X-Business-Use-Case-Usage carries no estimate (app-level codes
# 4/17/32 report only percentages in X-App-Usage) we have to guess. The windows are rolling (an hour
# for app and Pages limits, 24 h for Instagram), so capacity returns gradually: five minutes frees
# some without parking the credential for a whole window, and a repeat throttle pauses it again.
DEFAULT_RETRY_AFTER_S = 300.0
DEFAULT_LOOKBACK = timedelta(days=30)
# A guard, not a documented limit: a feed that kept handing out `next` links must not page forever.
MAX_PAGES = 20
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # "2026-06-20T08:25:28+0000"


@dataclass(frozen=True, slots=True)
class GraphError:
    """One error envelope, from a whole response or from one batch sub-response."""

    status: int
    code: int | None
    subcode: int | None
    message: str
    transient: bool = False

    @property
    def permission_denied(self) -> bool:
        return self.code == 10 or (self.code is not None and 200 <= self.code <= 299)

    @property
    def gone(self) -> bool:
        # (#100) subcode 33 reads "Object with ID ... does not exist, cannot be loaded due to
        # missing permissions, or does not support this operation". For an object we used to read,
        # each of those means we no longer can, which is what "gone" means to the caller.
        if self.status == 404 or self.code == 803:
            return True
        return self.code == 100 and (self.subcode == 33 or "does not exist" in self.message.lower())

    def describe(self, platform: str) -> str:
        return f"{platform}: Graph error {self.code}/{self.subcode}: {self.message}"


def parse_error(body: Any, status: int) -> GraphError | None:
    if not isinstance(body, dict) or "error" not in body:
        return None
    error = body["error"]
    if not isinstance(error, dict):
        return GraphError(status=status, code=None, subcode=None, message=str(error))
    return GraphError(
        status=status,
        code=_int_or_none(error.get("code")),
        subcode=_int_or_none(error.get("error_subcode")),
        message=str(error.get("message", "")),
        transient=error.get("is_transient") is True,
    )


def exception_for(error: GraphError, headers: Mapping[str, str], *, platform: str) -> AdapterError:
    what = error.describe(platform)
    if error.code in THROTTLE_CODES:
        return RateLimited(what, retry_after_s=retry_after_s(headers), platform=platform)
    # Codes 10 and 200-299 say the token lacks a permission (pages_read_engagement, read_insights,
    # instagram_manage_insights...). Retrying cannot fix that; only a person re-granting the token
    # can, which is exactly what AuthExpired asks for. Per-item code 10 is handled in batch_get.
    if error.code in TOKEN_CODES or error.permission_denied:
        return AuthExpired(what, platform=platform)
    if error.code in TRANSIENT_CODES or error.transient or error.status >= 500:
        return PlatformUnavailable(what, platform=platform)
    if error.gone:
        return NotFound(what, platform=platform)
    return AdapterError(what, platform=platform)


def retry_after_s(headers: Mapping[str, str]) -> float:
    longest = max(_regain_minutes(headers.get("x-business-use-case-usage")), default=0.0)
    return longest * 60 if longest > 0 else DEFAULT_RETRY_AFTER_S


def _regain_minutes(raw: str | None) -> list[float]:
    """Every `estimated_time_to_regain_access` (minutes) in the header. A garbled header yields
    nothing rather than an error: the throttle itself is certain and must still be reported."""
    try:
        usage = json.loads(raw) if raw else {}
    except ValueError:
        return []
    if not isinstance(usage, dict):
        return []
    entries = [e for v in usage.values() if isinstance(v, list) for e in v if isinstance(e, dict)]
    minutes = [e.get("estimated_time_to_regain_access") for e in entries]
    return [float(m) for m in minutes if isinstance(m, int | float) and not isinstance(m, bool)]


def node(object_id: str) -> str:
    """A stored id as one Graph path segment: an id holding "/" or "?" must not reach another."""
    return quote(object_id, safe="")


def access_token(creds: Credentials | None, *, platform: str) -> str:
    if creds is None or not creds.access_token:
        raise AuthExpired(f"{platform}: the Graph API needs an access token", platform=platform)
    return creds.access_token


async def get_json(
    client: httpx.AsyncClient, url: str, params: Mapping[str, Any], *, platform: str
) -> dict[str, Any]:
    response = await http.send(client, "GET", url, platform=platform, params=params)
    body = _read(response, platform=platform)
    http.expect(isinstance(body, dict), "expected a JSON object", platform=platform)
    return body


def _read(response: httpx.Response, *, platform: str) -> Any:
    http.raise_for_server_error(response, platform=platform)
    body = http.parse_json(response, platform=platform)
    error = parse_error(body, response.status_code)
    if error is not None:
        raise exception_for(error, response.headers, platform=platform)
    http.expect(
        response.status_code < 400,
        f"HTTP {response.status_code} without an error envelope",
        platform=platform,
    )
    return body


async def batch_get(
    client: httpx.AsyncClient,
    base_url: str,
    relative_urls: Sequence[str],
    token: str,
    *,
    platform: str,
) -> list[Any]:
    """GET many Graph paths in one POST. Each answer is its decoded body or a GraphError the
    caller judges; a throttle, a dead token or a transient failure in any sub-response raises for
    the whole call, because the same token and budget stand behind every item."""
    if len(relative_urls) > BATCH_LIMIT:
        raise ValueError(
            f"a Graph batch holds at most {BATCH_LIMIT} requests, not {len(relative_urls)}"
        )
    if not relative_urls:
        return []
    requests = [{"method": "GET", "relative_url": url} for url in relative_urls]
    form = {"access_token": token, "batch": json.dumps(requests), "include_headers": "false"}
    response = await http.send(client, "POST", f"{base_url}/", platform=platform, data=form)
    answers = _read(response, platform=platform)
    http.expect(
        isinstance(answers, list) and len(answers) == len(relative_urls),
        f"batch answer is not a list of {len(relative_urls)}",
        platform=platform,
    )
    return [_sub_response(answer, response.headers, platform=platform) for answer in answers]


def _sub_response(answer: Any, headers: Mapping[str, str], *, platform: str) -> Any:
    if answer is None:
        # Meta answers null for sub-requests it could not finish before the batch timed out: retry
        # later rather than read them as gone.
        raise PlatformUnavailable(
            f"{platform}: a batch sub-request did not finish", platform=platform
        )
    http.expect(
        isinstance(answer, dict) and isinstance(answer.get("code"), int),
        "batch answer without a status code",
        platform=platform,
    )
    status = answer["code"]
    try:
        body = json.loads(answer.get("body") or "null")
    except (TypeError, ValueError) as exc:
        raise MalformedResponse(
            f"{platform}: batch sub-response body is not JSON: {str(answer.get('body'))[:120]!r}",
            platform=platform,
        ) from exc
    error = parse_error(body, status)
    if error is None and status >= 400:
        error = GraphError(status=status, code=None, subcode=None, message=f"HTTP {status}")
    if error is None:
        return body
    # Code 10 on one item is about that item (Instagram: "Not enough viewers" on a small story), not
    # the token, so it goes back to the adapter with the other per-item errors.
    if error.code == 10:
        return error
    raised = exception_for(error, headers, platform=platform)
    if isinstance(raised, RateLimited | AuthExpired | PlatformUnavailable):
        raise raised
    return error


async def batch_objects(
    client: httpx.AsyncClient,
    base_url: str,
    ids: Sequence[str],
    fields: str,
    token: str,
    *,
    platform: str,
) -> tuple[dict[str, dict[str, Any]], dict[str, PostRefused]]:
    """Read `fields` of each id in one batch: the objects read, and the ids refused for a reason
    of their own. Ids that are gone are in neither."""
    urls = [f"{node(object_id)}?fields={fields}" for object_id in ids]
    answers = await batch_get(client, base_url, urls, token, platform=platform)
    found, refusals = {}, {}
    for object_id, answer in zip(ids, answers, strict=True):
        if isinstance(answer, GraphError):
            if not answer.gone:
                refusals[object_id] = refused(answer, platform=platform)
            continue
        http.expect(isinstance(answer, dict), f"{object_id} is not an object", platform=platform)
        found[object_id] = answer
    return found, refusals


def refused(error: GraphError, *, platform: str) -> PostRefused:
    """An item error we cannot interpret is that post's problem: it is neither reported as gone nor
    allowed to fail the rest of the batch (throttles and dead tokens have already raised)."""
    return PostRefused(error.describe(platform))


def insight_values(body: Any, *, platform: str) -> dict[str, Any]:
    """Metric name → its latest value. Meta answers an empty `data` list when it has nothing (yet),
    not zeros, so a metric absent here must stay None downstream."""
    data = body.get("data") if isinstance(body, dict) else None
    http.expect(isinstance(data, list), "insights without a data list", platform=platform)
    values = {}
    for item in data:
        http.expect(
            isinstance(item, dict) and isinstance(item.get("name"), str),
            "insights item without a name",
            platform=platform,
        )
        value = _latest(item)
        if value is not None:
            values[item["name"]] = value
    return values


def _latest(item: dict[str, Any]) -> Any:
    points = item.get("values")
    if isinstance(points, list) and points and isinstance(points[-1], dict):
        return points[-1].get("value")
    total = item.get("total_value")  # newer metrics answer {"total_value": {"value": N}}
    return total.get("value") if isinstance(total, dict) else None


def parse_time(value: Any) -> datetime | None:
    return None if value is None else datetime.strptime(value, TIME_FORMAT)


async def list_since(
    client: httpx.AsyncClient,
    url: str,
    params: Mapping[str, Any],
    *,
    platform: str,
    parse: Callable[[Any], PostInfo],
    since: datetime | None,
) -> list[PostInfo]:
    """Read a newest-first edge page by page until it passes `since` (default: 30 days back)."""
    since = since or datetime.now(UTC) - DEFAULT_LOOKBACK
    posts: list[PostInfo] = []
    page_params: Mapping[str, Any] | None = params
    for _ in range(MAX_PAGES):
        if page_params is None:
            break
        body = await get_json(client, url, page_params, platform=platform)
        with http.reading("a post list", platform=platform):
            page = [parse(item) for item in body["data"]]
        posts += [p for p in page if p.published_at is None or p.published_at >= since]
        # Judge by the page's last post, not its first old one: a pinned post can sit on top of a
        # feed out of date order.
        if page and page[-1].published_at is not None and page[-1].published_at < since:
            break
        page_params = _next_page(body, params)
    return posts


Item = TypeVar("Item")


def object_id(value: Any) -> str | None:
    """The id of a nested object ({"id": ...}: a comment's author or parent), if it has one."""
    return str(value["id"]) if isinstance(value, dict) and value.get("id") else None


async def read_edge(
    client: httpx.AsyncClient,
    url: str,
    params: Mapping[str, Any],
    *,
    platform: str,
    parse: Callable[[Any], Iterable[Item]],
    limit: int,
    pages: int,
) -> tuple[list[Item], bool]:
    """Read an edge (a post's comments) page by page until `limit` items, `pages` pages or its
    end; `parse` turns one `data` entry into its items (a comment and its replies). Returns the
    items and whether the first page was empty."""
    found: list[Item] = []
    page_params: Mapping[str, Any] | None = params
    first_empty = False
    for number in range(pages):
        if page_params is None:
            break
        body = await get_json(client, url, page_params, platform=platform)
        with http.reading("an edge page", platform=platform):
            data = body["data"]
            http.expect(isinstance(data, list), "data is not a list", platform=platform)
            found += [item for entry in data for item in parse(entry)]
        first_empty = first_empty or (number == 0 and not data)
        if len(found) >= limit:
            break
        page_params = _next_page(body, params)
    return found[:limit], first_empty


def _next_page(body: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any] | None:
    paging = body.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(link, str):
        return None
    # Take only the link's query (cursor `after`, or the feed's until/__paging_token) and send it
    # to our own URL: settings may point at a fake server, and the link embeds the token, which
    # must not leak into an error message.
    query = {k: v for k, v in httpx.URL(link).params.items() if k != "access_token"}
    return {**params, **query}


def _int_or_none(value: Any) -> int | None:
    try:
        return http.optional_int(value)
    except ValueError:
        return None
