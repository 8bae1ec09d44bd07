from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AliasPath,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from shared.metrics.tiers import Tier


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the organization every query is scoped to, and what the key may do."""

    org_id: UUID
    key_id: UUID
    scopes: frozenset[str]

    def allows(self, scope: Scope) -> bool:
        # admin keys can do everything; read and write are granted separately.
        return scope in self.scopes or Scope.admin in self.scopes


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    scopes: list[Scope] = Field(min_length=1, max_length=3)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret; shown only in this response.")


# Lowest first: each tier's lower bound must be above the one before it.
TIER_ORDER = (Tier.nano, Tier.micro, Tier.mid, Tier.macro, Tier.mega)


class TierBoundary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Literal["nano", "micro", "mid", "macro", "mega"]
    min_followers: int = Field(ge=1, le=10_000_000_000, description="The tier's lower bound.")


class TierPreset(BaseModel):
    """One of the presets of docs/metrics.md."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["default", "industry"]


class TierBoundaries(BaseModel):
    """The organization's own lower bounds; accounts below the lowest one are `emerging`."""

    model_config = ConfigDict(extra="forbid")

    boundaries: list[TierBoundary] = Field(min_length=1, max_length=len(TIER_ORDER))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        tiers = [Tier(b.tier) for b in self.boundaries]
        for tier in set(tiers):
            if tiers.count(tier) > 1:
                raise ValueError(f"tier {tier} appears more than once in `boundaries`")
        ordered = sorted(self.boundaries, key=lambda b: TIER_ORDER.index(Tier(b.tier)))
        bounds = [b.min_followers for b in ordered]
        if any(lower >= upper for lower, upper in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(
                "min_followers must rise with the tier (nano < micro < mid < macro < mega)"
            )
        self.boundaries = ordered
        return self


def _tier_way(value: object) -> str:
    if isinstance(value, dict):
        return "preset" if "preset" in value else "boundaries"
    return "preset" if isinstance(value, TierPreset) else "boundaries"


# Errors name the way the body was read: tiers.preset.* or tiers.boundaries.*.
TierSettings = Annotated[
    Annotated[TierPreset, Tag("preset")] | Annotated[TierBoundaries, Tag("boundaries")],
    Discriminator(_tier_way),
]


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    default_currency: str
    tiers: TierSettings = Field(
        default_factory=lambda: TierPreset(preset="default"),
        validation_alias=AliasPath("settings", "tiers"),
    )
    created_at: datetime


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiers: TierSettings | None = None
