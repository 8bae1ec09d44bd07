from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from shared.domain.events.catalogue import NAMES
from shared.domain.types import LongText
from shared.models.status import DeliveryStatus, SubscriptionStatus

_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# http(s), a host name or IP address (IPv6 in brackets), an optional port, then printable ASCII
# (anything else is percent-encoded in a URL). No credentials: the signature is the auth.
TARGET = (
    r"^https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])"
    rf"(:{_PORT})?([/?#][!-~]*)?$"
)
TargetUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=TARGET),
    Field(examples=["https://hooks.example.com/sway"]),
]


def _known(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"unknown event type {name!r} (known: {', '.join(NAMES)})")
    return name


EventName = Annotated[
    str,
    AfterValidator(_known),
    WithJsonSchema({"type": "string", "enum": list(NAMES)}),
]
# A set: repeats are harmless, and dropped.
Events = Annotated[
    list[EventName],
    Field(min_length=1, max_length=50, examples=[["post.captured", "campaign.goal_reached"]]),
    AfterValidator(lambda events: list(dict.fromkeys(events))),
]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: TargetUrl
    events: Events
    description: LongText | None = None


class SubscriptionUpdate(BaseModel):
    """PATCH body: only the fields sent change. `status: active` re-enables a disabled
    subscription (its run of failures and the reason are cleared)."""

    model_config = ConfigDict(extra="forbid")

    url: TargetUrl = Field(None)  # type: ignore[assignment]
    events: Events = Field(None)  # type: ignore[assignment]
    description: LongText | None = None
    status: SubscriptionStatus = Field(None)  # type: ignore[assignment]


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    url: str
    events: list[str]
    description: str | None
    status: SubscriptionStatus
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int = Field(
        description="Deliveries that ended failed in a row; any success resets it"
    )
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description="The Standard Webhooks signing secret (whsec_...): shown only here"
    )


class SecretRotated(BaseModel):
    id: UUID
    secret: str = Field(description="The new signing secret, in force at once: shown only here")


class SubscriptionFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    subscription_id: UUID
    event_type: str
    message_id: str = Field(description="The webhook-id the receiver sees, the same every attempt")
    status: DeliveryStatus
    attempts: int = Field(description="Attempts in the current round (a redelivery starts one)")
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int | None


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any]
    attempt_log: list[DeliveryAttemptRead] = Field(description="Every HTTP attempt, oldest first")


class DeliveryFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus | None = None
    event_type: EventName | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class Redelivery(BaseModel):
    job_id: str
    status: str = "queued"
    delivery_id: UUID
