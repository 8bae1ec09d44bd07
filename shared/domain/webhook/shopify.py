"""What a Shopify shop's webhooks do: `orders/create` and `orders/paid` record the order as a
purchase (the same order id twice is one purchase: the conversion service is idempotent per
source and order), `refunds/create` records a refund against it. Any other topic is stored and
`ignored`.

Read from an order: `id`, `created_at`, `total_price` (a decimal string) in `currency`, every
`discount_codes[].code` (matched to promo codes), and the link code in `landing_site`'s
`utm_content`. From a refund: `id`, `order_id`, `created_at`, and the money actually returned:
the sum of its `transactions` of `kind: refund` with `status: success` (`amount` strings, in
their `currency`)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.conversion.commands import Order, Refund
from shared.domain.webhook import conversions
from shared.domain.webhook.conversions import utc
from shared.domain.webhook.processing import Unprocessable
from shared.metrics.attribution import link_code_in
from shared.models import WebhookEvent
from shared.models.status import WebhookEventStatus

MAX_CODES = 20
# What a conversion keeps of its codes: longer ones cannot be Sway's, so they attribute nothing.
MAX_PROMO_CODE = 64
MAX_LINK_CODE = 32


def _field(payload: dict[str, Any], name: str) -> Any:
    value = payload.get(name)
    if value is None or value == "":
        raise Unprocessable(f"the payload has no `{name}`")
    return value


def _id(payload: dict[str, Any], name: str) -> str:
    value = _field(payload, name)
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 255:
        raise Unprocessable(f"`{name}` is not an id")
    return str(value)


def _money(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise Unprocessable(f"`{name}` is not an amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise Unprocessable(f"`{name}` is not an amount: {value!r}")
    return amount


def _time(payload: dict[str, Any], name: str) -> datetime:
    try:
        return utc(datetime.fromisoformat(str(_field(payload, name))))
    except ValueError as exc:
        raise Unprocessable(f"`{name}` is not a timestamp") from exc


def _currency(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise Unprocessable(f"`{name}` is not an ISO 4217 code")
    return value.strip().upper()


def _fits(code: str | None, length: int) -> bool:
    return bool(code) and len(code) <= length and "\x00" not in code  # type: ignore[arg-type]


def read_order(payload: dict[str, Any]) -> Order:
    codes = payload.get("discount_codes") or []
    if not isinstance(codes, list):
        raise Unprocessable("`discount_codes` is not a list")
    promo_codes = tuple(
        code
        for entry in codes[:MAX_CODES]
        if isinstance(entry, dict)
        and _fits(code := str(entry.get("code") or "").strip(), MAX_PROMO_CODE)
    )
    landing_site = payload.get("landing_site")
    link_code = link_code_in(landing_site if isinstance(landing_site, str) else None)
    return Order(
        order_id=_id(payload, "id"),
        amount=_money(_field(payload, "total_price"), "total_price"),
        currency=_currency(payload.get("currency"), "currency"),
        occurred_at=_time(payload, "created_at"),
        promo_codes=promo_codes,
        link_code=link_code if _fits(link_code, MAX_LINK_CODE) else None,
    )


def read_refund(payload: dict[str, Any]) -> Refund | None:
    """None for a refund that returned no money (a restock only, or failed transactions)."""
    transactions = payload.get("transactions") or []
    if not isinstance(transactions, list):
        raise Unprocessable("`transactions` is not a list")
    paid = [
        t
        for t in transactions
        if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status") == "success"
    ]
    if not paid:
        return None
    currencies = {_currency(t.get("currency"), "transactions[].currency") for t in paid}
    if len(currencies) > 1:
        raise Unprocessable("the refund's transactions are in several currencies")
    amount = sum((_money(t.get("amount"), "transactions[].amount") for t in paid), start=Decimal(0))
    if amount == 0:
        return None
    return Refund(
        refund_id=_id(payload, "id"),
        order_id=_id(payload, "order_id"),
        amount=amount,
        occurred_at=_time(payload, "created_at"),
        currency=currencies.pop(),
    )


async def order_placed(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    await conversions.order(session, event, read_order(payload), now=now)
    return WebhookEventStatus.processed


async def refund_created(
    session: AsyncSession, event: WebhookEvent, payload: dict[str, Any], now: datetime
) -> str:
    refund = read_refund(payload)
    if refund is None:
        return WebhookEventStatus.ignored
    await conversions.refund(session, event, refund, now=now)
    return WebhookEventStatus.processed


HANDLERS: dict[str, Callable[..., Awaitable[str]]] = {
    "orders/create": order_placed,
    "orders/paid": order_placed,
    "refunds/create": refund_created,
}
