"""HTTP plumbing every adapter shares: one call, transport failures and unreadable bodies mapped
to the adapter error hierarchy. Platform-specific error bodies are each adapter's business."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.platforms.base import MalformedResponse, PlatformUnavailable


async def send(
    client: httpx.AsyncClient, method: str, url: str, *, platform: str, **kwargs: Any
) -> httpx.Response:
    """Send one request; timeouts and connection failures become PlatformUnavailable."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise PlatformUnavailable(
            f"{platform}: timed out calling {url}", platform=platform
        ) from exc
    except httpx.TransportError as exc:
        raise PlatformUnavailable(
            f"{platform}: could not reach {url}: {exc}", platform=platform
        ) from exc


def parse_json(response: httpx.Response, *, platform: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        snippet = response.text[:120].replace("\n", " ")
        raise MalformedResponse(
            f"{platform}: HTTP {response.status_code} body is not JSON: {snippet!r}",
            platform=platform,
        ) from exc


def raise_for_server_error(response: httpx.Response, *, platform: str) -> None:
    if response.status_code >= 500:
        raise PlatformUnavailable(
            f"{platform}: HTTP {response.status_code} from {response.request.url.path}",
            platform=platform,
        )


def expect(condition: bool, what: str, *, platform: str) -> None:
    """Guard a shape assumption so a surprising payload raises a typed error, not a KeyError."""
    if not condition:
        raise MalformedResponse(f"{platform}: unexpected response shape: {what}", platform=platform)


@contextmanager
def reading(what: str, *, platform: str) -> Iterator[None]:
    """Read a payload without crashing on it: a missing key, a wrong type or an unparsable value
    inside the block becomes MalformedResponse naming what was being read."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(
            f"{platform}: unexpected response shape in {what}: {exc!r}", platform=platform
        ) from exc


def optional_int(value: Any) -> int | None:
    """Counts arrive as ints, numeric strings (YouTube) or floats (Pinterest); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return int(str(value))


def seconds_until(epoch_s: float, *, now: datetime | None = None) -> float:
    current = (now or datetime.now(UTC)).timestamp()
    return max(0.0, epoch_s - current)
