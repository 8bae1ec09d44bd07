"""Token refresh for accounts connected through OAuth (docs/connecting.md, "Refresh")."""

from datetime import UTC, datetime
from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.connection import refresh

log = structlog.get_logger()


async def refresh_token(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    request = refresh.RefreshToken.read(payload)
    outcome = await refresh.refresh_account(
        ctx["sessionmaker"],
        request,
        settings=ctx["settings"],
        http=ctx["http"],
        now=datetime.now(UTC),
    )
    if outcome != "not due":
        log.info("token refresh", account_id=str(request.account_id), outcome=outcome)
    return outcome


async def schedule_token_refreshes(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        count = await refresh.schedule_due(session, settings=ctx["settings"], now=datetime.now(UTC))
    if count:
        log.info("token refreshes scheduled", count=count)
    return count
