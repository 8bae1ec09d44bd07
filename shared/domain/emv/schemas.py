from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared.domain.emv import default_card
from shared.domain.emv.default_card import EmvMetric
from shared.domain.types import CurrencyCode, decimal, stripped
from shared.models import EmvRateCard
from shared.platforms.base import Platform

# Per unit of a count, so small: up to six decimals ("0.0065"), below a million.
RATE_DIGITS, RATE_PLACES = 12, 6
RateValue = decimal(RATE_DIGITS, RATE_PLACES, examples=["0.05"])
SourceText = stripped(2000)


def rate_text(value: Decimal) -> str:
    """A rate as the API and the stored card write it: plain decimal text, no trailing zeros."""
    return format(value.normalize(), "f")


RateText = Annotated[
    Decimal,
    PlainSerializer(rate_text, return_type=str, when_used="json"),
    Field(examples=["0.05"]),
]


class EmvRateCardCreate(BaseModel):
    """A PUT's body: the whole next version of the card. A platform left out of `rates` has no
    EMV value; a count left out of a platform's rates adds nothing to its EMV."""

    model_config = ConfigDict(extra="forbid")

    currency: CurrencyCode = Field(
        None,  # type: ignore[assignment]
        description="ISO 4217; when left out, the current card's currency (USD for the default)",
    )
    rates: dict[Platform, dict[EmvMetric, RateValue]] = Field(
        description="Per platform, the value of one unit of each count, in `currency`: integers "
        'or decimal text with up to 6 decimals ("0.0065"), 0 to 999999.999999'
    )
    sources: dict[Platform, SourceText] = Field(
        default_factory=dict,
        description="Per platform, where its rates come from; none when left out",
    )

    def rates_json(self) -> dict[str, dict[str, str]]:
        return {
            platform.value: {metric.value: rate_text(rate) for metric, rate in rates.items()}
            for platform, rates in self.rates.items()
        }

    def sources_json(self) -> dict[str, str]:
        return {platform.value: text for platform, text in self.sources.items()}


class EmvRateCardRead(BaseModel):
    version: int = Field(description="0 is the built-in default card; edits are 1, 2, …")
    currency: str
    rates: dict[str, dict[str, RateText]] = Field(
        description="platform -> count -> value of one unit, as decimal text"
    )
    sources: dict[str, str]
    default: bool = Field(description="Whether this is the built-in default card")
    created_at: datetime | None = Field(description="null for the default card")

    @classmethod
    def of(cls, card: EmvRateCard) -> "EmvRateCardRead":
        return cls._of(card.version, card.currency, card.rates, card.sources, card.created_at)

    @classmethod
    def builtin(cls) -> "EmvRateCardRead":
        return cls._of(
            default_card.DEFAULT_VERSION,
            default_card.DEFAULT_CURRENCY,
            default_card.RATES_JSON,
            default_card.SOURCES,
            None,
        )

    @classmethod
    def _of(
        cls,
        version: int,
        currency: str,
        rates: dict[str, Any],
        sources: dict[str, Any],
        created_at: datetime | None,
    ) -> "EmvRateCardRead":
        return cls(
            version=version,
            currency=currency,
            rates={p: {m: Decimal(r) for m, r in by.items()} for p, by in rates.items()},
            sources=dict(sources or {}),
            default=version == default_card.DEFAULT_VERSION,
            created_at=created_at,
        )


class EmvRateCardFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
