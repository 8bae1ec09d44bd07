"""All SQL of webhook sources and the inbox.

The admin API's queries go through OrgRepository (filtered by the caller's organization). The
inbound endpoint and the worker start from a source or event id alone: the row they find names
its organization, and everything done after that is scoped to it."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads, new_id
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.domain.webhook.schemas import WebhookEventFilters, WebhookSourceFilters
from shared.models import Creator, CreatorAccount, WebhookEvent, WebhookSource
from shared.models.status import WebhookEventStatus

SOURCES_NEWEST_FIRST = SortKey(WebhookSource.created_at, descending=True, parse=parse_datetime)
EVENTS_NEWEST_FIRST = SortKey(WebhookEvent.received_at, descending=True, parse=parse_datetime)

# The inbound path's one read: only what verifying needs, straight on asyncpg.
_SOURCE_FOR_INBOUND = """
SELECT org_id, kind, secret_sealed, previous_secret_sealed, previous_secret_expires_at
FROM webhook_source WHERE id = $1 AND disabled_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class InboundSource:
    id: UUID
    org_id: UUID
    kind: str
    secret_sealed: str
    previous_secret_sealed: str | None
    previous_secret_expires_at: datetime | None


async def inbound_source(reads: RawReads, source_id: UUID) -> InboundSource | None:
    row = await reads.fetchrow(_SOURCE_FOR_INBOUND, source_id)
    return None if row is None else InboundSource(id=source_id, **dict(row))


# The inbox write: one autocommitted statement on the raw pool, so the inbound path needs no
# session or transaction of its own; RETURNING says whether it was new.
_STORE_EVENT = """
INSERT INTO webhook_event
    (id, org_id, source_id, external_id, type, headers, body, status, attempts)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, 'pending', 0)
ON CONFLICT (source_id, external_id, org_id) DO NOTHING
RETURNING id
"""
_EVENT_ID = "SELECT id FROM webhook_event WHERE source_id = $1 AND external_id = $2"


async def store_event(
    reads: RawReads,
    source: InboundSource,
    *,
    external_id: str,
    type: str,
    headers: dict[str, Any],
    body: str,
) -> UUID | None:
    """Insert the event; None when this source sent that event id before (nothing changed)."""
    row = await reads.fetchrow(
        _STORE_EVENT,
        new_id(),
        source.org_id,
        source.id,
        external_id,
        type,
        json.dumps(headers),
        body,
    )
    return None if row is None else row["id"]


async def event_id_of(reads: RawReads, source_id: UUID, external_id: str) -> UUID | None:
    row = await reads.fetchrow(_EVENT_ID, source_id, external_id)
    return None if row is None else row["id"]


class WebhookSourceRepository(OrgRepository[WebhookSource]):
    model = WebhookSource

    async def page(self, filters: WebhookSourceFilters) -> Sequence[WebhookSource]:
        statement = self.select()
        if filters.kind:
            statement = statement.where(WebhookSource.kind == filters.kind)
        return await self.scalars(
            apply_keyset(
                statement, SOURCES_NEWEST_FIRST, WebhookSource.id, filters.cursor, filters.limit
            )
        )


class WebhookEventRepository(OrgRepository[WebhookEvent]):
    model = WebhookEvent

    async def page(self, filters: WebhookEventFilters) -> Sequence[WebhookEvent]:
        statement = self.select()
        if filters.status:
            statement = statement.where(WebhookEvent.status == filters.status)
        if filters.source_id:
            statement = statement.where(WebhookEvent.source_id == filters.source_id)
        if filters.type:
            statement = statement.where(WebhookEvent.type == filters.type)
        return await self.scalars(
            apply_keyset(
                statement, EVENTS_NEWEST_FIRST, WebhookEvent.id, filters.cursor, filters.limit
            )
        )

    async def creator_by_email(self, email: str) -> Creator | None:
        return await self.session.scalar(
            select(Creator)
            .where(Creator.org_id == self.org_id, func.lower(Creator.email) == email.lower())
            .order_by(Creator.archived_at.is_not(None), Creator.created_at)
            .limit(1)
        )

    async def account_of(self, creator_id: UUID, platform: str) -> CreatorAccount | None:
        return await self.session.scalar(
            select(CreatorAccount)
            .where(
                CreatorAccount.org_id == self.org_id,
                CreatorAccount.creator_id == creator_id,
                CreatorAccount.platform == platform,
            )
            .order_by(CreatorAccount.created_at)
            .limit(1)
        )


async def lock_event(session: AsyncSession, event_id: UUID) -> WebhookEvent | None:
    """The event, locked for this transaction; None if missing or another job holds it (that
    job does the work, so this one must not wait for it)."""
    return await session.scalar(
        select(WebhookEvent).where(WebhookEvent.id == event_id).with_for_update(skip_locked=True)
    )


async def get_event(session: AsyncSession, event_id: UUID) -> WebhookEvent | None:
    return await session.get(WebhookEvent, event_id)


async def source_kind(session: AsyncSession, source_id: UUID) -> str | None:
    return await session.scalar(select(WebhookSource.kind).where(WebhookSource.id == source_id))


async def waiting_events(
    session: AsyncSession, *, pending_before: datetime, now: datetime, limit: int
) -> Sequence[tuple[UUID, int]]:
    """Events whose job may have been lost: still pending a while after receipt, or failed and
    due for their next try. (id, attempts) pairs, oldest first."""
    rows = await session.execute(
        select(WebhookEvent.id, WebhookEvent.attempts)
        .where(
            WebhookEvent.status.in_([WebhookEventStatus.pending, WebhookEventStatus.failed]),
            or_(
                and_(
                    WebhookEvent.status == WebhookEventStatus.pending,
                    WebhookEvent.received_at < pending_before,
                ),
                and_(
                    WebhookEvent.status == WebhookEventStatus.failed,
                    WebhookEvent.next_attempt_at <= now,
                ),
            ),
        )
        .order_by(WebhookEvent.received_at)
        .limit(limit)
    )
    return [(row.id, row.attempts) for row in rows]
