"""The organization's EMV rate card: versioned, never edited in place (docs/metrics.md, "EMV")."""

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.emv.card import RateCard
from shared.domain.emv.default_card import DEFAULT_CARD, DEFAULT_CURRENCY, DEFAULT_VERSION
from shared.domain.emv.repository import EmvRateCardRepository
from shared.domain.emv.schemas import EmvRateCardCreate, EmvRateCardFilters, EmvRateCardRead
from shared.domain.pagination import Page, page_of
from shared.errors import NotFound
from shared.models import EmvRateCard


def rate_card(version: int, currency: str, rates: dict[str, Any]) -> RateCard:
    return RateCard(
        version=version,
        currency=currency,
        rates={
            platform: {metric: Decimal(rate) for metric, rate in by_metric.items()}
            for platform, by_metric in rates.items()
        },
    )


def newest_or_default(row: tuple[int, str, str] | None) -> RateCard:
    """The card a `NEWEST_RATES_SQL` row (version, currency, rates as JSON text) describes, or
    the default when the organization has stored none."""
    if row is None:
        return DEFAULT_CARD
    version, currency, rates = row
    return rate_card(version, currency, json.loads(rates))


async def current_card(session: AsyncSession, org_id: UUID) -> RateCard:
    """The card EMV figures are computed with now: the newest version, else the default."""
    row = await EmvRateCardRepository(session, org_id).newest_rates()
    if row is None:
        return DEFAULT_CARD
    return rate_card(row.version, row.currency, row.rates)


async def card_version(session: AsyncSession, org_id: UUID, version: int) -> RateCard | None:
    """One version of the card (0 is the default), or None if the organization has no such
    version."""
    if version == DEFAULT_VERSION:
        return DEFAULT_CARD
    card = await EmvRateCardRepository(session, org_id).by_version(version)
    return None if card is None else rate_card(card.version, card.currency, card.rates)


async def get(session: AsyncSession, org_id: UUID) -> EmvRateCardRead:
    card = await EmvRateCardRepository(session, org_id).newest()
    return EmvRateCardRead.builtin() if card is None else EmvRateCardRead.of(card)


async def get_version(session: AsyncSession, org_id: UUID, version: int) -> EmvRateCardRead:
    if version == DEFAULT_VERSION:
        return EmvRateCardRead.builtin()
    card = await EmvRateCardRepository(session, org_id).by_version(version)
    if card is None:
        raise NotFound(f"EMV rate card version {version} not found")
    return EmvRateCardRead.of(card)


async def list_versions(
    session: AsyncSession, org_id: UUID, filters: EmvRateCardFilters
) -> Page[EmvRateCardRead]:
    """Newest first; the default card (version 0) is always the last, as the oldest."""
    rows = await EmvRateCardRepository(session, org_id).versions(filters.cursor, filters.limit)
    cards: list[EmvRateCard | None] = [*rows, None]
    page = page_of(cards, filters.limit, lambda card: (card.version, card.id))
    items = [EmvRateCardRead.builtin() if c is None else EmvRateCardRead.of(c) for c in page.items]
    return Page(items, page.next_cursor)


async def replace(
    session: AsyncSession, org_id: UUID, data: EmvRateCardCreate, *, by: UUID | None
) -> EmvRateCardRead:
    """Write the card as the next version; earlier versions stay. A card equal to the newest
    stored version writes nothing and answers that version, so a retried PUT is harmless."""
    repository = EmvRateCardRepository(session, org_id)
    if not await repository.lock_organization():
        raise NotFound(f"organization {org_id} not found")
    newest = await repository.newest()
    currency = data.currency or (newest.currency if newest else DEFAULT_CURRENCY)
    rates, sources = data.rates_json(), data.sources_json()
    if newest is not None and (newest.currency, newest.rates, newest.sources) == (
        currency,
        rates,
        sources,
    ):
        return EmvRateCardRead.of(newest)
    card = repository.add(
        EmvRateCard(
            version=(newest.version if newest else DEFAULT_VERSION) + 1,
            currency=currency,
            rates=rates,
            sources=sources,
            created_by=by,
        )
    )
    await repository.flush()
    return EmvRateCardRead.of(card)
