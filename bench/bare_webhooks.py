"""The baselines for the webhooks benchmark: the least a Python service can do for the same two
jobs, on the same database. Starlette and one asyncpg pool, no auth, no middleware, no ORM:

- `POST /webhooks/{source_id}`: verify the Standard Webhooks signature with the same library Sway
  uses (the secret held in memory, not looked up), insert the event into `webhook_event` (the
  same row Sway stores, ON CONFLICT DO NOTHING on the event id), answer 202;
- `GET /r/{code}`: look the link up by code, insert a `link_click`, answer 302 to its URL.

Its pool is asyncpg's default, so each released connection runs asyncpg's reset query (one round
trip); Sway's raw reads pool skips it (shared/db.create_reads_pool). Served by uvicorn like
Sway: `uvicorn bench.bare_webhooks:create_app --factory`, configured by BENCH_PG_DSN (a plain
postgresql:// DSN), BENCH_SOURCE_ID, BENCH_ORG_ID and BENCH_SECRET."""

import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from uuid_utils.compat import uuid7

INSERT_EVENT = """
INSERT INTO webhook_event (id, org_id, source_id, external_id, type, headers, body, status,
                           attempts, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, now())
ON CONFLICT (source_id, external_id, org_id) DO NOTHING
"""
LINK = "SELECT id, org_id, tracked_url FROM tracking_link WHERE code = $1"
INSERT_CLICK = """
INSERT INTO link_click (id, org_id, link_id, clicked_at, referrer, user_agent, visitor_hash, is_bot)
VALUES ($1, $2, $3, now(), $4, $5, $6, false)
"""


async def receive(request: Request) -> Response:
    state = request.app.state
    if UUID(request.path_params["source_id"]) != state.source_id:
        return JSONResponse({"detail": "not found"}, status_code=404)
    body = await request.body()
    headers = dict(request.headers)
    try:
        state.webhook.verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return JSONResponse({"detail": "bad signature"}, status_code=401)
    event_type = json.loads(body).get("type", "")
    async with state.pool.acquire() as connection:
        await connection.execute(
            INSERT_EVENT,
            uuid7(),
            state.org_id,
            state.source_id,
            headers["webhook-id"],
            event_type,
            json.dumps(headers),
            body.decode(),
        )
    return JSONResponse({"status": "accepted"}, status_code=202)


async def redirect(request: Request) -> Response:
    headers = request.headers
    async with request.app.state.pool.acquire() as connection:
        link = await connection.fetchrow(LINK, request.path_params["code"])
        if link is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        visitor = f"{datetime.now(UTC):%Y-%m-%d}|{request.client.host}|{headers.get('user-agent')}"
        await connection.execute(
            INSERT_CLICK,
            uuid7(),
            link["org_id"],
            link["id"],
            headers.get("referer"),
            headers.get("user-agent"),
            hashlib.sha256(visitor.encode()).hexdigest(),
        )
    return RedirectResponse(link["tracked_url"], status_code=302)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            os.environ["BENCH_PG_DSN"], min_size=10, max_size=20
        )
        app.state.source_id = UUID(os.environ["BENCH_SOURCE_ID"])
        app.state.org_id = UUID(os.environ["BENCH_ORG_ID"])
        app.state.webhook = Webhook(os.environ["BENCH_SECRET"])
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/webhooks/{source_id}", receive, methods=["POST"]),
            Route("/r/{code}", redirect),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
