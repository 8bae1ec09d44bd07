"""Webhook sources and deliveries signed by hand, as a marketplace (Standard Webhooks) or
Shopify would sign them: no Sway code computes the signatures here."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from shared.crypto import seal
from shared.models import WebhookEvent, WebhookSource

SHOPIFY_KEY = "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"  # the shape of an app's client secret
MARKETPLACE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def marketplace_delivery(
    secret: str,
    type: str,
    data: dict[str, Any],
    *,
    msg_id: str = "msg_1",
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    at = at or datetime.now(UTC)
    body = json.dumps({"type": type, "timestamp": at.isoformat(), "data": data}).encode()
    return body, standard_headers(secret, body, msg_id=msg_id, at=at)


def standard_headers(
    secret: str, body: bytes, *, msg_id: str = "msg_1", at: datetime | None = None
) -> dict[str, str]:
    timestamp = int((at or datetime.now(UTC)).timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, msg_id, timestamp, body),
    }


def shopify_hmac(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(
    key: str, body: bytes, *, topic: str, webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": shopify_hmac(key, body),
        "x-shopify-webhook-id": webhook_id,
        "x-shopify-shop-domain": "ada-coffee.myshopify.com",
        "x-shopify-api-version": "2025-01",
    }


async def create_source(
    session: AsyncSession,
    org_id: UUID,
    settings,
    *,
    kind: str = "marketplace",
    secret: str | None = None,
    **overrides: Any,
) -> tuple[WebhookSource, str]:
    secret = secret or (MARKETPLACE_SECRET if kind == "marketplace" else SHOPIFY_KEY)
    source = WebhookSource(
        org_id=org_id,
        kind=kind,
        name=overrides.pop("name", f"{kind} source"),
        secret_sealed=seal(secret, settings.secret_key.get_secret_value()),
        **overrides,
    )
    session.add(source)
    await session.commit()
    return source, secret


async def store_event(
    session: AsyncSession,
    source: WebhookSource,
    type: str,
    payload: dict[str, Any],
    *,
    external_id: str | None = None,
    received_at: datetime | None = None,
) -> WebhookEvent:
    """An event as the inbound endpoint stores it, without queueing its job (as if the process
    died between the commit and the enqueue). `payload` is the whole body for Shopify, `data`
    for a marketplace."""
    body = payload if source.kind == "shopify" else {"type": type, "data": payload}
    event = WebhookEvent(
        org_id=source.org_id,
        source_id=source.id,
        external_id=external_id or f"evt-{uuid4()}",
        type=type,
        headers={"content-type": "application/json"},
        body=json.dumps(body),
        status="pending",
        attempts=0,
        **({"received_at": received_at} if received_at else {}),
    )
    session.add(event)
    await session.commit()
    return event
