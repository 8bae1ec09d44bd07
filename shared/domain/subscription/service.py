"""Subscriptions of internal integrations to Sway's events, and their delivery log."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.crypto import seal
from shared.domain.events import service as events_service
from shared.domain.pagination import Page, page_of
from shared.domain.subscription import targets
from shared.domain.subscription.repository import DeliveryRepository, SubscriptionRepository
from shared.domain.subscription.schemas import (
    DeliveryFilters,
    SubscriptionCreate,
    SubscriptionFilters,
    SubscriptionUpdate,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.jobs import JobQueue
from shared.models import Delivery, DeliveryAttempt, Subscription
from shared.models.status import DeliveryStatus, SubscriptionStatus
from shared.webhooks import signatures


async def _check_target(url: str, settings: Settings) -> None:
    try:
        await targets.check(url, allow_private=settings.allows_private_targets)
    except targets.TargetRefused as exc:
        raise Invalid.field(("body", "url"), exc.reason) from exc


def _sealed_new_secret(settings: Settings) -> tuple[str, str]:
    secret = signatures.new_secret()
    return secret, seal(secret, settings.secret_key.get_secret_value())


async def create(
    session: AsyncSession, org_id: UUID, data: SubscriptionCreate, *, settings: Settings
) -> tuple[Subscription, str]:
    """The subscription and its signing secret (in clear: shown to the caller this once)."""
    await _check_target(data.url, settings)
    secret, sealed = _sealed_new_secret(settings)
    repository = SubscriptionRepository(session, org_id)
    subscription = repository.add(
        Subscription(
            url=data.url,
            events=data.events,
            description=data.description,
            secret_sealed=sealed,
            status=SubscriptionStatus.active,
            consecutive_failures=0,
        )
    )
    await repository.flush()
    events_service.forget_subscribers(session, org_id)
    return subscription, secret


async def get(session: AsyncSession, org_id: UUID, subscription_id: UUID) -> Subscription:
    subscription = await SubscriptionRepository(session, org_id).get(subscription_id)
    if subscription is None:
        raise NotFound(f"subscription {subscription_id} not found")
    return subscription


async def list_(
    session: AsyncSession, org_id: UUID, filters: SubscriptionFilters
) -> Page[Subscription]:
    rows = await SubscriptionRepository(session, org_id).page(filters.cursor, filters.limit)
    return page_of(rows, filters.limit, lambda s: (s.created_at, s.id))


async def update(
    session: AsyncSession,
    org_id: UUID,
    subscription_id: UUID,
    data: SubscriptionUpdate,
    *,
    settings: Settings,
    now: datetime,
) -> Subscription:
    subscription = await get(session, org_id, subscription_id)
    sent = data.model_fields_set
    for field in ("url", "events", "status"):
        if field in sent and getattr(data, field) is None:
            raise Invalid.field(("body", field), f"{field} cannot be null")
    if "url" in sent:
        await _check_target(data.url, settings)
        subscription.url = data.url
    if "events" in sent:
        subscription.events = data.events
    if "description" in sent:
        subscription.description = data.description
    if "status" in sent and data.status != subscription.status:
        _set_status(subscription, data.status, now)
    await session.flush()
    events_service.forget_subscribers(session, org_id)
    return subscription


def _set_status(subscription: Subscription, status: SubscriptionStatus, now: datetime) -> None:
    subscription.status = status
    # Whether disabled by hand or after failures, re-enabling starts a clean slate; a
    # subscription disabled by hand says so.
    subscription.consecutive_failures = 0
    if status == SubscriptionStatus.active:
        subscription.disabled_reason = None
        subscription.disabled_at = None
    else:
        subscription.disabled_reason = "disabled through the API"
        subscription.disabled_at = now


async def rotate_secret(
    session: AsyncSession, org_id: UUID, subscription_id: UUID, *, settings: Settings
) -> tuple[Subscription, str]:
    """A new signing secret, in force for the next attempt (no grace: receivers are ours)."""
    subscription = await get(session, org_id, subscription_id)
    secret, subscription.secret_sealed = _sealed_new_secret(settings)
    await session.flush()
    return subscription, secret


async def delete(session: AsyncSession, org_id: UUID, subscription_id: UUID) -> None:
    """Deleted with its deliveries and their log."""
    subscription = await get(session, org_id, subscription_id)
    await session.delete(subscription)
    await session.flush()
    events_service.forget_subscribers(session, org_id)


async def deliveries(
    session: AsyncSession, org_id: UUID, subscription_id: UUID, filters: DeliveryFilters
) -> Page[Delivery]:
    subscription = await get(session, org_id, subscription_id)
    rows = await DeliveryRepository(session, org_id).for_subscription(subscription.id, filters)
    return page_of(rows, filters.limit, lambda d: (d.created_at, d.id))


async def get_delivery(
    session: AsyncSession, org_id: UUID, delivery_id: UUID
) -> tuple[Delivery, list[DeliveryAttempt]]:
    repository = DeliveryRepository(session, org_id)
    delivery = await repository.get(delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return delivery, list(await repository.attempts(delivery.id))


async def redeliver(
    session: AsyncSession, org_id: UUID, delivery_id: UUID, *, jobs: JobQueue, now: datetime
) -> str:
    """A new round of attempts for a delivery, under its same message id: the job's id."""
    delivery = await DeliveryRepository(session, org_id).get(delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    subscription = await get(session, org_id, delivery.subscription_id)
    if subscription.status != SubscriptionStatus.active:
        raise Conflict(
            f"subscription {subscription.id} is disabled; re-enable it "
            '(PATCH {"status": "active"}) before redelivering'
        )
    if delivery.status == DeliveryStatus.pending:
        raise Conflict(f"delivery {delivery.id} is still being delivered")
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    await session.flush()
    return events_service.defer_delivery(jobs, org_id, delivery.id, 0)
