"""The inbound endpoint's work, and the inbox the admin API reads.

`receive` keeps the hot path short: the source's verifier (kept a few seconds, else one read of
only the columns verifying needs), the signature check, one insert. Anything that fails
verification is refused before a byte of it is stored, and logged without its body."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.db import RawReads, new_id
from shared.domain.pagination import Page, page_of
from shared.domain.webhook import repository
from shared.domain.webhook.processing import defer_processing
from shared.domain.webhook.repository import InboundSource, WebhookEventRepository
from shared.domain.webhook.schemas import WebhookEventFilters
from shared.domain.webhook.verifiers import Verifier, VerifierCache
from shared.errors import DomainError, NotFound
from shared.jobs import JobQueue
from shared.models import WebhookEvent
from shared.models.status import WebhookEventStatus, WebhookSourceKind
from shared.webhooks import signatures

log = structlog.get_logger()
# Kept out of the stored headers: credentials a proxy or client may add, never the sender's.
DROPPED_HEADERS = frozenset({"authorization", "cookie"})
MAX_EXTERNAL_ID = 255
MAX_TYPE = 100


class SignatureRefused(DomainError):
    status_code = 401
    code = "invalid_signature"
    title = "Invalid signature"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class BadRequest(DomainError):
    status_code = 400
    code = "bad_request"
    title = "Bad request"


class InvalidEvent(DomainError):
    status_code = 422
    code = "invalid_event"
    title = "Invalid event"


@dataclass(frozen=True, slots=True)
class Received:
    event_id: UUID
    external_id: str
    job_id: str | None  # None: a duplicate, nothing queued


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json"


def _verify(verifier: Verifier, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    secrets = verifier.secrets(now)
    if verifier.source.kind == WebhookSourceKind.shopify:
        signatures.verify_shopify(secrets, headers.get("x-shopify-hmac-sha256"), body)
    else:
        signatures.verify_standard(secrets, headers, body)


async def _verified(
    verifiers: VerifierCache,
    reads: RawReads,
    source_id: UUID | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    client: str,
    settings: Settings,
    now: datetime,
) -> InboundSource:
    """The source, once the call is shown to be signed by it (404, 415 and 401 otherwise)."""
    key = settings.secret_key.get_secret_value()
    verifier = await verifiers.get(reads, source_id, key) if source_id else None
    if verifier is None:
        raise NotFound(f"webhook source {source_id} not found")
    if not _is_json(headers.get("content-type")):
        raise UnsupportedMediaType("send the event as application/json")
    try:
        _verify(verifier, headers, body, now)
        return verifier.source
    except signatures.InvalidSignature as exc:
        refusal = exc
    if not verifier.fresh:  # what was kept may predate a rotation: ask the database
        verifier = await verifiers.get(reads, verifier.source.id, key, fresh=True)
        if verifier is None:
            raise NotFound(f"webhook source {source_id} not found")
        try:
            _verify(verifier, headers, body, now)
            return verifier.source
        except signatures.InvalidSignature as exc:
            refusal = exc
    log.warning("webhook refused", source_id=str(source_id), reason=refusal.reason, client=client)
    raise SignatureRefused(f"signature refused: {refusal.reason}") from refusal


def _document(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        text = body.decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent("the body is not JSON") from exc
    if not isinstance(document, dict):
        raise InvalidEvent("the body is not a JSON object")
    return text, document


def _header(headers: Mapping[str, str], name: str) -> str:
    value = (headers.get(name) or "").strip()
    if not value:
        raise BadRequest(f"missing {name} header")
    if len(value) > MAX_EXTERNAL_ID:
        raise BadRequest(f"{name} is longer than {MAX_EXTERNAL_ID} characters")
    return value


def _identity(kind: str, headers: Mapping[str, str], document: dict[str, Any]) -> tuple[str, str]:
    """The sender's event id and the event's type."""
    if kind == WebhookSourceKind.shopify:
        external_id = _header(headers, "x-shopify-webhook-id")
        topic = _header(headers, "x-shopify-topic")
        return external_id, topic[:MAX_TYPE]
    external_id = _header(headers, "webhook-id")
    type = document.get("type")
    if not isinstance(type, str) or not type.strip() or len(type) > MAX_TYPE:
        raise InvalidEvent(f"`type` must be a string of 1 to {MAX_TYPE} characters")
    return external_id, type.strip()


async def receive(
    reads: RawReads,
    source_id: UUID | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    verifiers: VerifierCache,
    jobs: JobQueue,
    client: str,
    settings: Settings,
    now: datetime,
) -> Received:
    """Verify and store one delivery, its processing deferred on `jobs` (the caller flushes
    them once this returns: the insert is committed by then, being one autocommitted
    statement). `headers` are lower-cased names; `source_id` None is a malformed id."""
    source = await _verified(
        verifiers, reads, source_id, headers, body, client=client, settings=settings, now=now
    )
    text, document = _document(body)
    external_id, type = _identity(source.kind, headers, document)
    kept = {name: value for name, value in headers.items() if name not in DROPPED_HEADERS}
    event_id = await repository.store_event(
        reads, source, external_id=external_id, type=type, headers=kept, body=text
    )
    if event_id is None:  # seen before: answer as the first time did, change nothing
        existing = await repository.event_id_of(reads, source.id, external_id)
        assert existing is not None
        return Received(existing, external_id, None)
    job_id = defer_processing(jobs, event_id, attempts=0)
    return Received(event_id, external_id, job_id)


async def get_event(session: AsyncSession, org_id: UUID, event_id: UUID) -> WebhookEvent:
    event = await WebhookEventRepository(session, org_id).get(event_id)
    if event is None:
        raise NotFound(f"webhook event {event_id} not found")
    return event


async def list_events(
    session: AsyncSession, org_id: UUID, filters: WebhookEventFilters
) -> Page[WebhookEvent]:
    rows = await WebhookEventRepository(session, org_id).page(filters)
    return page_of(rows, filters.limit, lambda e: (e.received_at, e.id))


async def replay(session: AsyncSession, org_id: UUID, event_id: UUID) -> str:
    """Process the event again, whatever its status, with a full set of tries. Its effects are
    idempotent, so replaying a processed event changes nothing."""
    event = await get_event(session, org_id, event_id)
    event.status = WebhookEventStatus.pending
    event.attempts = 0
    event.next_attempt_at = None
    await session.flush()
    return defer_processing(JobQueue.of(session), event.id, replay=new_id())
