"""Read models of vetting (docs/vetting.md): an account's authenticity and an account's or a
creator's influence, as stored in their JSONB columns and returned by the API, and the
organization's engagement benchmarks."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.types import stripped
from shared.metrics.tiers import Tier
from shared.platforms.base import Platform

# Stripped, not blank, no NUL (Postgres text refuses it).
Definition = stripped(40)
SourceText = stripped(2000)


class Signal(BaseModel):
    """One vetting signal that fired, with its reason in words and in numbers."""

    code: str = Field(
        description="low_engagement_for_tier, implausible_engagement, follower_spike or "
        "comment_like_ratio"
    )
    detail: str = Field(description="The reason, with the numbers it was decided on")
    value: float | None = Field(None, description="The measured figure the signal compared")
    threshold: float | None = Field(
        None, description="The bound it crossed (for a band, the bound on the side it left)"
    )
    penalty: float | None = Field(None, description="Points taken off the score of 100")


class Authenticity(BaseModel):
    """How genuine an account's audience and engagement look, from Sway's own history of it."""

    score: float | None = Field(
        None,
        description="0-100; null when there is too little history to judge "
        "(insufficient_history says what is missing) or the account was never computed",
    )
    signals: list[Signal] = Field(default_factory=list, description="The signals that fired")
    insufficient_history: list[str] = Field(
        default_factory=list,
        description="What is missing for a score (e.g. fewer than 3 settled posts); empty when "
        "the score was computed",
    )
    unchecked: list[str] = Field(
        default_factory=list,
        description="Signals that could not be checked (e.g. no likes reported); the score "
        "stands on the others",
    )
    reason: str | None = Field(
        None, description="insufficient_history when the score is null for want of history"
    )
    computed_at: datetime | None = None


class InfluenceComponent(BaseModel):
    """One part of an influence score."""

    name: str = Field(
        description="An account's: engagement, authenticity, consistency, growth, niche_fit. "
        "A creator's: one per scored account, named platform:handle"
    )
    account_id: UUID | None = Field(None, description="A creator's component: the account")
    value: float | None = Field(
        description="The raw figure scored (a rate, a score, a coefficient of variation, a "
        "growth, a share; for a creator's component, the account's followers)"
    )
    score: float = Field(ge=0, le=100)
    weight: float = Field(description="The component's share of the total, after renormalizing")
    reason: str


class Influence(BaseModel):
    """A 0-100 influence score with its components; missing components are left out and the
    remaining weights renormalized to sum to 1 (`missing` names them)."""

    score: float | None = Field(None, description="0-100; null when no component is known")
    components: list[InfluenceComponent] = Field(default_factory=list)
    missing: list[str] = Field(
        default_factory=list, description="Components left out for want of data, with why"
    )
    computed_at: datetime | None = None


class BenchmarkRow(BaseModel):
    """An organization's override of one (platform, tier) benchmark."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    tier: Tier
    engagement_rate: float = Field(
        gt=0, le=1, description="A fraction: 0.035 is 3.5 % of followers"
    )
    definition: Definition = Field(
        "engagements/followers",
        description="How the rate is defined; Sway's account rate is engagements/followers",
    )
    source: SourceText = Field("organization", description="Where the value comes from")


class BenchmarksUpdate(BaseModel):
    """A PUT's body: the organization's overrides as a whole; an empty list restores the
    defaults. Each (platform, tier) at most once."""

    model_config = ConfigDict(extra="forbid")

    benchmarks: list[BenchmarkRow] = Field(max_length=200)

    @model_validator(mode="after")
    def _each_pair_once(self) -> "BenchmarksUpdate":
        seen: set[tuple[str, str]] = set()
        for row in self.benchmarks:
            pair = (row.platform.value, row.tier.value)
            if pair in seen:
                raise ValueError(f"{pair[0]}/{pair[1]} is given more than once")
            seen.add(pair)
        return self


class BenchmarkRead(BaseModel):
    platform: str
    tier: str
    engagement_rate: float
    definition: str
    source: str
    custom: bool = Field(description="Whether the organization replaced the default")


class BenchmarksRead(BaseModel):
    benchmarks: list[BenchmarkRead]


def stored(value: Any) -> Any:
    """A JSONB column's value for a read model: null (never computed) reads as empty."""
    return value or {}
