"""The Starlette app that mounts every fake platform under its prefix, the fault switches
(/_control) and the counters (/_stats), plus ways to run it: in a background thread for
benchmarks and tests, or from the command line."""

import argparse
import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.fake_platforms import linkedin, meta, pinterest, tiktok, x, youtube
from bench.fake_platforms.core import PREFIXES, Clock, FakeState, base_urls, json_response

Handler = Callable[[Request, FakeState], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
PLATFORMS: dict[str, ModuleType] = {
    "youtube": youtube,
    "x": x,
    "tiktok": tiktok,
    "meta": meta,
    "linkedin": linkedin,
    "pinterest": pinterest,
}


def _endpoint(platform: str, label: str, handler: Handler) -> Endpoint:
    module = PLATFORMS[platform]
    extra_headers = getattr(module, "response_headers", None)

    async def endpoint(request: Request) -> Response:
        state: FakeState = request.app.state.fake
        state.requests[(platform, label)] += 1
        faults = state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if platform in faults.throttle:
            state.throttled[platform] += 1
            return module.throttle(request, state)
        if faults.error_rate and state.rng.random() < faults.error_rate:
            state.errors[platform] += 1
            return module.server_error(state)
        response = await handler(request, state)
        if extra_headers:
            response.headers.update(extra_headers(state, label))
        return response

    return endpoint


async def control(request: Request) -> Response:
    state: FakeState = request.app.state.fake
    if request.method == "POST":
        try:
            _apply(state, await request.json())
        except (ValueError, TypeError) as exc:
            return json_response({"detail": str(exc)}, 400)
    return json_response(state.faults.as_dict())


def _apply(state: FakeState, body: Any) -> None:
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    faults = state.faults
    if "throttle" in body:
        faults.throttle = _throttled(body["throttle"])
    if "latency_ms" in body:
        if int(body["latency_ms"]) < 0:
            raise ValueError("latency_ms must be >= 0")
        faults.latency_ms = int(body["latency_ms"])
    if "error_rate" in body:
        if not 0 <= float(body["error_rate"]) <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        faults.error_rate = float(body["error_rate"])
    if "seed" in body:
        faults.seed = int(body["seed"])
        state.rng.seed(faults.seed)
    if body.get("reset_stats"):
        state.reset()


def _throttled(value: Any) -> frozenset[str]:
    """`true` throttles every platform; a list (or one name) throttles just those."""
    if isinstance(value, bool):
        return frozenset(PREFIXES) if value else frozenset()
    names = frozenset([value] if isinstance(value, str) else value)
    if unknown := names - set(PREFIXES):
        raise ValueError(f"unknown platforms {sorted(unknown)}; known: {sorted(PREFIXES)}")
    return names


async def stats(request: Request) -> Response:
    return json_response(request.app.state.fake.stats())


def create_app(*, clock: Clock = time.time) -> Starlette:
    routes = [
        Route("/_control", control, methods=["GET", "POST"]),
        Route("/_stats", stats, methods=["GET"]),
    ]
    for platform, module in PLATFORMS.items():
        for method, path, handler in module.ROUTES:
            label = f"{method} {path or '/'}"
            endpoint = _endpoint(platform, label, handler)
            routes.append(Route(PREFIXES[platform] + path, endpoint, methods=[method]))
    app = Starlette(routes=routes)
    app.state.fake = FakeState(clock=clock)
    return app


@contextmanager
def running(port: int = 0, *, host: str = "127.0.0.1", clock: Clock = time.time) -> Iterator[str]:
    """Serve a fresh fake from a background thread and yield its root URL; port 0 picks a free
    port. Leaving the block stops the server."""
    config = uvicorn.Config(create_app(clock=clock), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-platforms", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"fake platform server did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fake_platforms", description="Serve fake platform APIs."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    args = parser.parse_args(argv)
    for name, url in base_urls(f"http://{args.host}:{args.port}").items():
        print(f"export {name}={url}")
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
