"""Pure ASGI middleware that vets request bodies before any route (or other middleware) sees them:
a size limit per path prefix (413), and JSON bodies with a key twice in one object (422).

The body is read here, at most `limit` bytes of it, and replayed to the app unchanged, so the
idempotency middleware and the route read it as if nothing had happened."""

import json
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import problem
from shared.config import Settings

# Methods whose requests carry a body even without a length header (HTTP/2, chunked).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limits(settings: Settings) -> dict[str, Any]:
    """The size table: a path prefix per row, first match wins; every other path gets the
    default. A new prefix with its own limit is one more row (and one more setting)."""
    return {
        "default_limit": settings.api_max_body_bytes,
        "limits": [("/webhooks/", settings.webhook_max_body_bytes)],
    }


class BodyTooLarge(Exception):
    pass


class BodyGuardMiddleware:
    """`limits` is a table of (path prefix, max bytes); the first matching prefix wins, and any
    other path gets `default_limit`."""

    def __init__(
        self, app: ASGIApp, *, default_limit: int, limits: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = tuple(limits)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", ()))
        if not _has_body(scope["method"], headers):
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        declared = _content_length(headers)
        # A declared length over the limit is refused before a single byte is read.
        if declared is not None and declared > limit:
            return await _too_large(limit, scope, receive, send)
        try:
            body = await _read_at_most(receive, limit)
        except BodyTooLarge:
            return await _too_large(limit, scope, receive, send)
        if body and _is_json(headers.get(b"content-type")):
            refusal = _json_refusal(body)
            if refusal is not None:
                return await refusal(scope, receive, send)
        await self.app(scope, _replay(body, receive), send)


def _has_body(method: str, headers: dict[bytes, bytes]) -> bool:
    if b"transfer-encoding" in headers:
        return True
    if b"content-length" in headers:
        return headers[b"content-length"] != b"0"
    return method in BODY_METHODS


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    # A malformed value is the server's to refuse; here it only means "not declared".
    try:
        return int(headers[b"content-length"])
    except (KeyError, ValueError):
        return None


async def _read_at_most(receive: Receive, limit: int) -> bytes:
    """The whole body, counted as it streams in: stops as soon as it passes `limit`, so a
    chunked body never sits in memory beyond it."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # only a disconnect can come now
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _is_json(content_type: bytes | None) -> bool:
    """The bodies FastAPI parses as JSON: no content type at all, application/json and
    application/*+json. Checking fewer would let a duplicate key through under another label."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    maintype, _, subtype = media.partition(b"/")
    return maintype == b"application" and (subtype == b"json" or subtype.endswith(b"+json"))


def _json_refusal(body: bytes) -> Any:
    """A problem response for a JSON body the app must not see, or None. Malformed JSON is left
    to the app, which names the position of the error."""
    # By id, with the object itself kept alive so no later object can reuse that id.
    seen: dict[int, tuple[dict[str, Any], list[str]]] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen[id(obj)] = (obj, _repeated([key for key, _ in pairs]))
        return obj

    try:
        document = json.loads(body, object_pairs_hook=pairs_hook)
    except RecursionError:
        error = {"loc": ["body"], "msg": "nested too deeply", "type": "json_too_deep"}
        return problem(
            422,
            "validation_error",
            "Validation failed",
            "the JSON body is nested too deeply",
            errors=[error],
        )
    except ValueError:
        return None
    if not seen:
        return None
    errors = [
        {"loc": ["body", *path], "msg": "duplicate key", "type": "duplicate_key"}
        for path in _duplicate_paths(document, seen)
    ]
    fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in errors)
    return problem(
        422, "validation_error", "Validation failed", f"duplicate key: {fields}", errors=errors
    )


def _repeated(keys: list[str]) -> list[str]:
    found, repeated = set(), []
    for key in keys:
        if key in found and key not in repeated:
            repeated.append(key)
        found.add(key)
    return repeated


def _duplicate_paths(
    document: Any, seen: dict[int, tuple[dict[str, Any], list[str]]]
) -> list[list[str | int]]:
    """Where each repeated key sits, e.g. ["goals", 0, "metric"]. Iterative: the parser already
    accepted the nesting depth, a recursive walk might not."""
    paths: list[list[str | int]] = []
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            _, repeated = seen.get(id(node), (None, ()))
            paths.extend([*path, key] for key in repeated)
            stack.extend((value, [*path, key]) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, [*path, index]) for index, value in enumerate(node))
    return sorted(paths, key=lambda path: [str(part) for part in path])


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(
        413,
        "payload_too_large",
        "Payload too large",
        f"the request body is larger than {limit} bytes",
        headers={"Connection": "close"},
    )
    await response(scope, receive, send)
