"""The API's hottest paths (the short links' redirect, the inbound webhook, and the one
authenticated read the benchmarks hold to a bare endpoint's rate, `GET /v1/creators/{id}`):
documented in OpenAPI like any route, but served without FastAPI's routing and per-request
machinery. Such an endpoint takes the request and its path parameters as text, reads what it
needs from the app's state, makes its checks itself (an authenticated one awaits the same
`deps.require` check a dependency would) and builds its own answer.

A `BareRoute` declares one: its OpenAPI entry and its place among the routes. `BarePaths`, a
pure ASGI middleware, serves every declared one as soon as the request reaches it, so such a
request skips what lies inside: the idempotency middleware (it only keeps POST answers of keyed
requests, and no bare path is a keyed POST), Starlette's exception middleware,
FastAPI's route tables and its request-response wrapper. What lies outside `BarePaths` (metrics,
the outage answer, the body limits) applies to these paths as to any other. A request it does
not serve (another path, or a method the route lacks: 405 stays FastAPI's) goes on unchanged."""

import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette._utils import get_route_path
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.api.errors import domain_error
from shared.errors import DomainError


class BareRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # Used only by an app without BarePaths: the same endpoint, called the same way.
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            return await endpoint(request=request, **request.path_params)

        return handle


@dataclass(frozen=True, slots=True)
class Served:
    """A BareRoute where the app includes it: the route itself (what FastAPI would leave as
    `scope["route"]`, which metrics label by) and the full path it answers on."""

    route: BareRoute
    regex: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    prefix: str  # the path up to its first parameter: a cheap test before the regex

    @classmethod
    def of(cls, context: RouteContext) -> "Served":
        path: str = context.path
        prefix = path.split("{", 1)[0]
        return cls(context.original_route, context.path_regex, context.param_convertors, prefix)

    def path_params(self, path: str, method: str) -> dict[str, Any] | None:
        found = self.regex.match(path)
        if found is None or method not in self.route.methods:
            return None
        return {
            name: self.convertors[name].convert(value) for name, value in found.groupdict().items()
        }


def bare_routes(routes: Sequence[BaseRoute]) -> list[Served]:
    """Every BareRoute among the app's routes, in their order, included routers walked."""
    return [
        Served.of(context)
        for context in iter_route_contexts(routes)
        if isinstance(context.original_route, BareRoute)
    ]


class BarePaths:
    """Serves `routes` itself. Any other request costs one `str.startswith` here."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[Served]) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.prefixes = tuple(served.prefix for served in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            path, method = get_route_path(scope), scope["method"]
            for served in self.routes:
                path_params = served.path_params(path, method)
                if path_params is not None:
                    return await _serve(served.route, path_params, scope, receive, send)
        await self.app(scope, receive, send)


async def _serve(
    route: BareRoute, path_params: dict[str, Any], scope: Scope, receive: Receive, send: Send
) -> None:
    """The endpoint's answer, or the problem answer for a DomainError it raises, rendered by the
    app's own handler. Anything else propagates as from any route: an outage to the 503 outside,
    the rest to the 500."""
    scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, path_params
    request = Request(scope, receive, send)
    try:
        response = await route.endpoint(request=request, **path_params)
    except DomainError as exc:
        response = await domain_error(request, exc)
    await response(scope, receive, send)
