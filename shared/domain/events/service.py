"""Emitting an event: one delivery row per active subscription of the organization that wants
the type, all with the event's one `message_id`, and their deliver jobs deferred until the
commit. Nobody subscribed costs one small query per organization and session (the answer is
kept on the session), and nothing else."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from shared import jobs as job_names
from shared.db import new_id
from shared.domain.events import payloads
from shared.domain.events.catalogue import EventType
from shared.domain.subscription.repository import SubscriptionRepository
from shared.jobs import JobPayload, JobQueue
from shared.models import Delivery
from shared.models.status import DeliveryStatus

_CACHE = "event_subscribers"


class DeliverEvent(JobPayload):
    org_id: UUID
    delivery_id: UUID


def deliver_job_id(delivery_id: UUID, attempts: int) -> str:
    """One queued job per delivery and attempt: the cron's re-enqueue of a job still queued
    is skipped."""
    return f"{job_names.DELIVER_EVENT}:{delivery_id}:{attempts}"


def defer_delivery(
    jobs: JobQueue, org_id: UUID, delivery_id: UUID, attempts: int, defer_by=None
) -> str:
    job_id = deliver_job_id(delivery_id, attempts)
    payload = DeliverEvent(org_id=org_id, delivery_id=delivery_id)
    jobs.defer(job_names.DELIVER_EVENT, payload, job_id=job_id, defer_by=defer_by)
    return job_id


def new_message_id() -> str:
    return "msg_" + uuid7().hex


def _cache(session: AsyncSession) -> dict[UUID, list[tuple[UUID, list[str]]]]:
    """The subscribers read in the session's current transaction (a commit forgets them)."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_CACHE)
    if held is None or held[0] is not transaction:
        held = session.info[_CACHE] = (transaction, {})
    return held[1]


def forget_subscribers(session: AsyncSession, org_id: UUID) -> None:
    """A subscription changed in this session: the next emit reads them again."""
    _cache(session).pop(org_id, None)


async def _subscribers(session: AsyncSession, org_id: UUID) -> list[tuple[UUID, list[str]]]:
    if org_id not in _cache(session):
        await session.connection()  # the transaction the answer is kept for
    cache = _cache(session)
    if org_id not in cache:
        cache[org_id] = await SubscriptionRepository(session, org_id).active_events()
    return cache[org_id]


async def wants(session: AsyncSession, org_id: UUID, event_type: EventType) -> bool:
    """Whether any active subscription of the organization wants the type: for callers whose
    event data costs a query to gather."""
    return any(event_type in events for _, events in await _subscribers(session, org_id))


async def emit(
    session: AsyncSession,
    org_id: UUID,
    event_type: EventType,
    data: dict[str, Any],
    *,
    now: datetime,
) -> str | None:
    """Queue the event for every subscription that wants it; its message id, or None when no
    subscription does."""
    sent = await emit_many(session, org_id, event_type, [data], now=now)
    return sent[0] if sent else None


async def emit_many(
    session: AsyncSession,
    org_id: UUID,
    event_type: EventType,
    events: Sequence[dict[str, Any]],
    *,
    now: datetime,
) -> list[str]:
    """Several events of one type (a batch's posts gone): one subscriber read for all."""
    if not events:
        return []
    targets = [id for id, wanted in await _subscribers(session, org_id) if event_type in wanted]
    if not targets:
        return []
    queue = JobQueue.of(session)
    message_ids = []
    for data in events:
        message_id = new_message_id()
        message_ids.append(message_id)
        payload = {"type": str(event_type), "timestamp": payloads.instant(now), "data": data}
        for subscription_id in targets:
            delivery = Delivery(
                id=new_id(),
                org_id=org_id,
                subscription_id=subscription_id,
                event_type=str(event_type),
                message_id=message_id,
                payload=payload,
                status=DeliveryStatus.pending,
                attempts=0,
                next_attempt_at=now,
            )
            session.add(delivery)
            defer_delivery(queue, org_id, delivery.id, 0)
    return message_ids


async def emit_posts(
    session: AsyncSession,
    org_id: UUID,
    event_type: EventType,
    post_ids: Sequence[UUID],
    build: Callable[[Any], dict[str, Any]],
    *,
    now: datetime,
) -> list[str]:
    """An event per post, its data built from the post row: the posts are read (one query)
    only when a subscription wants the type."""
    if not post_ids or not await wants(session, org_id, event_type):
        return []
    from shared.domain.post import service as post_service

    posts = await post_service.get_many(session, org_id, post_ids)
    return await emit_many(session, org_id, event_type, [build(p) for p in posts], now=now)
