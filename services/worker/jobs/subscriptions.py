"""Outbound deliveries: one event to one subscription per job, and the cron that re-queues any
delivery whose attempt is due (so an enqueue lost after its commit loses nothing).

A delivery is two short units of work around the HTTP call, not one: a receiver may take up to
SWAY_OUTBOUND_TIMEOUT_S to answer, and no transaction (nor its row locks) stays open that long."""

from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.events.service import DeliverEvent
from shared.domain.subscription import delivery as delivery_service

log = structlog.get_logger()
MAX_TRIES = 3


async def deliver_event(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    """Safe to run twice: a delivery not pending, not yet due, or claimed by another run is
    left alone. The retries of a failed attempt are new jobs, deferred by the schedule."""
    request = DeliverEvent.read(payload)
    settings = ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        claimed = await delivery_service.claim(
            session, request.org_id, request.delivery_id, now=datetime.now(UTC), settings=settings
        )
    if claimed is None:
        return "skipped"
    # Its own client: receivers are not platforms (no shared limits, no platform headers).
    async with httpx.AsyncClient() as http:
        outcome = await delivery_service.send(
            http, claimed, now=datetime.now(UTC), settings=settings
        )
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        status = await delivery_service.record(session, claimed, outcome, settings=settings)
    log.info(
        "event delivered" if outcome.succeeded else "event delivery failed",
        delivery_id=str(claimed.delivery_id),
        status_code=outcome.status_code,
        error=outcome.error,
        status=status,
    )
    return status


async def requeue_due_deliveries(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        return await delivery_service.requeue_due(session, now=datetime.now(UTC))
