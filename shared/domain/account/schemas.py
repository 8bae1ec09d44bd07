from datetime import datetime
from typing import Annotated, Any, Literal, Union
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared.domain.types import HANDLE_RULES, check_handle, printable, stripped
from shared.domain.vetting.schemas import Authenticity, Influence
from shared.platforms.base import Platform

ExternalId = stripped(200)


class _AccountFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    handle: str
    external_id: ExternalId | None = None

    @field_validator("handle")
    @classmethod
    def _platform_grammar(cls, value: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        if platform is None:  # already refused; its error says why
            return value
        return check_handle(platform, value)


# One model per platform, for the document: `platform` is the discriminator and `handle` carries
# that platform's grammar (HANDLE_RULES, the same check _AccountFields runs).
ACCOUNT_CREATE_BY_PLATFORM = {
    platform: create_model(
        f"AccountCreate_{platform.value}",
        __base__=_AccountFields,
        platform=(Literal[platform], ...),
        handle=(Annotated[str, Field(json_schema_extra=rule.json_schema())], ...),
    )
    for platform, rule in HANDLE_RULES.items()
}
_ACCOUNT_CREATE_UNION: Any = Annotated[
    Union[tuple(ACCOUNT_CREATE_BY_PLATFORM.values())],  # noqa: UP007
    Field(discriminator="platform"),
]


class AccountCreate(_AccountFields):
    """An account to add. Validated as one model (errors name `handle`, not the platform's
    variant); the document shows it as the union of ACCOUNT_CREATE_BY_PLATFORM."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(TypeAdapter(_ACCOUNT_CREATE_UNION).core_schema)


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
    influence_score: float | None
    influence: Influence = Field(default_factory=Influence)
    last_posted_at: datetime | None
    last_synced_at: datetime | None
    sync_status: str
    sync_error: str | None
    has_credentials: bool
    connection: "ConnectionRead"
    next_sync_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @field_validator("authenticity", "influence", mode="before")
    @classmethod
    def _none_is_unknown(cls, value: Any) -> Any:
        return value or {}


class ConnectionRead(BaseModel):
    """How the account's credentials came, never the credentials: `oauth` connections are
    refreshed by Sway before `token_expires_at` (docs/connecting.md)."""

    model_config = ConfigDict(from_attributes=True)

    via: str | None = Field(description="manual, oauth, or null with no credentials")
    token_expires_at: datetime | None
    token_refreshed_at: datetime | None
    scopes: list[str] | None


AccountRead.model_rebuild()


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
ExtraValue = Annotated[
    str,
    StringConstraints(max_length=1000),
    AfterValidator(_printable),
    Field(json_schema_extra={"pattern": printable(0, 1000)}),
]


def _extra_schema(schema: dict[str, Any]) -> None:
    # pydantic would put the key's pattern in patternProperties, which lets other keys through.
    (value,) = schema.pop("patternProperties", {}).values() or [schema["additionalProperties"]]
    schema["propertyNames"] = {"minLength": 1, "maxLength": 100, "pattern": printable(1, 100)}
    schema["additionalProperties"] = value


class CredentialsUpdate(BaseModel):
    """What Sway authenticates to the platform with for this account. Stored encrypted; never
    returned by the API."""

    # At least one secret: the document says so with anyOf, and set_credentials refuses the rest.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["access_token"]}, {"required": ["api_key"]}]},
    )

    # Optional, not nullable: absent means not sent, and null is refused (422).
    access_token: Token = None  # type: ignore[assignment]
    # The platform's id for the account (Instagram user id, Facebook Page id, ...), when the
    # account was added by handle alone and the platform's API needs the id.
    external_id: ExternalId | None = None
    api_key: Token = None  # type: ignore[assignment]
    extra: dict[ExtraKey, ExtraValue] = Field(
        default_factory=dict, max_length=20, json_schema_extra=_extra_schema
    )

    def has_secret(self) -> bool:
        return self.access_token is not None or self.api_key is not None
