"""Attribution of METRICS.md: which campaign and creator a sale or lead belongs to, and money in
another currency brought into the campaign's. Pure; the webhook processing (to come) feeds it.

A conversion is attributed by its promo code first, then by its tracking-link code, to that
code's campaign and creator, and only when it happened within the campaign's dates plus the
attribution window; the rule used is returned so it can be stored with the conversion."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from shared.metrics.campaign import midnight

DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class CodeOwner:
    """Whose a promo or link code is, and when its campaign runs (and, for the conversion
    stored, the platform the code was given for and the campaign's currency)."""

    campaign_id: UUID
    creator_id: UUID
    starts_on: date | None
    ends_on: date | None
    platform: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Attributed:
    campaign_id: UUID
    creator_id: UUID
    rule: str  # promo_code | link_code
    owner: CodeOwner | None = None  # the code's owner, platform and campaign currency with it


def promo_key(code: str) -> str:
    """Promo codes are unique per organization ignoring case (and surrounding spaces)."""
    return code.strip().casefold()


def attribute(
    occurred_at: datetime,
    *,
    promo_code: str | None,
    link_code: str | None,
    promo_codes: Mapping[str, CodeOwner],
    links: Mapping[str, CodeOwner],
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Attributed | None:
    """Promo code first (looked up by `promo_key`), then link code; a code whose campaign's
    dates plus the window do not hold `occurred_at` does not count, and the next rule is tried."""
    candidates = (
        ("promo_code", promo_codes.get(promo_key(promo_code)) if promo_code else None),
        ("link_code", links.get(link_code.strip()) if link_code else None),
    )
    for rule, owner in candidates:
        if owner is not None and within(owner, occurred_at, window_days):
            return Attributed(owner.campaign_id, owner.creator_id, rule, owner)
    return None


def within(owner: CodeOwner, at: datetime, window_days: int) -> bool:
    """From 00:00 UTC on the first day to the end of the last day plus the window."""
    if owner.starts_on and at < midnight(owner.starts_on):
        return False
    if owner.ends_on:
        return at < midnight(owner.ends_on) + timedelta(days=1 + window_days)
    return True


def link_code_in(landing_site: str | None) -> str | None:
    """The tracking-link code in a shop's landing page (Shopify's `landing_site`, a path with
    its query, or a whole URL): the `utm_content` Sway puts on every tracked link."""
    if not landing_site:
        return None
    values = parse_qs(urlsplit(landing_site).query).get("utm_content")
    return values[0].strip() or None if values else None


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """An organization's table: one unit of `base` is `rates[X]` units of currency X."""

    base: str
    rates: Mapping[str, Decimal]

    def per_base(self, currency: str) -> Decimal | None:
        return Decimal(1) if currency == self.base else self.rates.get(currency)


def convert(
    amount: Decimal, currency: str, into: str, table: ExchangeRates | None
) -> tuple[Decimal, Decimal] | None:
    """`amount` in `into`, and the rate used (units of `into` per unit of `currency`); None when
    the table cannot convert it, so the amount is reported unconverted, never added as is."""
    if currency == into:
        return amount, Decimal(1)
    if table is None:
        return None
    source, target = table.per_base(currency), table.per_base(into)
    if not source or target is None:
        return None
    rate = target / source
    return amount * rate, rate
