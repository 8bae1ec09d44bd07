"""Pinterest API v5: the token's account, its pins (with pin_metrics; one in five is a repin,
saved from someone else, which `pin_filter=exclude_repins` leaves out), one Pin by id, and pin
analytics, in bulk (Beta, up to 100 ids, deleted ids left out) and one pin at a time (404 code 50
when deleted)."""

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bench.fake_platforms.core import (
    DAY,
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

MAX_IDS = 100
LOOKBACK_DAYS = 90
PIN_FILTERS = {"exclude_native", "exclude_repins", "has_been_promoted"}


def is_repin(pin_id: str) -> bool:
    return seed("repin:" + pin_id) % 5 == 0


def throttle(request: Request, state: FakeState) -> Response:
    message = (
        "This request exceeded a rate limit. This can happen if the client exceeds one of the "
        "published rate limits or if multiple write operations are applied to an object within a "
        "short time window."
    )
    return json_response({"code": 8, "message": message}, 429)


def server_error(state: FakeState) -> Response:
    return json_response({"code": 0, "message": "Internal server error."}, 500)


def _invalid(message: str) -> Response:
    return json_response({"code": 1, "message": message}, 400)


def _not_found() -> Response:
    return json_response({"code": 50, "message": "Pin not found."}, 404)


def _account(request: Request) -> str:
    """The account a call acts as: the ad account's owner with Business Access, else the token's."""
    owner = request.query_params.get("ad_account_id") or bearer_token(request)
    return str(10**18 + seed(owner) % 10**18)


async def user_account(request: Request, state: FakeState) -> Response:
    account, now = _account(request), state.clock()
    s = seed(account)
    return json_response(
        {
            "account_type": "BUSINESS",
            "id": account,
            "username": f"fake{s % 10**6:06d}",
            "profile_image": f"https://i.pinimg.test/600x600_R/{account}.jpg",
            "website_url": "https://fake.example",
            "about": "A fake pinner",
            "business_name": f"Fake {s % 10**6:06d}",
            "board_count": 3 + s % 40,
            "pin_count": posts_count(account, now),
            "follower_count": followers(account, now),
            "following_count": 10 + s % 900,
            "monthly_views": followers(account, now) * 3,
        }
    )


def _pin(pin_id: str, now: float, with_metrics: bool) -> dict[str, Any]:
    s, video = seed(pin_id), seed(pin_id) % 4 == 0
    pin: dict[str, Any] = {
        "id": pin_id,
        "created_at": iso(published_at(pin_id, now), "%Y-%m-%dT%H:%M:%S"),  # no zone, as real
        "title": f"Fake pin {pin_id}",
        "description": "Made by the fake platform server #sway",
        "link": f"https://fake.example/{pin_id}",
        "board_id": str(10**18 + s % 10**17),
        "board_owner": {"username": f"fake{s % 10**6:06d}"},
        "creative_type": "VIDEO" if video else "REGULAR",
        "is_owner": not is_repin(pin_id),
        "parent_pin_id": str(10**18 + seed("parent:" + pin_id) % 10**17)
        if is_repin(pin_id)
        else None,
        "media": {"media_type": "video" if video else "image"},
    }
    if with_metrics:
        c = post_counts(pin_id, now)
        recent = {"pin_click": c.clicks // 2, "impression": c.impressions // 3,
                  "clickthrough": c.clicks // 4}  # fmt: skip
        lifetime = {"pin_click": c.clicks, "impression": c.impressions,
                    "clickthrough": c.clicks // 2, "reaction": c.likes,
                    "comment": c.comments}  # fmt: skip
        pin["pin_metrics"] = {"90d": recent, "lifetime_metrics": lifetime}
    return pin


async def pins(request: Request, state: FakeState) -> Response:
    query, now = request.query_params, state.clock()
    account, pin_filter = _account(request), query.get("pin_filter")
    if pin_filter is not None and pin_filter not in PIN_FILTERS:
        return _invalid(f"Invalid pin_filter: {pin_filter}.")
    size, offset = int_param(query.get("page_size"), 25, 1, 250), offset_of(query.get("bookmark"))
    ids = [numeric_id(account, stamp) for stamp in timeline(account, now)]
    if pin_filter == "exclude_repins":
        ids = [pin_id for pin_id in ids if not is_repin(pin_id)]
    with_metrics = query.get("pin_metrics") == "true"
    items = [_pin(pin_id, now, with_metrics) for pin_id in ids[offset:][:size]]
    more = offset + size < len(ids)
    return json_response({"items": items, "bookmark": page_token(offset + size) if more else None})


async def pin(request: Request, state: FakeState) -> Response:
    pin_id = request.path_params["pin_id"]
    if gone(pin_id):
        return _not_found()
    with_metrics = request.query_params.get("pin_metrics") == "true"
    return json_response(_pin(pin_id, state.clock(), with_metrics))


def _window(request: Request, now: float) -> tuple[list[str], str] | Response:
    query = request.query_params
    start, end = query.get("start_date"), query.get("end_date")
    metrics = csv_list(query.get("metric_types"))
    if not (start and end and metrics):
        return _invalid("start_date, end_date and metric_types are required.")
    oldest = datetime.fromtimestamp(now - LOOKBACK_DAYS * DAY, UTC).date().isoformat()
    if start < oldest:
        return _invalid(f"start_date cannot be more than {LOOKBACK_DAYS} days ago.")
    return metrics, end


def _analytics(pin_id: str, metrics: list[str], end: str, now: float) -> dict[str, Any]:
    c = post_counts(pin_id, now)
    every: dict[str, float] = {
        "IMPRESSION": c.impressions, "SAVE": c.saves, "PIN_CLICK": c.clicks,
        "OUTBOUND_CLICK": c.clicks // 2, "SAVE_RATE": round(c.saves / max(1, c.impressions), 4),
        "TOTAL_COMMENTS": c.comments, "TOTAL_REACTIONS": c.likes, "USER_FOLLOW": c.clicks // 20,
        "PROFILE_VISIT": c.clicks // 5,
    }  # fmt: skip
    if seed(pin_id) % 4 == 0:  # only video pins report video metrics
        every.update(VIDEO_MRC_VIEW=c.views, VIDEO_START=c.views * 12 // 10,
                     VIDEO_V50_WATCH_TIME=c.watch_ms, VIDEO_10S_VIEW=c.views // 2,
                     VIDEO_AVG_WATCH_TIME=round(c.watch_ms / max(1, c.views), 2))  # fmt: skip
    summary = {name: every[name] for name in metrics if name in every}
    # One daily row (the last day) rather than one per day: the benchmark reads totals, and 90
    # rows for each of 100 pins would make the fake, not the adapter, the bottleneck.
    daily = [{"date": end, "data_status": "READY", "metrics": summary}]
    lifetime = {"TOTAL_COMMENTS": c.comments, "TOTAL_REACTIONS": c.likes}
    return {
        "all": {"lifetime_metrics": lifetime, "summary_metrics": summary, "daily_metrics": daily}
    }


async def pins_analytics(request: Request, state: FakeState) -> Response:
    ids, now = csv_list(request.query_params.get("pin_ids")), state.clock()
    if not 1 <= len(ids) <= MAX_IDS:
        return _invalid("Invalid multi_pins analytics parameters.")
    window = _window(request, now)
    if isinstance(window, Response):
        return window
    state.items["pinterest"] += len(ids)
    metrics, end = window
    found = {pin_id: _analytics(pin_id, metrics, end, now) for pin_id in ids if not gone(pin_id)}
    return json_response(found)


async def pin_analytics(request: Request, state: FakeState) -> Response:
    pin_id, now = request.path_params["pin_id"], state.clock()
    if gone(pin_id):
        return _not_found()
    window = _window(request, now)
    if isinstance(window, Response):
        return window
    state.items["pinterest"] += 1
    return json_response(_analytics(pin_id, *window, now))


ROUTES = [
    ("GET", "/user_account", user_account),
    ("GET", "/pins/analytics", pins_analytics),
    ("GET", "/pins/{pin_id}/analytics", pin_analytics),
    ("GET", "/pins/{pin_id}", pin),
    ("GET", "/pins", pins),
]
