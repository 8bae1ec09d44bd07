from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.domain.types import check_handle
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
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None

    @field_validator("handle")
    @classmethod
    def _platform_grammar(cls, value: str, info: ValidationInfo) -> str:
        handle = value.removeprefix("@")
        platform = info.data.get("platform")
        if platform is None:  # already refused; its error says why
            return handle
        return check_handle(platform, handle)


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


def _printable(value: str) -> str:
    # Sent on to platforms in headers and query strings: no controls, no line breaks.
    if not value.isprintable():
        raise ValueError("must be printable text (no control characters or line breaks)")
    return value


# RFC 6750 b64token, the characters a Bearer credential may have, plus "%": X's app-only Bearer
# tokens are issued percent-encoded and used as such. All are safe in an HTTP header.
Token = Annotated[
    str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[A-Za-z0-9\-._~+/%]+=*$")
]
ExtraKey = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(_printable)
]
ExtraValue = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_printable)]


class CredentialsUpdate(BaseModel):
    """What Sway authenticates to the platform with for this account. Stored encrypted; never
    returned by the API."""

    model_config = ConfigDict(extra="forbid")

    access_token: Token | None = None
    # The platform's id for the account (Instagram user id, Facebook Page id, ...), when the
    # account was added by handle alone and the platform's API needs the id.
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    api_key: Token | None = None
    extra: dict[ExtraKey, ExtraValue] = Field(default_factory=dict, max_length=20)

    def has_secret(self) -> bool:
        return self.access_token is not None or self.api_key is not None
