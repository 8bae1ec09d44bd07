"""What a marketplace's events do (API.md, "Inbound webhooks"): the body's `data` read into a
model per type, then the domain's own services called for the source's organization. Every id
in `data` is looked up in that organization only, so another organization's id is simply not
found: the event is dead, nothing changed.

`offer.accepted` brings the collaboration to `contracted` one legal move at a time (prospect →
contacted → negotiating → contracted), each move in its stage history, as a person would have
made them; a collaboration already past `contracted` keeps its stage and takes the
compensation; a declined one cannot accept (dead)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Self, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.account import service as account_service
from shared.domain.account.repository import AccountRepository
from shared.domain.account.schemas import AccountCreate
from shared.domain.campaign import service as campaign_service
from shared.domain.collaboration import service as collaboration_service
from shared.domain.collaboration import stages
from shared.domain.collaboration.repository import CollaborationRepository
from shared.domain.collaboration.schemas import (
    CollaborationCreate,
    CollaborationUpdate,
    Compensation,
)
from shared.domain.conversion.commands import Lead, Order, Refund
from shared.domain.creator import service as creator_service
from shared.domain.creator.schemas import CreatorCreate
from shared.domain.deliverable import service as deliverable_service
from shared.domain.deliverable.schemas import DeliverableUpdate
from shared.domain.post import service as post_service
from shared.domain.post.schemas import PostById, PostByUrl
from shared.domain.types import CurrencyCode, Email
from shared.domain.webhook import conversions
from shared.domain.webhook.conversions import utc
from shared.domain.webhook.processing import NotYet, Unprocessable
from shared.domain.webhook.repository import WebhookEventRepository
from shared.errors import NotFound
from shared.jobs import JobQueue
from shared.models import Creator, WebhookEvent
from shared.models.status import CollaborationStage, DeliverableStatus, WebhookEventStatus
from shared.platforms.base import Platform

PROCESSED = WebhookEventStatus.processed


class _Data(BaseModel):
    # Senders add fields of their own; only those read here must be right.
    model_config = ConfigDict(extra="ignore")


D = TypeVar("D", bound=_Data)
M = TypeVar("M", bound=BaseModel)
# A deliverable in these states takes a submitted draft; one further along keeps its status.
OPEN = (DeliverableStatus.pending, DeliverableStatus.late, DeliverableStatus.missed)


class ApplicantAccount(_Data):
    platform: Platform
    handle: str = Field(min_length=1, max_length=200)


class Applicant(_Data):
    name: str = Field(min_length=1, max_length=200)
    email: Email | None = None
    accounts: list[ApplicantAccount] = Field(default_factory=list, max_length=20)


class CreatorApplied(_Data):
    campaign_id: UUID
    creator: Applicant


class OfferAccepted(_Data):
    campaign_id: UUID
    creator_id: UUID | None = None
    creator_email: Email | None = None
    compensation: Compensation | None = None

    @model_validator(mode="after")
    def _names_the_creator(self) -> Self:
        if self.creator_id is None and self.creator_email is None:
            raise ValueError("send creator_id or creator_email")
        return self


class ContentSubmitted(_Data):
    deliverable_id: UUID
    draft_url: str | None = Field(None, max_length=2000)


class PostPublished(_Data):
    campaign_id: UUID
    platform: Platform | None = None
    url: str | None = Field(None, max_length=2000)
    external_id: str | None = Field(None, min_length=1, max_length=200)
    creator_id: UUID | None = None
    deliverable_id: UUID | None = None

    @model_validator(mode="after")
    def _names_the_post(self) -> Self:
        if self.url is None and not (self.external_id and self.creator_id and self.platform):
            raise ValueError("send url, or external_id with creator_id and platform")
        return self


class OrderCreated(_Data):
    order_id: str = Field(min_length=1, max_length=255)
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    currency: CurrencyCode
    occurred_at: datetime
    promo_code: str | None = Field(None, max_length=64)
    link_code: str | None = Field(None, max_length=32)


class OrderRefunded(_Data):
    order_id: str = Field(min_length=1, max_length=255)
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    currency: CurrencyCode | None = None
    occurred_at: datetime | None = None


class LeadCreated(_Data):
    lead_id: str = Field(min_length=1, max_length=255)
    occurred_at: datetime
    promo_code: str | None = Field(None, max_length=64)
    link_code: str | None = Field(None, max_length=32)


def _data(model: type[D], payload: dict[str, Any]) -> D:
    try:
        return model.model_validate(payload.get("data"))
    except ValidationError as exc:
        problems = "; ".join(
            f"data.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
        raise Unprocessable(f"invalid data: {problems}") from exc


def _codes(code: str | None) -> tuple[str, ...]:
    return (code,) if code and code.strip() else ()


async def creator_applied(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    """Creator and accounts found (by email, then platform + handle) or created; the
    collaboration at `prospect` unless the creator already has one on the campaign."""
    data = _data(CreatorApplied, payload)
    campaign = await campaign_service.get(session, event.org_id, data.campaign_id)
    creator = await _applicant(session, event.org_id, data.creator)
    existing = await CollaborationRepository(session, event.org_id).by_pair(campaign.id, creator.id)
    if existing is None:
        await collaboration_service.create(
            session,
            event.org_id,
            campaign.id,
            CollaborationCreate(creator_id=creator.id),
            by=None,
            now=now,
        )
    return PROCESSED


async def _applicant(session: AsyncSession, org_id: UUID, applicant: Applicant) -> Creator:
    accounts = AccountRepository(session, org_id)
    creator = None
    if applicant.email:
        creator = await WebhookEventRepository(session, org_id).creator_by_email(applicant.email)
    for account in applicant.accounts if creator is None else ():
        found = await accounts.by_handle(account.platform, account.handle)
        if found is not None:
            creator = await creator_service.get(session, org_id, found.creator_id)
            break
    if creator is None:
        creator = await creator_service.create(
            session, org_id, _creator_fields(applicant, CreatorCreate)
        )
    for account in applicant.accounts:
        if await accounts.by_handle(account.platform, account.handle) is None:
            fields = {"platform": account.platform, "handle": account.handle}
            await account_service.create(
                session,
                org_id,
                creator.id,
                _creator_fields(fields, AccountCreate),
                jobs=JobQueue.of(session),
            )
    return creator


def _creator_fields(source: Any, model: type[M]) -> M:
    """The sender's fields checked by the API's own rules (a handle valid on its platform)."""
    fields = source if isinstance(source, dict) else {"name": source.name, "email": source.email}
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise Unprocessable(f"invalid creator: {problems}") from exc


async def offer_accepted(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    data = _data(OfferAccepted, payload)
    campaign = await campaign_service.get(session, event.org_id, data.campaign_id)
    creator = await _named_creator(session, event.org_id, data)
    collaboration = await CollaborationRepository(session, event.org_id).by_pair(
        campaign.id, creator.id
    )
    if collaboration is None:  # a deal made on the marketplace alone enters at `contracted`
        body = CollaborationCreate(
            creator_id=creator.id, stage=CollaborationStage.contracted, compensation=None
        )
        collaboration = await collaboration_service.create(
            session, event.org_id, campaign.id, body, by=None, now=now
        )
    for stage in _moves_to_contracted(CollaborationStage(collaboration.stage)):
        move = CollaborationUpdate(stage=stage)
        await collaboration_service.update(
            session, event.org_id, collaboration.id, move, by=None, now=now
        )
    if data.compensation is not None:
        await collaboration_service.update(
            session,
            event.org_id,
            collaboration.id,
            CollaborationUpdate(compensation=data.compensation),
            by=None,
            now=now,
        )
    return PROCESSED


async def _named_creator(session: AsyncSession, org_id: UUID, data: OfferAccepted) -> Creator:
    if data.creator_id is not None:
        return await creator_service.get(session, org_id, data.creator_id)
    assert data.creator_email is not None
    creator = await WebhookEventRepository(session, org_id).creator_by_email(data.creator_email)
    if creator is None:
        raise NotFound(f"no creator with email {data.creator_email}")
    return creator


def _moves_to_contracted(current: CollaborationStage) -> list[CollaborationStage]:
    """The legal moves from `current` up to `contracted`; none from it or a later stage, and a
    declined collaboration cannot be contracted."""
    if current == CollaborationStage.declined:
        stages.check_move(current, CollaborationStage.contracted)  # raises: declined is final
    position = stages.PIPELINE.index(current)
    target = stages.PIPELINE.index(CollaborationStage.contracted)
    return list(stages.PIPELINE[position + 1 : target + 1])


async def content_submitted(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    """The deliverable `submitted`, unless it is already further along (approved, published).
    A deliverable not found may be one the brand has not made yet: retried."""
    data = _data(ContentSubmitted, payload)
    try:
        deliverable = await deliverable_service.get(session, event.org_id, data.deliverable_id)
    except NotFound as exc:
        raise NotYet(f"deliverable {data.deliverable_id} not found") from exc
    if deliverable.status in OPEN:
        await deliverable_service.update(
            session,
            event.org_id,
            deliverable.id,
            DeliverableUpdate(status=DeliverableStatus.submitted),
        )
    return PROCESSED


async def post_published(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    data = _data(PostPublished, payload)
    if data.url is not None:
        post = PostByUrl(url=data.url, deliverable_id=data.deliverable_id)
    else:
        assert data.creator_id and data.platform and data.external_id
        await creator_service.get(session, event.org_id, data.creator_id)
        account = await WebhookEventRepository(session, event.org_id).account_of(
            data.creator_id, data.platform
        )
        if account is None:
            raise NotFound(f"creator {data.creator_id} has no {data.platform} account")
        post = PostById(
            account_id=account.id, external_id=data.external_id, deliverable_id=data.deliverable_id
        )
    await post_service.track(
        session, event.org_id, data.campaign_id, post, jobs=JobQueue.of(session), now=now
    )
    return PROCESSED


async def order_created(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    data = _data(OrderCreated, payload)
    order = Order(
        order_id=data.order_id,
        amount=data.amount,
        currency=data.currency,
        occurred_at=utc(data.occurred_at),
        promo_codes=_codes(data.promo_code),
        link_code=data.link_code.strip() if data.link_code else None,
    )
    await conversions.order(session, event, order, now=now)
    return PROCESSED


async def order_refunded(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    """A refund's id is its event's: each `order.refunded` delivered is one refund."""
    data = _data(OrderRefunded, payload)
    refund = Refund(
        refund_id=event.external_id,
        order_id=data.order_id,
        amount=data.amount,
        occurred_at=utc(data.occurred_at or _sent_at(payload) or event.received_at),
        currency=data.currency,
    )
    await conversions.refund(session, event, refund, now=now)
    return PROCESSED


async def lead_created(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    data = _data(LeadCreated, payload)
    lead = Lead(
        lead_id=data.lead_id,
        occurred_at=utc(data.occurred_at),
        promo_codes=_codes(data.promo_code),
        link_code=data.link_code.strip() if data.link_code else None,
    )
    await conversions.lead(session, event, lead, now=now)
    return PROCESSED


def _sent_at(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(payload.get("timestamp")))
    except ValueError:
        return None


HANDLERS: dict[str, Callable[..., Awaitable[str]]] = {
    "creator.applied": creator_applied,
    "offer.accepted": offer_accepted,
    "content.submitted": content_submitted,
    "post.published": post_published,
    "order.created": order_created,
    "order.refunded": order_refunded,
    "lead.created": lead_created,
}
