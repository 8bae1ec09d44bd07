"""Delivering one event to one subscription, in three steps so that no transaction is open
while the receiver takes its time: `claim` the delivery (a short transaction), `send` it (no
database), `record` what the receiver answered (another short transaction).

Retries: after the n-th failed attempt the next one waits RETRY_BASE_S * 2^(n-1), capped at
RETRY_CAP_S, give or take JITTER (30 s, 1 min, 2 min, 4 min, ... with the default 8 attempts:
about an hour from the first attempt to the last). After SWAY_OUTBOUND_MAX_ATTEMPTS the
delivery is `failed`; SWAY_OUTBOUND_DISABLE_AFTER deliveries failed in a row disable the
subscription (docs/events.md)."""

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.crypto import CredentialsError, unseal
from shared.domain.events import service as events_service
from shared.domain.subscription import targets
from shared.domain.subscription.repository import (
    DeliveryRepository,
    SubscriptionRepository,
    due_deliveries,
)
from shared.jobs import JobQueue
from shared.models import Delivery, DeliveryAttempt, Subscription
from shared.models.status import DeliveryStatus, SubscriptionStatus
from shared.webhooks import signatures

USER_AGENT = "Sway-Webhooks/1 (Standard Webhooks)"
RETRY_BASE_S = 30.0
RETRY_CAP_S = 6 * 3600.0
JITTER = 0.2
# A claimed delivery is not due again until its attempt has had time to end: a second run of
# the job in the meantime finds it not due and does nothing.
CLAIM_MARGIN_S = 60.0
ERROR_LENGTH = 500


def retry_delay(failed_attempts: int) -> timedelta:
    delay = min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(0, failed_attempts - 1))
    return timedelta(seconds=delay * random.uniform(1 - JITTER, 1 + JITTER))


@dataclass(frozen=True, slots=True)
class Claimed:
    org_id: UUID
    delivery_id: UUID
    subscription_id: UUID
    url: str
    secret: str
    message_id: str
    body: str
    attempts: int  # before this attempt: the fence `record` checks


@dataclass(frozen=True, slots=True)
class Outcome:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim(
    session: AsyncSession, org_id: UUID, delivery_id: UUID, *, now: datetime, settings: Settings
) -> Claimed | None:
    """The delivery to attempt now, or None: not pending, not yet due, held by another run, or
    its subscription disabled (then it is failed with the subscription's reason)."""
    delivery = await DeliveryRepository(session, org_id).claim(delivery_id, now)
    if delivery is None:
        return None
    subscription = await SubscriptionRepository(session, org_id).get(delivery.subscription_id)
    if subscription is None or subscription.status != SubscriptionStatus.active:
        reason = subscription.disabled_reason if subscription else None
        _finish(delivery, DeliveryStatus.failed, error=reason or "subscription disabled")
        return None
    try:
        secret = unseal(subscription.secret_sealed, settings.secret_key.get_secret_value())
    except CredentialsError as exc:
        _finish(delivery, DeliveryStatus.failed, error=str(exc))
        return None
    delivery.next_attempt_at = now + timedelta(seconds=settings.outbound_timeout_s + CLAIM_MARGIN_S)
    return Claimed(
        org_id=org_id,
        delivery_id=delivery.id,
        subscription_id=subscription.id,
        url=subscription.url,
        secret=secret,
        message_id=delivery.message_id,
        body=json.dumps(delivery.payload, separators=(",", ":")),
        attempts=delivery.attempts,
    )


def _finish(delivery: Delivery, status: DeliveryStatus, *, error: str | None) -> None:
    delivery.status = status
    delivery.next_attempt_at = None
    delivery.last_error = error


def headers(claimed: Claimed, now: datetime) -> dict[str, str]:
    return {
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures.sign_standard(
            claimed.secret, claimed.message_id, now, claimed.body
        ),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


async def send(
    http: httpx.AsyncClient, claimed: Claimed, *, now: datetime, settings: Settings
) -> Outcome:
    """One POST, redirects not followed; the target is checked again first (what its name
    resolves to may have changed since the subscription was saved)."""
    try:
        await targets.check(claimed.url, allow_private=settings.allows_private_targets)
    except targets.TargetRefused as exc:
        return Outcome(now, None, f"target refused: {exc.reason}", None)
    started = time.monotonic()
    try:
        response = await http.post(
            claimed.url,
            content=claimed.body.encode(),
            headers=headers(claimed, now),
            timeout=settings.outbound_timeout_s,
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        error = f"no answer within {settings.outbound_timeout_s:g} s"
        return Outcome(now, None, error, _ms_since(started))
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        return Outcome(now, None, error, _ms_since(started))
    code = response.status_code
    error = None if 200 <= code < 300 else f"the receiver answered HTTP {code}"
    return Outcome(now, code, error, _ms_since(started))


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def record(
    session: AsyncSession, claimed: Claimed, outcome: Outcome, *, settings: Settings
) -> str:
    """Log the attempt and move the delivery on: succeeded, retried later, or failed (and the
    subscription disabled after a run of failures). Returns the delivery's status."""
    # The subscription first, then the delivery: the order every writer of both keeps (a
    # disabling fails the subscription's other deliveries while holding it).
    subscription = await SubscriptionRepository(session, claimed.org_id).locked(
        claimed.subscription_id
    )
    repository = DeliveryRepository(session, claimed.org_id)
    delivery = await repository.locked(claimed.delivery_id)
    if subscription is None or delivery is None:  # deleted meanwhile, with the log
        return "deleted"
    repository.add_attempt(
        DeliveryAttempt(
            delivery_id=claimed.delivery_id,
            at=outcome.at,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    # Failed meanwhile (its subscription was disabled by hand or by another delivery's failure):
    # the attempt is logged, the delivery is no longer this run's to move.
    if delivery.status != DeliveryStatus.pending or delivery.attempts != claimed.attempts:
        return "stale"
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.last_attempt_at = outcome.at
    if outcome.succeeded:
        _finish(delivery, DeliveryStatus.succeeded, error=None)
        delivery.delivered_at = outcome.at
        subscription.consecutive_failures = 0
    elif delivery.attempts >= settings.outbound_max_attempts:
        _finish(delivery, DeliveryStatus.failed, error=outcome.error)
        await _count_failure(session, subscription, outcome, settings)
    else:
        delay = retry_delay(delivery.attempts)
        delivery.next_attempt_at = outcome.at + delay
        events_service.defer_delivery(
            JobQueue.of(session), claimed.org_id, delivery.id, delivery.attempts, delay
        )
    await session.flush()
    return delivery.status


async def _count_failure(
    session: AsyncSession, subscription: Subscription, outcome: Outcome, settings: Settings
) -> None:
    subscription.consecutive_failures += 1
    failures = subscription.consecutive_failures
    if failures < settings.outbound_disable_after:
        return
    if subscription.status != SubscriptionStatus.active:
        return
    last = outcome.error or f"HTTP {outcome.status_code}"
    reason = (
        f"disabled after {failures} deliveries failed in a row "
        f"(each after {settings.outbound_max_attempts} attempts); the last: {last}"
    )
    subscription.status = SubscriptionStatus.disabled
    subscription.disabled_reason = reason[:ERROR_LENGTH]
    subscription.disabled_at = outcome.at
    await session.flush()
    await DeliveryRepository(session, subscription.org_id).fail_pending(
        subscription.id, subscription.disabled_reason
    )
    events_service.forget_subscribers(session, subscription.org_id)


async def requeue_due(session: AsyncSession, *, now: datetime, limit: int = 1000) -> int:
    """Defer the job of every pending delivery whose attempt is due: a job lost between a
    commit and its enqueue (a crash, Redis away) is sent anyway. A job still queued under the
    same id is not queued twice."""
    rows = await due_deliveries(session, now, limit)
    queue = JobQueue.of(session)
    for org_id, delivery_id, attempts in rows:
        events_service.defer_delivery(queue, org_id, delivery_id, attempts)
    return len(rows)
