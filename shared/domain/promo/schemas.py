"""Promo codes of API.md: a creator's discount code for a campaign, matched to orders ignoring
case (docs/attribution.md)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.platforms.base import Platform

MAX_CODE_LENGTH = 64
# What shops accept in a discount code and survives a URL or a checkout form unchanged: ASCII
# letters and digits, and `-`, `_`, `.` inside. Surrounding spaces are stripped.
CODE_PATTERN = rf"^[A-Za-z0-9](?:[A-Za-z0-9_.\-]{{0,{MAX_CODE_LENGTH - 1}}})$"

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN
    ),
    Field(
        description="1-64 characters: ASCII letters, digits, and `-` `_` `.` after the first; "
        "unique in the organization ignoring case",
        examples=["ADA10"],
    ),
]


class PromoCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: UUID
    code: Code
    platform: Platform | None = Field(
        None, description="Where the creator shares the code; null: not tied to one platform"
    )


class PromoCodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID
    creator_id: UUID
    platform: Platform | None
    code: str
    created_at: datetime


class PromoCodeFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)
