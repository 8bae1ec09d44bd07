"""The SQL of subscriptions and their deliveries. Deliveries are read through their
organization like every row; the due scan of the cron is the one query across organizations."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.domain.subscription.schemas import DeliveryFilters
from shared.models import Delivery, DeliveryAttempt, Subscription
from shared.models.status import DeliveryStatus, SubscriptionStatus

NEWEST_FIRST = SortKey(Subscription.created_at, descending=True, parse=parse_datetime)
DELIVERIES_NEWEST_FIRST = SortKey(Delivery.created_at, descending=True, parse=parse_datetime)


class SubscriptionRepository(OrgRepository[Subscription]):
    model = Subscription

    async def page(self, cursor: str | None, limit: int) -> Sequence[Subscription]:
        statement = apply_keyset(self.select(), NEWEST_FIRST, Subscription.id, cursor, limit)
        return await self.scalars(statement)

    async def active_events(self) -> list[tuple[UUID, list[str]]]:
        """Every active subscription's id and event types: what an emit reads, once."""
        rows = await self.session.execute(
            select(Subscription.id, Subscription.events).where(
                Subscription.org_id == self.org_id,
                Subscription.status == SubscriptionStatus.active,
            )
        )
        return [(row.id, row.events) for row in rows]

    async def locked(self, subscription_id: UUID) -> Subscription | None:
        return await self.session.scalar(
            self.select().where(Subscription.id == subscription_id).with_for_update()
        )


class DeliveryRepository(OrgRepository[Delivery]):
    model = Delivery

    async def for_subscription(
        self, subscription_id: UUID, filters: DeliveryFilters
    ) -> Sequence[Delivery]:
        statement = self.select().where(Delivery.subscription_id == subscription_id)
        if filters.status is not None:
            statement = statement.where(Delivery.status == filters.status)
        if filters.event_type is not None:
            statement = statement.where(Delivery.event_type == filters.event_type)
        statement = apply_keyset(
            statement, DELIVERIES_NEWEST_FIRST, Delivery.id, filters.cursor, filters.limit
        )
        return await self.scalars(statement)

    async def attempts(self, delivery_id: UUID) -> Sequence[DeliveryAttempt]:
        return (
            await self.session.scalars(
                select(DeliveryAttempt)
                .where(
                    DeliveryAttempt.org_id == self.org_id,
                    DeliveryAttempt.delivery_id == delivery_id,
                )
                .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
            )
        ).all()

    async def claim(self, delivery_id: UUID, now: datetime) -> Delivery | None:
        """The delivery, locked, if it is pending and due; None otherwise (or while another
        run holds it)."""
        return await self.session.scalar(
            self.select()
            .where(
                Delivery.id == delivery_id,
                Delivery.status == DeliveryStatus.pending,
                Delivery.next_attempt_at <= now,
            )
            .with_for_update(skip_locked=True)
        )

    async def locked(self, delivery_id: UUID) -> Delivery | None:
        return await self.session.scalar(
            self.select().where(Delivery.id == delivery_id).with_for_update()
        )

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        attempt.org_id = self.org_id
        self.session.add(attempt)

    async def fail_pending(self, subscription_id: UUID, reason: str) -> int:
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.org_id == self.org_id,
                Delivery.subscription_id == subscription_id,
                Delivery.status == DeliveryStatus.pending,
            )
            .values(status=DeliveryStatus.failed, next_attempt_at=None, last_error=reason)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount


async def due_deliveries(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[UUID, UUID, int]]:
    """(org_id, id, attempts) of pending deliveries whose attempt is due, across organizations: the
    cron's scan, on the partial index of pending deliveries."""
    rows = await session.execute(
        select(Delivery.org_id, Delivery.id, Delivery.attempts)
        .where(Delivery.status == DeliveryStatus.pending, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    return [(row.org_id, row.id, row.attempts) for row in rows]
