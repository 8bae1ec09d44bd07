"""Conversions as the API lists them: what the source reported, how it was attributed, and the
rate it was converted at (docs/attribution.md)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared.models.status import AttributionRule, ConversionKind

MoneyText = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
]
RateText = Annotated[
    Decimal,
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
]


class ConversionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: ConversionKind
    source_id: UUID
    event_id: UUID | None
    external_id: str = Field(description="The order's, lead's or refund's id at the source")
    purchase_id: UUID | None = Field(description="A refund's purchase")
    occurred_at: datetime
    amount: MoneyText | None = Field(description="As reported, in `currency`; null for a lead")
    currency: str | None
    promo_code: str | None
    link_code: str | None
    campaign_id: UUID | None
    creator_id: UUID | None
    platform: str | None = Field(description="The code's or link's platform, if it names one")
    attributed_by: AttributionRule | None = Field(description="The rule that matched")
    converted_amount: MoneyText | None = Field(
        description="In the campaign's currency; null when no rate was known (not counted)"
    )
    converted_currency: str | None
    exchange_rate: RateText | None = Field(
        description="Units of `converted_currency` per unit of `currency`, as used"
    )
    created_at: datetime


class ConversionFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ConversionKind | None = None
    creator_id: UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
