"""Every error leaves the API as RFC 9457 problem+json, rendered here and nowhere else."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError, TooManyRequests, Unauthorized

log = structlog.get_logger()
PROBLEM = "application/problem+json"


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
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem(
        exc.status_code,
        code,
        code.replace("_", " ").capitalize(),
        str(exc.detail),
        headers=getattr(exc, "headers", None),
    )


async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    """Postgres refusing a value (SQLSTATE class 22: a NUL byte in text, a number out of range)
    is bad input the schemas did not catch, not a server fault. Nothing was written: the
    session rolled back."""
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")
    if not sqlstate.startswith("22"):
        return await unexpected_error(request, exc)
    return problem(
        422,
        "validation_error",
        "Validation failed",
        "a value in the request cannot be stored (e.g. a NUL character or a number out of range)",
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    return problem(500, "internal_error", "Internal error", "an unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected_error)


# Declared on routes so the OpenAPI document lists the problem answers each one can give.
def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": "Problem", "content": {PROBLEM: {}}} for status in statuses}
