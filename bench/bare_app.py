"""The baseline for the API-read benchmark: the least a Python service can do to answer
GET /creators/{id} from the same database. Starlette, one asyncpg pool, two queries (the creator
row, then its accounts, as Sway's selectinload does), JSON of the same shape as Sway's CreatorRead.
No auth, no rate limit, no ORM, no validation, no metrics: the gap to Sway is what those cost.

Served by uvicorn like Sway: `uvicorn bench.bare_app:create_app --factory`, configured by
BENCH_PG_DSN (a plain postgresql:// DSN) and BENCH_ORG_ID (the org the rows belong to)."""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CREATOR = """
SELECT id, name, email, niches, country, language, tags, notes, influence_score,
       influence, total_followers, engagement_rate, last_posted_at, past_campaigns,
       past_engagement_rate, past_roi, past_on_time_rate, created_at, updated_at, archived_at
FROM creator WHERE id = $1 AND org_id = $2
"""
ACCOUNTS = """
SELECT id, platform, handle, url, followers, tier, engagement_rate, authenticity_score,
       sync_status
FROM creator_account WHERE creator_id = $1 AND org_id = $2 ORDER BY created_at
"""


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {key: _plain(value) for key, value in record.items()}


async def get_creator(request: Request) -> JSONResponse:
    try:
        creator_id = UUID(request.path_params["id"])
    except ValueError:
        return JSONResponse({"detail": "not found"}, status_code=404)
    org_id = request.app.state.org_id
    async with request.app.state.pool.acquire() as connection:
        creator = await connection.fetchrow(CREATOR, creator_id, org_id)
        if creator is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        accounts = await connection.fetch(ACCOUNTS, creator_id, org_id)
    body = _row(creator)
    if body["influence"] is not None:  # jsonb arrives as text, as it does for Sway's query
        body["influence"] = json.loads(body["influence"])
    body["accounts"] = [_row(account) for account in accounts]
    return JSONResponse(body)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Sized like Sway's engine (pool_size=10, max_overflow=10).
        app.state.pool = await asyncpg.create_pool(
            os.environ["BENCH_PG_DSN"], min_size=10, max_size=20
        )
        app.state.org_id = UUID(os.environ["BENCH_ORG_ID"])
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[Route("/creators/{id}", get_creator), Route("/healthz", healthz)],
        lifespan=lifespan,
    )
