"""Inbox processing: one job per event, and the cron that queues events whose job was lost."""

from datetime import UTC, datetime
from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.webhook import processing

log = structlog.get_logger()


async def process_webhook_event(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    """Do the event's effect. A failure rolls the effect back, then is recorded in its own unit
    of work (the next try queued with backoff, or the event dead); it is not re-raised, so arq's
    own tries are left for a worker killed mid-job."""
    request = processing.ProcessWebhookEvent.read(payload)
    now = datetime.now(UTC)
    try:
        async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
            return await processing.process(session, request.event_id, now=now)
    except Exception as error:  # noqa: BLE001  (every failure is recorded on the event)
        failure = error
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        return await processing.record_failure(
            session,
            request.event_id,
            failure,
            max_attempts=ctx["settings"].webhook_max_attempts,
            now=now,
        )


async def requeue_webhook_events(ctx: WorkerContext) -> int:
    """Events still pending a minute after receipt (their job lost between the commit and the
    enqueue, or with a crashed worker) and failed ones due for their next try."""
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        queued = await processing.requeue_waiting(session, now=datetime.now(UTC))
    if queued:
        log.info("webhook events requeued", count=queued)
    return queued
