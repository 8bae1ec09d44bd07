"""The conversion service, as the senders' handlers call it: the event's organization and
source, and a refund whose order is not stored yet turned into a retry."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.commands import Lead, Order, Refund
from shared.domain.webhook.processing import NotYet
from shared.models import WebhookEvent


def utc(at: datetime) -> datetime:
    """A sender's time in UTC; one without an offset is taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def order(session: AsyncSession, event: WebhookEvent, order: Order, *, now: datetime) -> None:
    await conversion_service.record_order(
        session, event.org_id, event.source_id, order, event_id=event.id, now=now
    )


async def lead(session: AsyncSession, event: WebhookEvent, lead: Lead, *, now: datetime) -> None:
    await conversion_service.record_lead(
        session, event.org_id, event.source_id, lead, event_id=event.id, now=now
    )


async def refund(
    session: AsyncSession, event: WebhookEvent, refund: Refund, *, now: datetime
) -> None:
    try:
        await conversion_service.record_refund(
            session, event.org_id, event.source_id, refund, event_id=event.id, now=now
        )
    except conversion_service.OrderNotYetKnown as exc:
        raise NotYet(f"order {refund.order_id} is not known yet") from exc
