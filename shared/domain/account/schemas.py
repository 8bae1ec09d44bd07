from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.platforms.base import Platform


class Signal(BaseModel):
    code: str
    detail: str


class Authenticity(BaseModel):
    score: float | None = None
    signals: list[Signal] = []


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    handle: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )

    @field_validator("handle")
    @classmethod
    def _no_at(cls, value: str) -> str:
        handle = value.lstrip("@")
        if not handle or any(ch.isspace() for ch in handle):
            raise ValueError("a handle has no spaces (a leading @ is fine)")
        return handle


class AccountSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    platform: str
    handle: str
    url: str | None
    followers: int | None
    tier: str | None
    engagement_rate: float | None
    sync_status: str


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    creator_id: UUID
    platform: str
    handle: str
    external_id: str | None
    url: str | None
    followers: int | None
    following: int | None
    posts_count: int | None
    tier: str | None
    engagement_rate: float | None
    authenticity: Authenticity = Field(default_factory=Authenticity)
    last_synced_at: datetime | None
    sync_status: str
    sync_error: str | None
    has_credentials: bool
    next_sync_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @field_validator("authenticity", mode="before")
    @classmethod
    def _none_is_unknown(cls, value: Any) -> Any:
        return value or {}


class AccountSnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    captured_at: datetime
    followers: int | None
    following: int | None
    posts_count: int | None


class CredentialsUpdate(BaseModel):
    """What Sway authenticates to the platform with for this account. Stored encrypted; never
    returned by the API."""

    model_config = ConfigDict(extra="forbid")

    access_token: Annotated[str, StringConstraints(min_length=1, max_length=4000)] | None = None
    # The platform's id for the account (Instagram user id, Facebook Page id, ...), when the
    # account was added by handle alone and the platform's API needs the id.
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    api_key: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    extra: dict[
        Annotated[str, StringConstraints(max_length=100)],
        Annotated[str, StringConstraints(max_length=1000)],
    ] = Field(default_factory=dict, max_length=20)

    def has_secret(self) -> bool:
        return self.access_token is not None or self.api_key is not None
