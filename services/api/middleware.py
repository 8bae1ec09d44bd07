"""Pure ASGI middleware (no per-request task or body copy unless needed): request metrics and
POST idempotency."""

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import PROBLEM
from shared.errors import Conflict

REQUESTS = Counter("sway_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("sway_http_request_duration_seconds", "HTTP latency", ["method", "route"])


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Labelled children, resolved once per label set: `labels()` validates and locks each call.
        self._requests: dict[tuple[str, str, int], Any] = {}
        self._latency: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            # The route template, not the raw path, so ids do not explode label cardinality.
            route = getattr(scope.get("route"), "path", "unmatched")
            method, code = scope["method"], status["code"]
            counter = self._requests.get((method, route, code))
            if counter is None:
                counter = REQUESTS.labels(method, route, code)
                self._requests[(method, route, code)] = counter
            histogram = self._latency.get((method, route))
            if histogram is None:
                histogram = self._latency[(method, route)] = LATENCY.labels(method, route)
            counter.inc()
            histogram.observe(time.perf_counter() - started)


IDEMPOTENCY = "sway.idempotency"


class Replay(Exception):  # noqa: N818  (a signal, not an error)
    """Raised by `IdempotentRequest.claim` to stop the route: the middleware answers instead."""


@dataclass(slots=True)
class IdempotentRequest:
    """A POST carrying `Idempotency-Key`, left on the request by the middleware for the route's
    auth dependency, which claims it once the caller is known and allowed."""

    redis: Any
    key_hash: str  # of the Idempotency-Key
    fingerprint: str  # of the path and canonical body
    in_flight_ttl_s: int
    slot: str | None = None  # set once claimed: the answer is to be kept there
    stored: dict[str, Any] | None = None  # set on a replay: the answer to send

    async def claim(self, key_id: UUID) -> None:
        """Take the slot for this API key, or raise `Replay` (an earlier answer to send) or
        Conflict (another body, still in flight, or an answer that was a secret)."""
        slot = f"idempotency:{key_id}:{self.key_hash}"
        claimed = await self.redis.set(
            slot, json.dumps({"fingerprint": self.fingerprint}), nx=True, ex=self.in_flight_ttl_s
        )
        if claimed:
            self.slot = slot
            return
        stored = json.loads(await self.redis.get(slot) or "{}")
        if stored.get("fingerprint") != self.fingerprint:
            raise Conflict("this Idempotency-Key was used with a different request body")
        if "status" not in stored:
            raise Conflict("a request with this Idempotency-Key is in progress")
        if stored.get("shown_once"):
            raise Conflict("already created with this Idempotency-Key; the secret was shown once")
        self.stored = stored
        raise Replay


class IdempotencyMiddleware:
    """`Idempotency-Key` on POST: the first answer for (API key, Idempotency-Key) is kept for
    the TTL and replayed for the same request; a different request, or one still in flight with
    that key, is 409. Answers worth replaying are kept: not 5xx (retry those), not 401/403/429.

    A replay is an answer like any other, so it needs what the route needs. This middleware only
    reads the body and leaves an `IdempotentRequest` on the request; the route's own auth
    dependency (`deps.require`) claims it after authenticating the key and checking its scope.
    So an unknown or revoked key gets the same 401, a key without the scope the same 403, and an
    over-budget key the same 429 as without the header, the request is authenticated and counted
    once, and slots belong to the key's id, not to how its header was spelled. A route that
    needs no key never claims, so there the header is ignored. When the dependency finds an
    earlier answer it raises `Replay`, and the middleware sends that answer instead of the
    route's.

    The same request is the same path and the same JSON body in any whitespace or key order (a
    body that is not JSON is compared byte for byte). An answer marked `Cache-Control: no-store`
    carries a secret (a new API key): only a marker is kept, and a replay is 409, so no secret
    is ever written to Redis or shown twice."""

    IN_FLIGHT_TTL_S = 60

    def __init__(self, app: ASGIApp, *, ttl_s: int) -> None:
        self.app = app
        self.ttl_s = ttl_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Checked before the headers are copied: most requests are not POSTs.
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        idem_key = dict(scope.get("headers", ())).get(b"idempotency-key")
        if not idem_key:
            return await self.app(scope, receive, send)
        if len(idem_key) > 255:
            return await _send_problem(send, 422, "Idempotency-Key is longer than 255 characters")
        body = await _read_body(receive)
        request = IdempotentRequest(
            redis=scope["app"].state.redis,
            key_hash=hashlib.sha256(idem_key).hexdigest(),
            fingerprint=_fingerprint(scope["path"], body),
            in_flight_ttl_s=self.IN_FLIGHT_TTL_S,
        )
        scope.setdefault("state", {})[IDEMPOTENCY] = request
        await self._run(scope, body, send, request)

    async def _run(self, scope: Scope, body: bytes, send: Send, request: IdempotentRequest) -> None:
        response: dict[str, Any] = {"fingerprint": request.fingerprint, "headers": [], "body": b""}

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                response["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except Replay:
            return await _send_stored(send, request.stored or {})
        finally:
            if request.slot is not None:
                await self._keep(request.redis, request.slot, response)

    async def _keep(self, redis: Any, slot: str, response: dict[str, Any]) -> None:
        status = response.get("status", 500)
        if status >= 500 or status in (401, 403, 429):
            await redis.delete(slot)
        else:
            await redis.set(slot, json.dumps(_kept(response)), ex=self.ttl_s)


def _fingerprint(path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:  # not JSON (nor UTF-8): the bytes themselves
        canonical = body
    return hashlib.sha256(path.encode() + b"\0" + canonical).hexdigest()


def _kept(response: dict[str, Any]) -> dict[str, Any]:
    """What Redis keeps of an answer: all of it, or only a marker if it carries a secret."""
    no_store = any(
        name.lower() == "cache-control" and "no-store" in value.lower()
        for name, value in response["headers"]
    )
    if no_store:
        marker = {"fingerprint": response["fingerprint"], "status": response["status"]}
        return marker | {"shown_once": True}
    return response | {"body": response["body"].decode("latin-1")}


async def _send_stored(send: Send, stored: dict[str, Any]) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored["status"], "headers": headers})
    await send({"type": "http.response.body", "body": stored["body"].encode("latin-1")})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_problem(send: Send, status: int, detail: str) -> None:
    code = "conflict" if status == 409 else "validation_error"
    body = json.dumps(
        {
            "type": f"/problems/{code}",
            "title": code.replace("_", " ").capitalize(),
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
