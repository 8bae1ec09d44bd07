"""What a webhook source reports about a sale or a lead, once its payload is read (a marketplace's
`order.created`, a Shopify order, ...): the conversion service's input, whatever the sender."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    amount: Decimal
    currency: str  # ISO 4217, upper case
    occurred_at: datetime
    # Every code the order carries, in the order given (Shopify's `discount_codes`); the first
    # that is one of the organization's promo codes attributes it.
    promo_codes: tuple[str, ...] = ()
    link_code: str | None = None


@dataclass(frozen=True, slots=True)
class Lead:
    lead_id: str
    occurred_at: datetime
    promo_codes: tuple[str, ...] = ()
    link_code: str | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    refund_id: str  # unique per source: Shopify's refund id, or the event id for a marketplace
    order_id: str
    amount: Decimal  # in the order's currency
    occurred_at: datetime
    currency: str | None = None  # when the sender states it; must then match the order's
