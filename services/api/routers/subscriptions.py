"""Outbound subscriptions (admin): where Sway sends its events, and the log of every delivery.
docs/events.md is the user's guide."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status

from services.api.deps import Admin, JobsDep, ReadSessionDep, SessionDep, SettingsDep, parse_id
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.pagination import PageRead
from shared.domain.subscription import service as subscription_service
from shared.domain.subscription.schemas import (
    DeliveryAttemptRead,
    DeliveryDetail,
    DeliveryFilters,
    DeliveryRead,
    Redelivery,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionFilters,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/v1", tags=["subscriptions"], responses=responses(*AUTHENTICATED))
_ONE = responses(404)


async def _subscription_id(id: str) -> UUID:
    return parse_id(id, "subscription")


async def _delivery_id(id: str) -> UUID:
    return parse_id(id, "delivery")


SubscriptionId = Annotated[UUID, Depends(_subscription_id)]
DeliveryId = Annotated[UUID, Depends(_delivery_id)]


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_subscription(
    body: SubscriptionCreate, session: SessionDep, settings: SettingsDep, principal: Admin
):
    """Send these events to `url`, signed with the returned `secret` (shown only here). A URL
    on a private, loopback or link-local address is refused unless the server allows it."""
    subscription, secret = await subscription_service.create(
        session, principal.org_id, body, settings=settings
    )
    read = SubscriptionRead.model_validate(subscription)
    return SubscriptionCreated(**read.model_dump(), secret=secret)


@router.get("/subscriptions", response_model=PageRead[SubscriptionRead], responses=responses(422))
async def list_subscriptions(
    filters: Annotated[SubscriptionFilters, Query()], session: ReadSessionDep, principal: Admin
):
    page = await subscription_service.list_(session, principal.org_id, filters)
    items = [SubscriptionRead.model_validate(s) for s in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.get("/subscriptions/{id}", response_model=SubscriptionRead, responses=_ONE)
async def get_subscription(id: SubscriptionId, session: ReadSessionDep, principal: Admin):
    return await subscription_service.get(session, principal.org_id, id)


@router.patch(
    "/subscriptions/{id}", response_model=SubscriptionRead, responses=responses(404, *WITH_BODY)
)
async def update_subscription(
    id: SubscriptionId,
    body: SubscriptionUpdate,
    session: SessionDep,
    settings: SettingsDep,
    principal: Admin,
):
    """Only the fields sent change. `status: active` re-enables a disabled subscription and
    clears its run of failures and `disabled_reason`; `status: disabled` pauses it."""
    return await subscription_service.update(
        session, principal.org_id, id, body, settings=settings, now=datetime.now(UTC)
    )


@router.delete("/subscriptions/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ONE)
async def delete_subscription(id: SubscriptionId, session: SessionDep, principal: Admin):
    """Deleted with its deliveries and their log."""
    await subscription_service.delete(session, principal.org_id, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/subscriptions/{id}/rotate-secret", response_model=SecretRotated, responses=responses(404, 409)
)
async def rotate_subscription_secret(
    id: SubscriptionId, session: SessionDep, settings: SettingsDep, principal: Admin
):
    """A new signing secret (shown only here), used from the next attempt on; the old one
    stops at once."""
    subscription, secret = await subscription_service.rotate_secret(
        session, principal.org_id, id, settings=settings
    )
    return SecretRotated(id=subscription.id, secret=secret)


@router.get(
    "/subscriptions/{id}/deliveries",
    response_model=PageRead[DeliveryRead],
    responses=responses(404, 422),
)
async def list_deliveries(
    id: SubscriptionId,
    filters: Annotated[DeliveryFilters, Query()],
    session: ReadSessionDep,
    principal: Admin,
):
    """Newest first; filter by `status` and `event_type`."""
    page = await subscription_service.deliveries(session, principal.org_id, id, filters)
    items = [DeliveryRead.model_validate(d) for d in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.get("/deliveries/{id}", response_model=DeliveryDetail, responses=_ONE)
async def get_delivery(id: DeliveryId, session: ReadSessionDep, principal: Admin):
    """The delivery with the payload it sends and every attempt's answer."""
    delivery, attempts = await subscription_service.get_delivery(session, principal.org_id, id)
    read = DeliveryRead.model_validate(delivery)
    return DeliveryDetail(
        **read.model_dump(),
        payload=delivery.payload,
        attempt_log=[DeliveryAttemptRead.model_validate(a) for a in attempts],
    )


@router.post(
    "/deliveries/{id}/redeliver",
    response_model=Redelivery,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(404, 409),
)
async def redeliver(id: DeliveryId, session: SessionDep, jobs: JobsDep, principal: Admin):
    """A new round of attempts under the same `webhook-id` (409 while the subscription is
    disabled, or while the delivery is still pending)."""
    job_id = await subscription_service.redeliver(
        session, principal.org_id, id, jobs=jobs, now=datetime.now(UTC)
    )
    return Redelivery(job_id=job_id, delivery_id=id)
