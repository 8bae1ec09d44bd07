"""Webhook sources and the inbox, as the admin API reads and writes them."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.domain.types import Name
from shared.models.status import WebhookEventStatus, WebhookSourceKind

# How long a rotated secret may keep verifying: a week covers any sender's deploy cycle; longer
# would leave a leaked secret valid for too long.
MAX_GRACE_S = 7 * 24 * 3600


class MarketplaceSourceCreate(BaseModel):
    """A marketplace signing with Standard Webhooks: Sway makes its secret and shows it once."""

    model_config = ConfigDict(extra="forbid", title="MarketplaceSourceCreate")

    kind: Literal[WebhookSourceKind.marketplace]
    name: Name


class ShopifySourceCreate(BaseModel):
    """A Shopify shop signs with a key Shopify issues (the app's client secret, or the key on
    the shop admin's Settings > Notifications > Webhooks page): send it as `secret`; it is
    stored sealed and never shown back."""

    model_config = ConfigDict(extra="forbid", title="ShopifySourceCreate")

    kind: Literal[WebhookSourceKind.shopify]
    name: Name
    secret: SecretStr = Field(min_length=16, max_length=255, description="Shopify's signing key")


WebhookSourceCreate = Annotated[
    MarketplaceSourceCreate | ShopifySourceCreate, Field(discriminator="kind")
]


class WebhookSourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_s: int | None = Field(
        None,
        ge=0,
        le=MAX_GRACE_S,
        description="How long the previous secret keeps verifying (default "
        "SWAY_WEBHOOK_SECRET_GRACE_S, at most 7 days; 0 ends it at once)",
    )
    secret: SecretStr | None = Field(
        None,
        min_length=16,
        max_length=255,
        description="The new signing key, required for a `shopify` source (Shopify issues it); "
        "refused for `marketplace` (409 either way: it depends on the source's kind)",
    )


class WebhookSourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: WebhookSourceKind
    name: str
    url: str = Field(description="Where the sender posts its events")
    previous_secret_expires_at: datetime | None = Field(
        description="Until when the secret before the last rotation still verifies"
    )
    disabled_at: datetime | None = Field(description="Set by DELETE: the URL answers 404 since")
    created_at: datetime
    updated_at: datetime


class WebhookSourceCreated(WebhookSourceRead):
    secret: str | None = Field(
        description="The signing secret (`whsec_...`), shown only in this answer; null for a "
        "`shopify` source, whose key Shopify issued"
    )


class WebhookSourceFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: WebhookSourceKind | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class WebhookEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    source_id: UUID
    external_id: str = Field(description="The sender's event id (`webhook-id`, Shopify's id)")
    type: str
    status: WebhookEventStatus
    attempts: int
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None
    next_attempt_at: datetime | None


class WebhookEventDetail(WebhookEventRead):
    headers: dict[str, Any] = Field(description="As received, but for `authorization` and `cookie`")
    body: str = Field(description="The raw body, exactly as received")


class WebhookEventFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: WebhookEventStatus | None = None
    source_id: UUID | None = None
    type: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class EventAccepted(BaseModel):
    """The inbound endpoint's answer: 202 for a new event (stored, its processing queued), 200
    for one seen before from this source (nothing changed)."""

    id: UUID = Field(description="The event in Sway's inbox (GET /v1/webhook-events/{id})")
    external_id: str
    status: Literal["accepted", "duplicate"]
    job_id: str | None = Field(description="The processing job queued; null for a duplicate")


class ReplayAccepted(BaseModel):
    id: UUID
    job_id: str
    status: Literal["queued"] = "queued"
