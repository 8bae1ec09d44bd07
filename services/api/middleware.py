"""Pure ASGI middleware (no per-request task or body copy unless needed): request metrics and
POST idempotency."""

import hashlib
import json
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import PROBLEM

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


class IdempotencyMiddleware:
    """`Idempotency-Key` on POST: the first answer for (API key, Idempotency-Key) is kept for
    the TTL and replayed for the same body; a different body, or a request still in flight with
    that key, is 409. Answers worth replaying are kept: not 5xx (retry those), not 401/403/429."""

    IN_FLIGHT_TTL_S = 60

    def __init__(self, app: ASGIApp, *, ttl_s: int) -> None:
        self.app = app
        self.ttl_s = ttl_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Checked before the headers are copied: most requests are not POSTs.
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", ()))
        idem_key = headers.get(b"idempotency-key")
        if not idem_key:
            return await self.app(scope, receive, send)
        if len(idem_key) > 255:
            return await _send_problem(send, 422, "Idempotency-Key is longer than 255 characters")
        body = await _read_body(receive)
        owner = hashlib.sha256(headers.get(b"authorization", b"")).hexdigest()[:32]
        slot = f"idempotency:{owner}:{hashlib.sha256(idem_key).hexdigest()}"
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\0" + body).hexdigest()
        redis = scope["app"].state.redis
        claimed = await redis.set(
            slot, json.dumps({"fingerprint": fingerprint}), nx=True, ex=self.IN_FLIGHT_TTL_S
        )
        if not claimed:
            return await self._replay(redis, slot, fingerprint, send)
        await self._run_and_store(scope, body, send, redis, slot, fingerprint)

    async def _replay(self, redis: Any, slot: str, fingerprint: str, send: Send) -> None:
        stored = json.loads(await redis.get(slot) or "{}")
        if stored.get("fingerprint") != fingerprint:
            return await _send_problem(
                send, 409, "this Idempotency-Key was used with a different request body"
            )
        if "status" not in stored:
            return await _send_problem(
                send, 409, "a request with this Idempotency-Key is in progress"
            )
        headers = [(k.encode(), v.encode()) for k, v in stored["headers"]]
        headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": stored["status"], "headers": headers})
        await send({"type": "http.response.body", "body": stored["body"].encode("latin-1")})

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, redis: Any, slot: str, fingerprint: str
    ) -> None:
        response: dict[str, Any] = {"fingerprint": fingerprint, "headers": [], "body": b""}

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
        finally:
            status = response.get("status", 500)
            if status >= 500 or status in (401, 403, 429):
                await redis.delete(slot)
            else:
                response["body"] = response["body"].decode("latin-1")
                await redis.set(slot, json.dumps(response), ex=self.ttl_s)


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
