"""Unauthenticated probes: liveness, readiness (Postgres, Redis, migrations at head, and Sway's
own configuration as the worker found it), metrics."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import text

from services.api import metrics as process_metrics
from shared import config_problems
from shared.migrate import head_revision

router = APIRouter(tags=["health"])

# What this process needs to serve requests; any of them failing makes it not ready.
REQUIRED = ("postgres", "migrations", "redis")
# Each check gives up after this long: a probe that hangs on a dead server is no answer at all.
CHECK_TIMEOUT_S = 2.0

T = TypeVar("T")


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


_READINESS = {"model": Readiness, "description": "Not ready: `checks` names what is failing"}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_revision(request: Request) -> str | None:
    async with request.app.state.engine.connect() as connection:
        return await connection.scalar(text("SELECT version_num FROM alembic_version"))


@router.get("/readyz", response_model=Readiness, responses={503: _READINESS})
async def readyz(request: Request) -> JSONResponse:
    """503 ("not ready") when Postgres, Redis or the migrations are not right: this process
    cannot serve, and a load balancer should send its traffic elsewhere.

    `checks.config` is "ok" or the configuration problems the worker met (a platform's app-level
    key missing or refused; see shared/config_problems.py), as "platform: message; ...". Those
    answer 200 with status "degraded", not 503: one platform's setting stops that platform's
    syncs and refreshes, while the API serves everything else, and every replica shares the
    same settings, so pulling them out of service would turn a partial outage into a total one.
    Monitoring should alert on "degraded"."""
    checks = await _postgres(request)
    checks["redis"] = await _redis(request)
    checks["config"] = await _config(request) if checks["redis"] == "ok" else "unknown"
    if not all(checks.get(name) == "ok" for name in REQUIRED):
        state, code = "not ready", 503
    else:
        state, code = ("ready" if checks["config"] == "ok" else "degraded"), 200
    return JSONResponse({"status": state, "checks": checks}, status_code=code)


async def _postgres(request: Request) -> dict[str, str]:
    try:
        revision = await _bounded(_database_revision(request))
    except Exception as exc:  # readiness reports any failure instead of raising it
        return {"postgres": f"error: {type(exc).__name__}"}
    expected = head_revision()
    at_head = "ok" if revision == expected else f"at {revision}, head is {expected}"
    return {"postgres": "ok", "migrations": at_head}


async def _redis(request: Request) -> str:
    try:
        await _bounded(request.app.state.redis.ping())
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def _config(request: Request) -> str:
    try:
        problems = await _bounded(config_problems.current(request.app.state.redis))
    except Exception as exc:
        return f"unknown: {type(exc).__name__}"
    if not problems:
        return "ok"
    return "; ".join(_named(platform, problems[platform]) for platform in sorted(problems))


async def _bounded(check: Awaitable[T]) -> T:
    return await asyncio.wait_for(check, CHECK_TIMEOUT_S)


def _named(platform: str, message: str) -> str:
    # Adapters' messages mostly start with their platform already.
    return message if message.startswith(f"{platform}:") else f"{platform}: {message}"


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics() -> Response:
    """Prometheus text exposition format, summed over every API process of this start."""
    return Response(process_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
