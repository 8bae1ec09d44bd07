"""Conversions: the purchases, leads and refunds a webhook source reports, stored once each and
attributed per METRICS.md ("Attribution"), for the campaign KPIs (docs/attribution.md).

Called by the inbound-webhook processing with what it read from a payload (commands.py). Each
call is idempotent per (source, kind, external id): a repeat returns the stored row unchanged,
so an event processed twice records nothing twice."""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import get_settings
from shared.domain.campaign import service as campaign_service
from shared.domain.conversion.commands import Lead, Order, Refund
from shared.domain.conversion.repository import ConversionRepository
from shared.domain.conversion.schemas import ConversionFilters
from shared.domain.kpi.stale import mark_stale
from shared.domain.link import service as link_service
from shared.domain.organization import exchange_rates
from shared.domain.pagination import Page, page_of
from shared.domain.promo import service as promo_service
from shared.errors import Invalid
from shared.metrics.attribution import Attributed, attribute, convert
from shared.models import Conversion
from shared.models.status import ConversionKind

CENT = Decimal("0.01")
# What the columns hold: numeric(14, 2) amounts and numeric(20, 10) rates.
MAX_AMOUNT = Decimal(10) ** 12
MAX_RATE = Decimal(10) ** 10
RATE_PLACES = Decimal("1e-10")
MAX_EXTERNAL_ID = 255
CURRENCY = re.compile(r"[A-Za-z]{3}")


class OrderNotYetKnown(Exception):
    """A refund whose order is not stored (yet): the caller retries later."""

    def __init__(self, source_id: UUID, order_id: str) -> None:
        super().__init__(f"order {order_id} of source {source_id} is not recorded yet")
        self.source_id = source_id
        self.order_id = order_id


@dataclass(frozen=True, slots=True)
class _Match:
    attributed: Attributed | None
    promo_code: str | None  # the code that attributed it, else the order's first


async def record_order(
    session: AsyncSession,
    org_id: UUID,
    source_id: UUID,
    order: Order,
    *,
    event_id: UUID | None,
    now: datetime,
) -> Conversion:
    repository = ConversionRepository(session, org_id)
    _external_id(order.order_id, "order")
    stored = await repository.by_external_id(source_id, ConversionKind.purchase, order.order_id)
    if stored is not None:
        return stored
    amount = _amount(order.amount, "order")
    match = await _match(session, org_id, order.occurred_at, order.promo_codes, order.link_code)
    conversion = _conversion(
        source_id, event_id, ConversionKind.purchase, order.order_id, order.occurred_at, now
    )
    conversion.amount, conversion.currency = amount, _currency(order.currency)
    _attribute_to(conversion, match, order.link_code)
    if match.attributed is not None and match.attributed.owner is not None:
        into = match.attributed.owner.currency or conversion.currency
        await _convert(session, org_id, conversion, into)
    return await _store(session, repository, conversion)


async def record_lead(
    session: AsyncSession,
    org_id: UUID,
    source_id: UUID,
    lead: Lead,
    *,
    event_id: UUID | None,
    now: datetime,
) -> Conversion:
    repository = ConversionRepository(session, org_id)
    _external_id(lead.lead_id, "lead")
    stored = await repository.by_external_id(source_id, ConversionKind.lead, lead.lead_id)
    if stored is not None:
        return stored
    match = await _match(session, org_id, lead.occurred_at, lead.promo_codes, lead.link_code)
    conversion = _conversion(
        source_id, event_id, ConversionKind.lead, lead.lead_id, lead.occurred_at, now
    )
    _attribute_to(conversion, match, lead.link_code)
    return await _store(session, repository, conversion)


async def record_refund(
    session: AsyncSession,
    org_id: UUID,
    source_id: UUID,
    refund: Refund,
    *,
    event_id: UUID | None,
    now: datetime,
) -> Conversion:
    """A refund takes its purchase's attribution and its purchase's exchange rate, so refunding
    a whole order takes back exactly what it added, whatever the rates did since. Partial
    refunds are separate rows that add up."""
    repository = ConversionRepository(session, org_id)
    _external_id(refund.refund_id, "refund")
    _external_id(refund.order_id, "order")
    stored = await repository.by_external_id(source_id, ConversionKind.refund, refund.refund_id)
    if stored is not None:
        return stored
    purchase = await repository.by_external_id(source_id, ConversionKind.purchase, refund.order_id)
    if purchase is None:
        raise OrderNotYetKnown(source_id, refund.order_id)
    if refund.currency and _currency(refund.currency) != purchase.currency:
        raise Invalid(
            f"refund {refund.refund_id} is in {refund.currency.upper()}, "
            f"its order {refund.order_id} in {purchase.currency}"
        )
    conversion = _conversion(
        source_id, event_id, ConversionKind.refund, refund.refund_id, refund.occurred_at, now
    )
    conversion.purchase_id = purchase.id
    conversion.amount, conversion.currency = _amount(refund.amount, "refund"), purchase.currency
    for column in ("promo_code", "link_code", "campaign_id", "creator_id", "platform"):
        setattr(conversion, column, getattr(purchase, column))
    conversion.attributed_by = purchase.attributed_by
    if purchase.exchange_rate is not None:
        conversion.exchange_rate = purchase.exchange_rate
        conversion.converted_currency = purchase.converted_currency
        conversion.converted_amount = _cents(conversion.amount * purchase.exchange_rate)
    return await _store(session, repository, conversion)


def _external_id(value: str, what: str) -> str:
    if not value or len(value) > MAX_EXTERNAL_ID or "\x00" in value:
        raise Invalid(f"{what} id must be 1 to {MAX_EXTERNAL_ID} characters, without NUL")
    return value


def _kept(value: str | None, limit: int) -> str | None:
    """A code as the order carried it, cut to its column, a NUL shown as U+FFFD (Postgres text
    cannot hold it): kept for reading; it was matched as sent."""
    if not value:
        return None
    return value.replace("\x00", "\ufffd").strip()[:limit] or None


def _conversion(
    source_id: UUID,
    event_id: UUID | None,
    kind: ConversionKind,
    external_id: str,
    occurred_at: datetime,
    now: datetime,
) -> Conversion:
    return Conversion(
        source_id=source_id,
        event_id=event_id,
        kind=kind,
        external_id=external_id,
        occurred_at=occurred_at,
        created_at=now,
    )


def _currency(code: str) -> str:
    if not CURRENCY.fullmatch(code or ""):
        raise Invalid(f"currency {code!r} is not an ISO 4217 code")
    return code.upper()


def _amount(value: Decimal, what: str) -> Decimal:
    amount = _cents(value)
    if not 0 <= amount < MAX_AMOUNT:
        raise Invalid(f"{what} amount {value} is outside 0 to {MAX_AMOUNT}")
    return amount


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


async def _match(
    session: AsyncSession,
    org_id: UUID,
    occurred_at: datetime,
    promo_codes: tuple[str, ...],
    link_code: str | None,
) -> _Match:
    """The first of the order's codes that is one of the organization's promo codes and whose
    campaign's window holds the time; else its link code, if it is one of the organization's
    links and in the window; else nothing."""
    window = get_settings().attribution_window_days
    codes = [code for code in promo_codes if code and code.strip()]
    owners = await promo_service.owners(session, org_id, codes) if codes else {}
    for code in codes:
        found = attribute(
            occurred_at,
            promo_code=code,
            link_code=None,
            promo_codes=owners,
            links={},
            window_days=window,
        )
        if found is not None:
            return _Match(found, code)
    first = codes[0] if codes else None
    code = link_code.strip() if link_code else ""
    owner = await link_service.owner(session, org_id, code) if code else None
    if owner is None:
        return _Match(None, first)
    found = attribute(
        occurred_at,
        promo_code=None,
        link_code=code,
        promo_codes={},
        links={code: owner},
        window_days=window,
    )
    return _Match(found, first)


def _attribute_to(conversion: Conversion, match: _Match, link_code: str | None) -> None:
    # Cut to the columns' sizes: a longer code matches nothing anyway.
    conversion.promo_code = _kept(match.promo_code, 64)
    conversion.link_code = _kept(link_code, 32)
    found = match.attributed
    if found is None:
        return
    conversion.campaign_id, conversion.creator_id = found.campaign_id, found.creator_id
    conversion.attributed_by = found.rule
    conversion.platform = found.owner.platform if found.owner is not None else None


async def _convert(session: AsyncSession, org_id: UUID, conversion: Conversion, into: str) -> None:
    """Into the campaign's currency with the organization's table, the rate stored (to the
    column's 10 places, and the amount converted at exactly that rate); without a rate the
    conversion stays unconverted and the KPIs report it apart."""
    assert conversion.amount is not None and conversion.currency is not None
    table = None
    if conversion.currency != into:
        table = await exchange_rates.table(session, org_id)
    result = convert(conversion.amount, conversion.currency, into, table)
    if result is None:
        return
    rate = result[1].quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    converted = _cents(conversion.amount * rate)
    if not 0 < rate < MAX_RATE or converted >= MAX_AMOUNT:
        return
    conversion.converted_amount, conversion.converted_currency = converted, into
    conversion.exchange_rate = rate


async def _store(
    session: AsyncSession, repository: ConversionRepository, conversion: Conversion
) -> Conversion:
    try:
        # Added inside the savepoint, so a refused row leaves with it.
        async with session.begin_nested():
            repository.add(conversion)
            await repository.flush()
    except IntegrityError:
        # The same conversion stored meanwhile by a concurrent delivery: that one stands.
        stored = await repository.by_external_id(
            conversion.source_id, conversion.kind, conversion.external_id
        )
        if stored is None:
            raise
        return stored
    if conversion.campaign_id is not None:
        mark_stale(session, repository.org_id, conversion.campaign_id)
    return conversion


async def list_for_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, filters: ConversionFilters
) -> Page[Conversion]:
    await campaign_service.get(session, org_id, campaign_id)
    rows = await ConversionRepository(session, org_id).for_campaign(campaign_id, filters)
    return page_of(rows, filters.limit, lambda c: (c.occurred_at, c.id))
