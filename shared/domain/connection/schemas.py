from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl


def _https_or_local(url: HttpUrl) -> HttpUrl:
    if url.scheme != "https" and url.host not in ("localhost", "127.0.0.1"):
        raise ValueError("must be an https URL (http only for localhost)")
    return url


ReturnUrl = Annotated[HttpUrl, AfterValidator(_https_or_local)]


class ConnectStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_url: ReturnUrl | None = Field(
        None,
        description="Where the browser lands afterwards; must start with SWAY_OAUTH_RETURN_URL. "
        "Defaults to SWAY_OAUTH_RETURN_URL, or Sway's own result page.",
    )


class ConnectLinkCreate(ConnectStart):
    expires_in_s: int | None = Field(
        None, ge=300, le=30 * 24 * 3600, description="Defaults to SWAY_CONNECT_LINK_TTL_S."
    )


class AuthorizationRead(BaseModel):
    account_id: UUID
    platform: str
    authorization_url: str = Field(description="Send the person's browser here.")
    expires_at: datetime = Field(description="The flow must come back to Sway before this.")
    scopes: list[str]


class ConnectLinkRead(BaseModel):
    id: UUID
    account_id: UUID
    platform: str
    url: str = Field(description="Send this to the creator; it needs no Sway API key.")
    expires_at: datetime


class CallbackRead(BaseModel):
    """Sway's own result page, when no return URL is set."""

    status: str = Field(description="connected")
    account_id: UUID
    platform: str
    handle: str
    external_id: str | None
    token_expires_at: datetime | None
    scopes: list[str] | None
