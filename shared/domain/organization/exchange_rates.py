"""The organization's exchange-rate table (API.md, "Exchange rates"): one unit of `base` is
`rates[X]` units of currency X. Attribution converts an order in another currency than its
campaign's with it and stores the rate it used; without a rate the order stays unconverted.
Kept in the organization's settings: it is small, and a conversion keeps its own rate."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.organization import service as organization_service
from shared.domain.types import CurrencyCode, decimal
from shared.metrics.attribution import ExchangeRates

MAX_RATES = 200
RateValue = decimal(20, 10, examples=["0.92"])
RateText = Annotated[
    Decimal,
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
]


class ExchangeRatesUpdate(BaseModel):
    """The whole table; a PUT replaces it."""

    model_config = ConfigDict(extra="forbid")

    base: CurrencyCode
    rates: dict[CurrencyCode, RateValue] = Field(
        max_length=MAX_RATES,
        description="Per ISO 4217 code, how many units of it one unit of `base` buys: above 0, "
        'an integer or decimal text with up to 10 decimals ("0.92")',
        json_schema_extra={"additionalProperties": False},
    )

    @model_validator(mode="before")
    @classmethod
    def _codes_once(cls, data: Any) -> Any:
        rates = data.get("rates") if isinstance(data, dict) else None
        if isinstance(rates, dict):
            codes = [code.upper() for code in rates if isinstance(code, str)]
            for code in set(codes):
                if codes.count(code) > 1:
                    raise ValueError(f"currency {code} appears more than once in `rates`")
        return data

    @model_validator(mode="after")
    def _sensible(self) -> Self:
        if self.base in self.rates:
            raise ValueError(f"`rates` must not list the base currency {self.base} (it is 1)")
        if zero := sorted(code for code, rate in self.rates.items() if rate == 0):
            raise ValueError(f"a rate must be above 0: {', '.join(zero)}")
        return self


class ExchangeRatesRead(BaseModel):
    base: str
    rates: dict[str, RateText]
    updated_at: datetime | None = Field(description="null until the table is first written")


async def read(session: AsyncSession, org_id: UUID) -> ExchangeRatesRead:
    """The table, or an empty one in the organization's default currency."""
    organization = await organization_service.get_organization(session, org_id)
    stored = (organization.settings or {}).get("exchange_rates")
    if stored is None:
        return ExchangeRatesRead(base=organization.default_currency, rates={}, updated_at=None)
    return ExchangeRatesRead.model_validate(stored)


async def table(session: AsyncSession, org_id: UUID) -> ExchangeRates:
    """The table as attribution converts with it."""
    current = await read(session, org_id)
    return ExchangeRates(current.base, dict(current.rates))


async def replace(
    session: AsyncSession, org_id: UUID, data: ExchangeRatesUpdate
) -> ExchangeRatesRead:
    organization = await organization_service.get_organization(session, org_id)
    stored = ExchangeRatesRead(
        base=data.base, rates=dict(sorted(data.rates.items())), updated_at=datetime.now(UTC)
    )
    # A new dict, so the JSONB column is seen as changed.
    settings = {**(organization.settings or {}), "exchange_rates": stored.model_dump(mode="json")}
    organization.settings = settings
    await session.flush()
    return stored
