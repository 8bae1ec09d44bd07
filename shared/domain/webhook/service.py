"""Webhook sources: who may call /webhooks/{id}, and the secret their calls are signed with.

Secrets are sealed under SWAY_SECRET_KEY. A marketplace's is made here (Standard Webhooks,
`whsec_...`) and shown once; a Shopify shop's is the key Shopify issued, given to Sway and never
shown back. A rotation keeps the previous secret verifying for a grace period."""

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.crypto import seal
from shared.domain.pagination import Page, page_of
from shared.domain.webhook.repository import WebhookSourceRepository
from shared.domain.webhook.schemas import (
    MAX_GRACE_S,
    SecretRotation,
    ShopifySourceCreate,
    WebhookSourceCreate,
    WebhookSourceCreated,
    WebhookSourceFilters,
    WebhookSourceRead,
    WebhookSourceUpdate,
)
from shared.errors import Conflict, NotFound
from shared.models import WebhookSource
from shared.models.status import WebhookSourceKind
from shared.webhooks import signatures


def url_of(settings: Settings, source_id: UUID) -> str:
    return f"{settings.public_url}/webhooks/{source_id}"


def read(source: WebhookSource, settings: Settings) -> WebhookSourceRead:
    return WebhookSourceRead(
        id=source.id,
        kind=source.kind,
        name=source.name,
        url=url_of(settings, source.id),
        previous_secret_expires_at=source.previous_secret_expires_at,
        disabled_at=source.disabled_at,
        created_at=source.created_at,
        updated_at=source.updated_at,
    )


def _rotated_secret(kind: WebhookSourceKind, given: str | None) -> str:
    """A marketplace's next secret is made here; a shop's is Shopify's, so it must be given."""
    if kind == WebhookSourceKind.shopify:
        if given is None:
            raise Conflict(
                "a shopify source's new secret is Shopify's: send it as `secret` (the app's "
                "client secret, or the key under Settings > Notifications > Webhooks)"
            )
        return given
    if given is not None:
        raise Conflict("a marketplace source's secret is made by Sway; omit `secret`")
    return signatures.new_secret()


async def create(
    session: AsyncSession, org_id: UUID, data: WebhookSourceCreate, *, settings: Settings
) -> WebhookSourceCreated:
    if isinstance(data, ShopifySourceCreate):
        secret = data.secret.get_secret_value()
    else:
        secret = signatures.new_secret()
    repository = WebhookSourceRepository(session, org_id)
    source = repository.add(
        WebhookSource(
            kind=data.kind,
            name=data.name,
            secret_sealed=seal(secret, settings.secret_key.get_secret_value()),
        )
    )
    await repository.flush()
    return _created(source, secret, settings)


def _created(source: WebhookSource, secret: str, settings: Settings) -> WebhookSourceCreated:
    shown = secret if source.kind == WebhookSourceKind.marketplace else None
    return WebhookSourceCreated(**read(source, settings).model_dump(), secret=shown)


async def get(session: AsyncSession, org_id: UUID, source_id: UUID) -> WebhookSource:
    source = await WebhookSourceRepository(session, org_id).get(source_id)
    if source is None:
        raise NotFound(f"webhook source {source_id} not found")
    return source


async def list_page(
    session: AsyncSession, org_id: UUID, filters: WebhookSourceFilters
) -> Page[WebhookSource]:
    rows = await WebhookSourceRepository(session, org_id).page(filters)
    return page_of(rows, filters.limit, lambda s: (s.created_at, s.id))


async def update(
    session: AsyncSession, org_id: UUID, source_id: UUID, data: WebhookSourceUpdate
) -> WebhookSource:
    source = await get(session, org_id, source_id)
    source.name = data.name
    await session.flush()
    return source


async def disable(session: AsyncSession, org_id: UUID, source_id: UUID, *, now: datetime) -> None:
    """Its URL answers 404 from now on; its events stay in the inbox. Disabling twice is fine."""
    source = await get(session, org_id, source_id)
    if source.disabled_at is None:
        source.disabled_at = now
        await session.flush()


async def rotate_secret(
    session: AsyncSession,
    org_id: UUID,
    source_id: UUID,
    data: SecretRotation,
    *,
    settings: Settings,
    now: datetime,
) -> WebhookSourceCreated:
    """A new secret; the one it replaces keeps verifying for `grace_s` (a rotation during a
    grace period ends the older secret's at once: two secrets at most verify)."""
    source = await get(session, org_id, source_id)
    if source.disabled_at is not None:
        raise Conflict(f"webhook source {source_id} is disabled")
    given = data.secret.get_secret_value() if data.secret else None
    secret = _rotated_secret(WebhookSourceKind(source.kind), given)
    grace_s = data.grace_s
    if grace_s is None:
        grace_s = min(settings.webhook_secret_grace_s, MAX_GRACE_S)
    if grace_s > 0:
        source.previous_secret_sealed = source.secret_sealed
        source.previous_secret_expires_at = now + timedelta(seconds=grace_s)
    else:
        source.previous_secret_sealed = None
        source.previous_secret_expires_at = None
    source.secret_sealed = seal(secret, settings.secret_key.get_secret_value())
    await session.flush()
    return _created(source, secret, settings)
