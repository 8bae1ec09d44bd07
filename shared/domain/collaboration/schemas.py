import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from shared.domain.collaboration.stages import INITIAL
from shared.domain.types import Label, LongText, Money, deduplicated
from shared.models.status import CollaborationStage, CompensationModel

_RATE = r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$"


def _rate(value: Any) -> Any:
    # JSON numbers with a fraction are binary floats: refused rather than rounded, as for money.
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ValueError('send a rate with a fraction as a string, e.g. "0.1"')
    if isinstance(value, int | float) and value not in (0, 1):
        raise ValueError("a rate is between 0 and 1")
    if isinstance(value, str) and not re.search(_RATE, value):
        raise ValueError('a rate is 0 to 1 with up to 4 decimals, e.g. "0.1"')
    return value


# A share of attributed revenue: 0 to 1, up to four decimals ("0.1" is 10 %).
Rate = Annotated[
    Decimal,
    BeforeValidator(_rate),
    Field(ge=0, le=1, max_digits=5, decimal_places=4),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 1},
                {"type": "string", "pattern": _RATE},
            ],
            "examples": ["0.1"],
        }
    ),
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
]
DocumentUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s\x00]+$"),
    Field(examples=["https://contracts.example.com/ada-autumn.pdf"]),
]
InitialStage = Literal[tuple(stage.value for stage in INITIAL)]  # type: ignore[valid-type]


class FlatFee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: Literal[CompensationModel.flat_fee]
    fee: Money


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: Literal[CompensationModel.product]
    product_value: Money


class Commission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: Literal[CompensationModel.commission]
    commission_rate: Rate


# "At least two parts", said in the document too: one of these pairs is present.
_TWO_PARTS = {
    "anyOf": [
        {"required": ["fee", "product_value"]},
        {"required": ["fee", "commission_rate"]},
        {"required": ["product_value", "commission_rate"]},
    ]
}


class Hybrid(BaseModel):
    """Two or more parts. Absent parts are absent: a part is never sent as null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_TWO_PARTS)
    model: Literal[CompensationModel.hybrid]
    fee: Money = Field(None)  # type: ignore[assignment]
    product_value: Money = Field(None)  # type: ignore[assignment]
    commission_rate: Rate = Field(None)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _two_parts(self) -> Self:
        parts = [self.fee, self.product_value, self.commission_rate]
        if sum(part is not None for part in parts) < 2:
            raise ValueError(
                "a hybrid compensation has at least two of fee, product_value, commission_rate"
            )
        return self


Compensation = Annotated[FlatFee | Product | Commission | Hybrid, Field(discriminator="model")]


class CompensationRead(BaseModel):
    model: CompensationModel
    fee: Money | None
    product_value: Money | None
    commission_rate: Rate | None


Channels = Annotated[list[Label], Field(max_length=20), AfterValidator(deduplicated)]


class UsageRights(BaseModel):
    """Where and how long the brand may reuse the content. `exclusivity_days` counts only with
    `exclusivity: true` (otherwise it is stored as null); null durations mean "unlimited"."""

    model_config = ConfigDict(extra="forbid")
    channels: Channels = Field(default_factory=list)
    duration_days: int | None = Field(None, ge=1, le=36_500)
    exclusivity: bool = False
    exclusivity_days: int | None = Field(None, ge=1, le=36_500)

    @model_validator(mode="after")
    def _exclusivity_days_need_exclusivity(self) -> Self:
        if not self.exclusivity:
            self.exclusivity_days = None
        return self


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)
    signed_at: datetime | None = None
    document_url: DocumentUrl | None = None


class StageChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    stage: CollaborationStage
    at: datetime
    by: UUID | None = Field(description="The API key that made the move; null when Sway did")


class CollaborationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: UUID
    stage: InitialStage = CollaborationStage.prospect.value  # type: ignore[valid-type]
    compensation: Compensation | None = None
    usage_rights: UsageRights | None = None
    contract: Contract | None = None
    notes: LongText | None = None


class CollaborationUpdate(BaseModel):
    """PATCH body: only the fields sent change. `stage` makes one legal move; `compensation`,
    `usage_rights` and `contract`, when sent, replace the whole object (null clears it)."""

    model_config = ConfigDict(extra="forbid")

    stage: CollaborationStage = Field(None)  # type: ignore[assignment]
    compensation: Compensation | None = None
    usage_rights: UsageRights | None = None
    contract: Contract | None = None
    notes: LongText | None = None


class CollaborationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID
    creator_id: UUID
    stage: CollaborationStage
    compensation: CompensationRead | None
    usage_rights: UsageRights | None
    contract: Contract
    notes: str | None
    stage_history: list[StageChangeRead]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, collaboration) -> "CollaborationRead":
        compensation = None
        if collaboration.compensation_model is not None:
            compensation = CompensationRead(
                model=collaboration.compensation_model,
                fee=collaboration.fee,
                product_value=collaboration.product_value,
                commission_rate=collaboration.commission_rate,
            )
        return cls(
            id=collaboration.id,
            campaign_id=collaboration.campaign_id,
            creator_id=collaboration.creator_id,
            stage=collaboration.stage,
            compensation=compensation,
            usage_rights=collaboration.usage_rights,
            contract=Contract(
                signed_at=collaboration.contract_signed_at,
                document_url=collaboration.contract_document_url,
            ),
            notes=collaboration.notes,
            stage_history=collaboration.stage_history,
            created_at=collaboration.created_at,
            updated_at=collaboration.updated_at,
        )


class CollaborationFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: CollaborationStage | None = None
    creator_id: UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
