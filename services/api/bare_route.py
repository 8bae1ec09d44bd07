"""A route class for the API's hottest unauthenticated paths (the short links' redirect, the
inbound webhook): documented in OpenAPI like any route, but served without FastAPI's
per-request parameter and dependency machinery. Such an endpoint takes the request and its path
parameters as text, reads what it needs from the app's state, and builds its own answer; the
benchmarks hold these paths to half the rate of a bare Starlette endpoint doing the same work."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response


class BareRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            return await endpoint(request=request, **request.path_params)

        return handle
