"""HTTP plumbing every adapter shares: one call, transport failures and unreadable bodies mapped
to the adapter error hierarchy. Platform-specific error bodies are each adapter's business."""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.platforms.base import (
    AuthExpired,
    InvalidInput,
    MalformedResponse,
    PlatformUnavailable,
)


async def send(
    client: httpx.AsyncClient, method: str, url: str, *, platform: str, **kwargs: Any
) -> httpx.Response:
    """Send one request. Timeouts and connection failures become PlatformUnavailable. Stored input
    that cannot make a request at all becomes AuthExpired (the token) or InvalidInput (a handle or
    id), so it is never retried as if the platform were down."""
    where = url.partition("?")[0]  # a query may carry a token; the path never does
    try:
        request = client.build_request(method, url, **kwargs)
    except UnicodeEncodeError:
        # The error holds the whole value it could not encode, maybe the token: never chained.
        raise _unsendable(kwargs.get("headers"), where, platform) from None
    except httpx.InvalidURL as exc:
        raise InvalidInput(
            f"{platform}: {where!r} is not a valid URL ({exc}); correct the stored handle or id",
            platform=platform,
        ) from exc
    try:
        return await client.send(request)
    except httpx.TimeoutException as exc:
        raise PlatformUnavailable(
            f"{platform}: timed out calling {where}", platform=platform
        ) from exc
    except httpx.LocalProtocolError:
        # Raised while writing the request; its text quotes the offending value, maybe the token.
        raise _unsendable(kwargs.get("headers"), where, platform) from None
    except httpx.TransportError as exc:
        raise PlatformUnavailable(
            f"{platform}: could not reach {where}: {exc}", platform=platform
        ) from exc


def _unsendable(
    headers: Mapping[str, str] | None, where: str, platform: str
) -> AuthExpired | InvalidInput:
    """Why a request could not be built or written. Only the token varies in adapters' headers, so
    a header HTTP cannot carry is the token's fault; anything else is a stored handle or id."""
    if any(not _fits_a_header(value) for value in (headers or {}).values()):
        return AuthExpired(
            f"{platform}: the stored token contains characters HTTP headers cannot carry; new "
            "credentials are needed",
            platform=platform,
        )
    return InvalidInput(
        f"{platform}: the request to {where!r} cannot be written as HTTP; correct the stored "
        "handle or id",
        platform=platform,
    )


def _fits_a_header(value: str) -> bool:
    return value.isascii() and not any(
        (char < " " and char != "\t") or char == "\x7f" for char in value
    )


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
