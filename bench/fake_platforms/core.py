"""What every fake platform shares: the numbers (pure functions of an id and the clock), request
helpers, and the server's state (faults switched on by /_control, counts reported by /_stats).

Accounts publish one post a day since ANCHOR. Post ids encode their publish time, so a listing and
a later lookup of the same id agree; any other id gets a stable publish day in ANCHOR's year.
"""

import base64
import binascii
import hashlib
import json
import math
import random
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

PREFIXES = {
    "youtube": "/youtube/v3",
    "x": "/x/2",
    "tiktok": "/tiktok/v2",
    "meta": "/meta/v25.0",
    "linkedin": "/linkedin/rest",
    "pinterest": "/pinterest/v5",
}
SETTINGS = {
    "SWAY_YOUTUBE_BASE_URL": "youtube",
    "SWAY_X_BASE_URL": "x",
    "SWAY_TIKTOK_BASE_URL": "tiktok",
    "SWAY_INSTAGRAM_BASE_URL": "meta",
    "SWAY_FACEBOOK_BASE_URL": "meta",
    "SWAY_LINKEDIN_BASE_URL": "linkedin",
    "SWAY_PINTEREST_BASE_URL": "pinterest",
}
ANCHOR = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
YEAR = 365 * DAY
MAX_HISTORY = 1_000  # posts an account lists at most
ID_SPREAD = 10**7  # numeric ids are publish_time * ID_SPREAD + a per-account suffix

Clock = Callable[[], float]


def base_urls(root: str) -> dict[str, str]:
    """The SWAY_*_BASE_URL values that point every adapter at a fake running at `root`."""
    root = root.rstrip("/")
    return {name: root + PREFIXES[prefix] for name, prefix in SETTINGS.items()}


# Numbers --------------------------------------------------------------------------------------


def seed(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True, slots=True)
class Counts:
    views: int
    impressions: int
    reach: int
    likes: int
    comments: int
    shares: int
    saves: int
    clicks: int
    watch_ms: int


def numeric_id(account: str, published: int) -> str:
    return str(published * ID_SPREAD + seed(account) % ID_SPREAD)


def youtube_id(account: str, published: int) -> str:
    """11 URL-safe characters, like a real video id, that carry the publish time."""
    raw = struct.pack(">II", published, seed(account) & 0xFFFFFFFF)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def published_at(post_id: str, now: float) -> int:
    stamp = _stamp_in(post_id)
    if stamp is not None and ANCHOR <= stamp <= now:
        return stamp
    return ANCHOR + seed(post_id) % YEAR


def _stamp_in(post_id: str) -> int | None:
    tail = post_id.rpartition(":")[2].rpartition("_")[2]  # LinkedIn URNs, Facebook page_post
    if tail.isdigit():
        return int(tail) // ID_SPREAD
    if len(post_id) == 11:
        try:
            return struct.unpack(">I", base64.urlsafe_b64decode(post_id + "=")[:4])[0]
        except (binascii.Error, ValueError, struct.error):
            return None
    return None


def post_counts(post_id: str, now: float) -> Counts:
    """A post's counts approach a peak over its first days, then gain a few a day: the same id
    never goes backwards."""
    s = seed(post_id)
    age_h = max(0.0, (now - published_at(post_id, now)) / 3600)
    peak = 1_000 + s % 100_000
    views = int(peak * (1 - math.exp(-age_h / 48)) + age_h * (1 + (s >> 40) % 4) / 24)
    likes = views * (2 + (s >> 8) % 7) // 100
    return Counts(
        views=views,
        impressions=views * 13 // 10,
        reach=views * 8 // 10,
        likes=likes,
        comments=likes * (2 + (s >> 12) % 5) // 100,
        shares=likes * (1 + (s >> 16) % 4) // 100,
        saves=likes * (3 + (s >> 24) % 6) // 100,
        clicks=views * (1 + (s >> 28) % 3) // 100,
        watch_ms=views * (4_000 + (s >> 32) % 20_000),
    )


def followers(account: str, now: float) -> int:
    s = seed(account)
    days = max(0.0, (now - ANCHOR) / DAY)
    return int(1_000 + s % 1_000_000 + days * (1 + (s >> 20) % 50))


def timeline(account: str, now: float) -> list[int]:
    """Publish times of an account's posts, newest first."""
    first = ANCHOR + seed(account) % DAY
    if now < first:
        return []
    latest = int((now - first) // DAY)
    return [first + n * DAY for n in range(latest, max(-1, latest - MAX_HISTORY), -1)]


def posts_count(account: str, now: float) -> int:
    first = ANCHOR + seed(account) % DAY
    return 0 if now < first else int((now - first) // DAY) + 1


# Requests and responses -----------------------------------------------------------------------


def gone(object_id: str) -> bool:
    return "gone" in object_id


def csv_list(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]


def iso(stamp: float, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime(fmt)


def bearer_token(request: Request) -> str:
    """Who is calling: only used to pick which account "me" is, never checked."""
    auth = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    query = request.query_params
    return auth or query.get("access_token") or query.get("key") or "anonymous"


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def offset_of(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return max(0, int(text.removeprefix("offset:")))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return 0


def int_param(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value))) if value is not None else default
    except ValueError:
        return default


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, separators=(",", ":"))
    return Response(payload, status, headers=headers, media_type="application/json")


# State ----------------------------------------------------------------------------------------


@dataclass
class Faults:
    throttle: frozenset[str] = frozenset()
    latency_ms: int = 0
    error_rate: float = 0.0
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "throttle": sorted(self.throttle),
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "seed": self.seed,
        }


@dataclass
class FakeState:
    clock: Clock
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    items: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    usernames: dict[str, str] = field(default_factory=dict)  # X user id -> looked-up username

    def stats(self) -> dict[str, Any]:
        platforms: dict[str, dict[str, Any]] = {}
        for (platform, path), count in sorted(self.requests.items()):
            entry = platforms.setdefault(platform, {"requests": 0, "paths": {}})
            entry["paths"][path] = count
            if not path.startswith("batch "):  # Graph batch parts ride on one HTTP request
                entry["requests"] += count
        for platform, entry in platforms.items():
            entry["items"] = self.items[platform]
            entry["throttled"] = self.throttled[platform]
            entry["errors"] = self.errors[platform]
        total = sum(entry["requests"] for entry in platforms.values())
        return {"total_requests": total, "platforms": platforms}

    def reset(self) -> None:
        for counter in (self.requests, self.items, self.throttled, self.errors):
            counter.clear()

    def log_id(self) -> str:
        return iso(self.clock(), "%Y%m%d%H%M%S") + f"{self.rng.getrandbits(48):012X}"
