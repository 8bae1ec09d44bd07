"""Unauthenticated probes: liveness, readiness (Postgres, Redis, migrations at head), metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from shared.migrate import head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_revision(request: Request) -> str | None:
    async with request.app.state.engine.connect() as connection:
        return await connection.scalar(text("SELECT version_num FROM alembic_version"))


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        revision = await _database_revision(request)
        expected = head_revision()
        checks["postgres"] = "ok"
        checks["migrations"] = (
            "ok" if revision == expected else f"at {revision}, head is {expected}"
        )
    except Exception as exc:  # readiness reports any failure instead of raising it
        checks["postgres"] = f"error: {type(exc).__name__}"
    try:
        await request.app.state.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
