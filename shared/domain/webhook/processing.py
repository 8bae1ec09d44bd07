"""Processing of inbox events: one job per event, safe to run twice.

The event row is locked (SKIP LOCKED: a second job for it leaves at once) and an event already
`processed`, `ignored` or `dead` is left alone. The effect and the status change commit
together. A failure rolls the effect back; the job then records the try in a fresh unit of work
(`record_failure`) and queues the next one after an exponential backoff, until
SWAY_WEBHOOK_MAX_ATTEMPTS tries have failed: then the event is `dead`. Input that can never
succeed (`Unprocessable`: an unknown campaign, a missing field) is `dead` at once."""

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.webhook import repository
from shared.errors import DomainError
from shared.jobs import JobPayload, JobQueue
from shared.models import WebhookEvent
from shared.models.status import WebhookEventStatus, WebhookSourceKind

log = structlog.get_logger()
FINAL = frozenset(
    {WebhookEventStatus.processed, WebhookEventStatus.ignored, WebhookEventStatus.dead}
)
# A failed try waits 30 s, then twice as long after each further failure, at most an hour:
# eight tries span about an hour and a quarter.
BACKOFF_BASE_S = 30
BACKOFF_CAP_S = 3600
# An event still pending this long after receipt has lost its job (a crash between the
# commit and the enqueue): the cron queues it again.
PENDING_GRACE = timedelta(minutes=1)
REQUEUE_BATCH = 500
MAX_ERROR = 2000


class ProcessWebhookEvent(JobPayload):
    event_id: UUID


class Unprocessable(Exception):
    """The event can never succeed as sent: it goes `dead` at once, this message its error."""


class NotYet(Exception):
    """What the event needs may arrive later (a refund before its order): retried."""


# A handler does the event's effect and says what became of it: processed or ignored.
Handler = Callable[[AsyncSession, WebhookEvent, dict[str, Any], datetime], Awaitable[str]]


def job_id(event_id: UUID, *, attempts: int = 0, replay: UUID | None = None) -> str:
    """Stable per try, so a retry queued by the job and by the cron run once. A replay is its
    own request, with its own id."""
    suffix = f"replay:{replay}" if replay else str(attempts)
    return f"{jobs.PROCESS_WEBHOOK_EVENT}:{event_id}:{suffix}"


def defer_processing(
    queue: JobQueue,
    event_id: UUID,
    *,
    attempts: int = 0,
    replay: UUID | None = None,
    after: timedelta | None = None,
) -> str:
    reference = job_id(event_id, attempts=attempts, replay=replay)
    queue.defer(
        jobs.PROCESS_WEBHOOK_EVENT,
        ProcessWebhookEvent(event_id=event_id),
        job_id=reference,
        defer_by=after,
    )
    return reference


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try."""
    return timedelta(seconds=min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1)))


def _handler(kind: str, type: str) -> Handler | None:
    # Imported here: the senders' modules pull in most of the domain, the inbound path none of it.
    if kind == WebhookSourceKind.shopify:
        from shared.domain.webhook import shopify

        return shopify.HANDLERS.get(type)
    from shared.domain.webhook import marketplace

    return marketplace.HANDLERS.get(type)


async def process(session: AsyncSession, event_id: UUID, *, now: datetime) -> str:
    """Do the event's effect and mark it; returns what became of it. Raises what the effect
    raised (the caller's unit of work rolls it back, then calls `record_failure`)."""
    event = await repository.lock_event(session, event_id)
    if event is None:
        return "busy or gone"
    if event.status in FINAL:
        return f"already {event.status}"
    kind = await repository.source_kind(session, event.source_id)
    assert kind is not None  # an event cascades away with its source
    handler = _handler(kind, event.type)
    if handler is None:
        outcome = WebhookEventStatus.ignored
    else:
        outcome = await handler(session, event, _payload(event), now)
    event.status = outcome
    event.processed_at = now
    event.last_error = None
    event.next_attempt_at = None
    await session.flush()
    return outcome


def _payload(event: WebhookEvent) -> dict[str, Any]:
    return json.loads(event.body)  # checked to be a JSON object when it was received


async def record_failure(
    session: AsyncSession, event_id: UUID, error: BaseException, *, max_attempts: int, now: datetime
) -> str:
    """One more failed try: `failed` with its next try queued, or `dead`."""
    event = await repository.lock_event(session, event_id)
    if event is None or event.status in FINAL:
        return "busy or gone"
    event.attempts += 1
    event.last_error = _describe(error)[:MAX_ERROR]
    # A domain error (an id not found in the organization, an illegal move) is the data's
    # fault: trying again cannot help. NotYet and anything unexpected are tried again.
    hopeless = isinstance(error, Unprocessable | DomainError) or _refused_value(error)
    if hopeless or event.attempts >= max_attempts:
        event.status = WebhookEventStatus.dead
        event.next_attempt_at = None
        await _announce_dead(session, event, now)
    else:
        wait = backoff(event.attempts)
        event.status = WebhookEventStatus.failed
        event.next_attempt_at = now + wait
        defer_processing(JobQueue.of(session), event.id, attempts=event.attempts, after=wait)
    await session.flush()
    log.warning(
        "webhook event failed",
        event_id=str(event.id),
        status=event.status,
        attempts=event.attempts,
        error=event.last_error,
    )
    return event.status


async def _announce_dead(session: AsyncSession, event: WebhookEvent, now: datetime) -> None:
    data = payloads.webhook_event_dead(
        event_id=event.id,
        source_id=event.source_id,
        external_id=event.external_id,
        type=event.type,
        attempts=event.attempts,
        last_error=event.last_error,
        received_at=event.received_at,
    )
    await events_service.emit(session, event.org_id, EventType.webhook_event_dead, data, now=now)


def _refused_value(error: BaseException) -> bool:
    """Postgres refusing a value from the payload (SQLSTATE class 22: a NUL character, a
    number out of range, text too long): the same payload is refused every time."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", "") or "").startswith(
        "22"
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, Unprocessable | NotYet):
        return str(error)
    if isinstance(error, DomainError):  # its message is written for the API's callers
        return error.message
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


async def requeue_waiting(session: AsyncSession, *, now: datetime) -> int:
    """Queue every event whose job may be lost; returns how many."""
    waiting = await repository.waiting_events(
        session, pending_before=now - PENDING_GRACE, now=now, limit=REQUEUE_BATCH
    )
    queue = JobQueue.of(session)
    for event_id, attempts in waiting:
        defer_processing(queue, event_id, attempts=attempts)
    return len(waiting)
