"""Pinterest through API v5, for the account the token belongs to.

Every call acts as the token's user or, with Business Access, as the owner of the ad account in
`Credentials.extra["ad_account_id"]`. Analytics reach back 90 days only, so counts Pinterest does
not also report as lifetime figures (impressions, saves, clicks, views) cover that window.
Analytics carry no dates or captions: a pin whose details the caller lacks costs one Pin lookup.
"""

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    NotFound,
    Platform,
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
from shared.platforms.owners import PostOwner

PLATFORM = Platform.pinterest
PIN_URL = "https://www.pinterest.com/pin/{pin_id}/"
PAGE_SIZE = 100
# A guard against a bookmark that never ends; 5,000 pins is far beyond any sync window.
MAX_PAGES = 50
WINDOW_DAYS = 90  # the furthest back analytics go, today included
# VIDEO_V50_WATCH_TIME is requested but not mapped yet: its unit (likely ms) is unconfirmed.
METRIC_TYPES = (
    "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,VIDEO_MRC_VIEW,"
    "VIDEO_V50_WATCH_TIME,TOTAL_COMMENTS,TOTAL_REACTIONS"
)
# A 429 carries no documented rate-limit headers; limits are counted per minute.
THROTTLE_RETRY_S = 60.0
INVALID_PARAMETERS = 1
PIN_NOT_AUTHORIZED = 7  # "Not authorized to access board or Pin."
PIN_NOT_FOUND = 50
# GET /pins lists every Pin the account saved, other people's included; only its own are its posts.
OWN_PINS = "exclude_repins"


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response: httpx.Response) -> Any:
    return _error_body(response).get("code")


def _error_message(response: httpx.Response) -> str:
    body = _error_body(response)
    message = body.get("message", "") if body else response.text[:120]
    return f"pinterest: HTTP {response.status_code} code {body.get('code')}: {message}"


def _says(response: httpx.Response, message: str) -> bool:
    return str(_error_body(response).get("message", "")).startswith(message)


def _bulk_refused(response: httpx.Response) -> bool:
    """Whether the Beta multi-pin endpoint declined the call, so pins must be asked one by one:
    403 when the app has no Beta access, 400 code 1 when it rejects the parameters, and the
    errors about one pin that a bulk answer cannot attribute: 401 code 7 (a pin on a board the
    token may not read) and 404 code 50 (in case one deleted pin sinks the whole call)."""
    code = _error_code(response)
    return response.status_code == 403 or (response.status_code, code) in {
        (400, INVALID_PARAMETERS),
        (401, PIN_NOT_AUTHORIZED),
        (404, PIN_NOT_FOUND),
    }


def _pin_gone(response: httpx.Response) -> bool:
    """Only "Pin not found" means gone, as a bare 404 may be a misrouted base URL. The spec shows it
    with code 50, and with code 404 on the one-pin endpoints."""
    return response.status_code == 404 and (
        _error_code(response) == PIN_NOT_FOUND or _says(response, "Pin not found")
    )


def _pin_refused(response: httpx.Response) -> bool:
    """Whether Pinterest refused this one pin, not the token: the pin sits on a board the token may
    not read (401 code 7; the one-pin analytics spec shows it as a 403)."""
    status = response.status_code
    return (status, _error_code(response)) == (401, PIN_NOT_AUTHORIZED) or (
        status in (401, 403) and _says(response, "Not authorized to access board or Pin")
    )


def _created_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    # Pinterest sends `created_at` without a zone; it is UTC.
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _total(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _pin_metrics_stats(pin_metrics: dict[str, Any] | None) -> PostStats | None:
    lifetime = (pin_metrics or {}).get("lifetime_metrics")
    if not lifetime:
        return None
    # The list endpoint spells metrics in lower case; `clickthrough` is the old name of
    # outbound clicks, so clicks add up the same way as in the analytics mapping.
    return PostStats(
        impressions=optional_int(lifetime.get("impression")),
        likes=optional_int(lifetime.get("reaction")),
        comments=optional_int(lifetime.get("comment")),
        saves=optional_int(lifetime.get("save")),
        clicks=_total(
            optional_int(lifetime.get("pin_click")), optional_int(lifetime.get("clickthrough"))
        ),
    )


def _pin_info(item: dict[str, Any]) -> PostInfo:
    pin_id = str(item["id"])
    expect(pin_id.isdigit(), f"pin id {pin_id!r} is not numeric", platform=PLATFORM)
    caption = "\n".join(text for text in (item.get("title"), item.get("description")) if text)
    return PostInfo(
        external_id=pin_id,
        url=PIN_URL.format(pin_id=pin_id),
        kind="pin",
        caption=caption or None,
        published_at=_created_at(item.get("created_at")),
        stats=_pin_metrics_stats(item.get("pin_metrics")),
    )


def _analytics_stats(split: dict[str, Any]) -> PostStats:
    metrics = split["all"]
    lifetime = metrics.get("lifetime_metrics") or {}
    summary = metrics.get("summary_metrics") or {}

    def metric(name: str) -> int | None:
        # Lifetime figures beat the 90-day summary when Pinterest reports both.
        return optional_int(lifetime[name] if name in lifetime else summary.get(name))

    return PostStats(
        views=metric("VIDEO_MRC_VIEW"),  # only video pins report it
        impressions=metric("IMPRESSION"),
        likes=metric("TOTAL_REACTIONS"),
        comments=metric("TOTAL_COMMENTS"),
        saves=metric("SAVE"),
        clicks=_total(metric("PIN_CLICK"), metric("OUTBOUND_CLICK")),
    )


def _is_recent(published_at: datetime | None, since: datetime | None) -> bool:
    return since is None or (published_at is not None and published_at >= since)


class PinterestAdapter:
    platform = PLATFORM
    max_batch = 100  # the documented cap of GET /pins/analytics

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # One analytics call per 100 pins, and one Pin lookup per pin whose details are wanted. The
        # one-by-one fallback, when the Beta bulk endpoint declines, cannot be known up front.
        return math.ceil(posts / self.max_batch) + details

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._base = settings.base_url("pinterest")
        self._now = clock or (lambda: datetime.now(UTC))

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        body = await self._get("/user_account", creds)
        with reading("user_account", platform=PLATFORM):
            stats = AccountStats(
                external_id=str(body["id"]),
                handle=body.get("username"),
                display_name=body.get("business_name") or None,
                followers=optional_int(body.get("follower_count")),
                following=optional_int(body.get("following_count")),
                posts_count=optional_int(body.get("pin_count")),
            )
        # The endpoint answers for whoever the token belongs to: a token for another account
        # would silently record someone else's numbers.
        if account.external_id and account.external_id != stats.external_id:
            raise AuthExpired(
                f"pinterest: the credential belongs to account {stats.external_id}, "
                f"not {account.external_id}",
                platform=PLATFORM,
            )
        return stats

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        posts: list[PostInfo] = []
        bookmark = None
        for _ in range(MAX_PAGES):
            params = {"page_size": str(PAGE_SIZE), "pin_metrics": "true", "pin_filter": OWN_PINS}
            if bookmark:
                params["bookmark"] = bookmark
            page = await self._get("/pins", creds, params)
            with reading("pins page", platform=PLATFORM):
                pins = [_pin_info(item) for item in page["items"]]
                bookmark = page.get("bookmark")
            posts.extend(pin for pin in pins if _is_recent(pin.published_at, since))
            reached_since = since and any(not _is_recent(pin.published_at, since) for pin in pins)
            if not bookmark or reached_since:
                break
        return posts

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        # A pin id is all digits; anything else cannot exist on Pinterest, so it is gone.
        pin_ids = [pin_id for pin_id in dict.fromkeys(post_ids) if pin_id.isdigit()]
        result: dict[str, PostStats | PostRefused] = {}
        for chunk in _chunks(pin_ids, self.max_batch):
            result.update(await self._bulk_stats(chunk, creds))
        for pin_id in pin_ids:
            stats = result.get(pin_id)
            if pin_id in details_for and isinstance(stats, PostStats):
                info = await self._pin(pin_id, creds)
                result[pin_id] = stats_with_details(info, stats) if info else stats
        return result

    async def post_owner(self, external_id: str, creds: Credentials | None) -> PostOwner | None:
        """Whether the token's own account owns this Pin (PostOwnerLookup). GET /pins/{id}
        answers only for the token's own Pins and those on group boards shared with it, so no
        token can name another account's Pin: None unless `is_owner`."""
        if not external_id.isdigit():
            return None
        response = await self._send(f"/pins/{external_id}", creds)
        if _pin_gone(response) or _pin_refused(response):
            return None
        body = self._body(response)
        with reading(f"pins/{external_id}", platform=PLATFORM):
            if body.get("is_owner") is not True:
                return None
            board_owner = body.get("board_owner") or {}
            return PostOwner(handle=board_owner.get("username"), credential_owner=True)

    async def _pin(self, pin_id: str, creds: Credentials | None) -> PostInfo | None:
        """The pin as GET /pins/{id} describes it; None when it is refused or gone in between, as
        its stats stand and its details can wait for another refresh."""
        response = await self._send(f"/pins/{pin_id}", creds)
        if _pin_gone(response) or _pin_refused(response):
            return None
        body = self._body(response)
        with reading(f"pins/{pin_id}", platform=PLATFORM):
            return _pin_info(body)

    async def _bulk_stats(
        self, pin_ids: Sequence[str], creds: Credentials | None
    ) -> dict[str, PostStats | PostRefused]:
        params = {"pin_ids": ",".join(pin_ids), **self._window()}
        response = await self._send("/pins/analytics", creds, params)
        if _bulk_refused(response):
            return await self._stats_one_by_one(pin_ids, creds)
        body = self._body(response)
        with reading("pins/analytics", platform=PLATFORM):
            return {pin_id: _analytics_stats(body[pin_id]) for pin_id in pin_ids if pin_id in body}

    async def _stats_one_by_one(
        self, pin_ids: Sequence[str], creds: Credentials | None
    ) -> dict[str, PostStats | PostRefused]:
        result: dict[str, PostStats | PostRefused] = {}
        for pin_id in pin_ids:
            response = await self._send(f"/pins/{pin_id}/analytics", creds, self._window())
            if _pin_gone(response):
                continue
            if _pin_refused(response):
                result[pin_id] = PostRefused(_error_message(response))
                continue
            body = self._body(response)
            with reading(f"pins/{pin_id}/analytics", platform=PLATFORM):
                result[pin_id] = _analytics_stats(body)
        return result

    def _window(self) -> dict[str, str]:
        today = self._now().astimezone(UTC).date()
        return {
            "start_date": (today - timedelta(days=WINDOW_DAYS - 1)).isoformat(),
            "end_date": today.isoformat(),
            "metric_types": METRIC_TYPES,
            "app_types": "ALL",
        }

    async def _send(
        self, path: str, creds: Credentials | None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        if not creds or not creds.access_token:
            raise AuthExpired("pinterest: no access token", platform=PLATFORM)
        params = dict(params or {})
        if creds.extra.get("ad_account_id"):
            params["ad_account_id"] = creds.extra["ad_account_id"]
        headers = {"Authorization": f"Bearer {creds.access_token}"}
        url = f"{self._base}{path}"
        return await send(
            self._client, "GET", url, platform=PLATFORM, headers=headers, params=params
        )

    async def _get(
        self, path: str, creds: Credentials | None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self._body(await self._send(path, creds, params))

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        self._raise_for_error(response)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    def _raise_for_error(self, response: httpx.Response) -> None:
        raise_for_server_error(response, platform=PLATFORM)
        status = response.status_code
        if status < 400:
            return
        message = _error_message(response)
        if status == 429:
            raise RateLimited(message, retry_after_s=THROTTLE_RETRY_S, platform=PLATFORM)
        # 401 is an expired or revoked token; 403 a missing scope or a lost Business Access
        # role. Either way a person has to reconnect, retrying won't help. (A refusal of one pin
        # is told apart before a body is read, where the pin is known.)
        if status in (401, 403):
            raise AuthExpired(message, platform=PLATFORM)
        if status == 404:
            raise NotFound(message, platform=PLATFORM)
        raise AdapterError(message, platform=PLATFORM)
