"""Every error leaves the API as RFC 9457 problem+json, rendered here and nowhere else."""

from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import DomainError, TooManyRequests, Unauthorized

log = structlog.get_logger()
PROBLEM = "application/problem+json"
# How long a client should wait before retrying while Postgres or Redis is down: long enough
# for a restart of either (`sway run` restarts them within seconds), short enough to recover fast.
OUTAGE_RETRY_AFTER_S = 5

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# What the drivers raise when Postgres cannot be reached or drops the connection: refused or
# timed-out connects surface as OSError/TimeoutError, a server restarting as these asyncpg errors.
_POSTGRES_DOWN = (
    OperationalError,
    InterfaceError,
    OSError,
    TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
)


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    headers = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return problem(
        exc.status_code, exc.code, exc.title, exc.message, errors=exc.errors, headers=headers
    )


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    # Echoing `input` back could leak secrets a client sent by mistake; loc/msg/type suffice.
    return {
        "loc": list(error.get("loc", ())),
        "msg": error.get("msg", ""),
        "type": error.get("type", ""),
    }


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [_clean(e) for e in exc.errors()]
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
    return problem(
        422, "validation_error", "Validation failed", f"invalid: {fields}", errors=errors
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400:
        # FastAPI's only 400: a body it could not decode (not UTF-8). Malformed JSON is 422 in
        # the contract, whatever way it is malformed.
        error = {"loc": ["body"], "msg": str(exc.detail), "type": "json_invalid"}
        return problem(
            422, "validation_error", "Validation failed", "invalid: body", errors=[error]
        )
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem(
        exc.status_code, code, code.replace("_", " ").capitalize(), str(exc.detail), headers=headers
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method the path supports: FastAPI has one route per method, and the 405 it raises
    names only the first route that matched the path."""
    path, methods = request.url.path, set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].fullmatch(path):
            methods |= route.methods
    return sorted(methods)


def outage(exc: BaseException) -> str | None:
    """Which backing service an error says is unreachable ("postgres", "redis"), if any."""
    if isinstance(exc, _REDIS_DOWN):
        return "redis"
    if isinstance(exc, DBAPIError):
        # SQLSTATE class 08 is a connection exception, 57P a server shutting down or starting.
        down = exc.connection_invalidated or _sqlstate(exc).startswith(("08", "57P"))
        return "postgres" if down or isinstance(exc, OperationalError | InterfaceError) else None
    return "postgres" if isinstance(exc, _POSTGRES_DOWN) else None


def unavailable(part: str) -> JSONResponse:
    return problem(
        503,
        "service_unavailable",
        "Service unavailable",
        f"{part} is unavailable; retry later",
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER_S)},
    )


class OutageMiddleware:
    """Postgres or Redis being down is a 503 with Retry-After, not a 500, wherever it is noticed:
    in an endpoint, a dependency or another middleware (idempotency talks to Redis first). Any
    open session has rolled back by then, so nothing was half-written."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watch(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            part = outage(exc)
            if part is None or started:
                raise
            log.warning("backing service unavailable", part=part, error=type(exc).__name__)
            await unavailable(part)(scope, receive, send)


async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    """Postgres refusing a value (SQLSTATE class 22: a NUL byte in text, a number out of range)
    is bad input the schemas did not catch, not a server fault. Nothing was written: the
    session rolled back."""
    if (part := outage(exc)) is not None:
        return unavailable(part)
    if not _sqlstate(exc).startswith("22"):
        return await unexpected_error(request, exc)
    return problem(
        422,
        "validation_error",
        "Validation failed",
        "a value in the request cannot be stored (e.g. a NUL character or a number out of range)",
    )


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    return problem(500, "internal_error", "Internal error", "an unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected_error)


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with Sway's stable `code`; `errors` on validation errors only."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemError] | None = None


# Every authenticated route can answer these, whatever it does.
AUTHENTICATED = (401, 403, 429, 503)
# ...and every route that reads a body: too large (413), malformed or invalid (422).
WITH_BODY = (413, 422)

_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one",
    403: "The API key lacks the scope this operation needs",
    404: "No such resource in the caller's organization",
    409: "Conflicts with the current state, or an Idempotency-Key reused with another body",
    413: "Request body too large",
    422: "Invalid input: path, query, header or body",
    429: "Rate limit for this API key exceeded",
    503: "Postgres or Redis is unavailable",
}
_RETRY_AFTER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Always `Bearer`", "schema": {"type": "string"}}},
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}


# Declared on routes so the OpenAPI document lists the problem answers each one can give.
def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Problem"),
            "content": {PROBLEM: {"schema": schema}},
        }
        | ({"headers": _HEADERS[status]} if status in _HEADERS else {})
        for status in statuses
    }
