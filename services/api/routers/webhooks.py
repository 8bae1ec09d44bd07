"""Webhooks in: the sources that may call Sway back (admin), the endpoint they call (no API key:
the signature is the auth), and the inbox of what they sent (admin)."""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from services.api.bare_route import BareRoute
from services.api.deps import (
    Admin,
    JobsDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    client_address,
    parse_id,
)
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.pagination import PageRead
from shared.domain.webhook import inbox
from shared.domain.webhook import service as source_service
from shared.domain.webhook.schemas import (
    EventAccepted,
    ReplayAccepted,
    SecretRotation,
    WebhookEventDetail,
    WebhookEventFilters,
    WebhookEventRead,
    WebhookSourceCreate,
    WebhookSourceCreated,
    WebhookSourceFilters,
    WebhookSourceRead,
    WebhookSourceUpdate,
)
from shared.domain.webhook.verifiers import VerifierCache
from shared.jobs import JobQueue

router = APIRouter()
# The inbound endpoint on its own router of BareRoutes: a hot path, answered by BarePaths before
# the app's routes are tried (services/api/bare_route.py).
inbound = APIRouter(route_class=BareRoute)
ADMIN = responses(*AUTHENTICATED, 404)


async def _source_id(id: str) -> UUID:
    return parse_id(id, "webhook source")


async def _event_id(id: str) -> UUID:
    return parse_id(id, "webhook event")


SourceId = Annotated[UUID, Depends(_source_id)]
EventId = Annotated[UUID, Depends(_event_id)]


def verifiers_of(state: Any) -> VerifierCache:
    """The process's kept verifiers, made on first use (the app's state owns them)."""
    cache = getattr(state, "webhook_verifiers", None)
    if cache is None:
        cache = state.webhook_verifiers = VerifierCache()
    return cache


def _forget_on_commit(request: Request, jobs: JobQueue, source_id: UUID) -> None:
    """This process stops using what it kept of the source as soon as the change is committed;
    others within verifiers.TTL_S."""
    cache = verifiers_of(request.app.state)

    async def forget() -> None:
        cache.forget(source_id)

    jobs.on_commit(forget)


def _no_store(response: Response) -> None:
    # It carries the secret: no cache keeps it, and an idempotent retry is not shown it again.
    response.headers["Cache-Control"] = "no-store"


_INBOUND_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "A marketplace's `{type, timestamp, data}`, or a Shopify "
                    "payload; signed as its source's kind requires",
                }
            }
        },
    }
}
_INBOUND_ANSWERS = {
    200: {"model": EventAccepted, "description": "Seen before from this source: nothing changed"},
    **responses(400, 401, 404, 413, 415, 422, 503),
}
_INBOUND_ANSWERS[400]["description"] = "A required header is missing (the event id, the topic)"
_INBOUND_ANSWERS[401]["description"] = "The signature does not verify (or its time is off)"
_INBOUND_ANSWERS[404]["description"] = "No such webhook source, or a disabled one"
_INBOUND_ANSWERS[415]["description"] = "The body is not sent as application/json"
_INBOUND_ANSWERS[422]["description"] = "The body is not a JSON object, or lacks its `type`"


@inbound.post(
    "/webhooks/{source_id}",
    tags=["inbound webhooks"],
    response_model=EventAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_INBOUND_ANSWERS,
    openapi_extra=_INBOUND_BODY,
)
async def receive_webhook(source_id: str, request: Request):
    """A marketplace (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
    `webhook-signature`) or a Shopify shop (`X-Shopify-Hmac-Sha256`, `X-Shopify-Topic`,
    `X-Shopify-Webhook-Id`) delivers one event. 202: stored, processing queued. 200: this event
    id was received before; nothing changed. No API key: the signature is the auth. Bodies over
    SWAY_WEBHOOK_MAX_BODY_BYTES are refused (413) before they are read whole."""
    # The hottest write, kept to the least the framework does: no FastAPI routing (BarePaths
    # serves it), no dependencies (the app's state read directly), no session (the insert is one
    # autocommitted statement), the answer built by hand. The job is queued once the insert has
    # returned, so after its commit.
    state = request.app.state
    jobs = JobQueue()
    received = await inbox.receive(
        state.reads,
        _uuid(source_id),
        dict(request.headers.items()),
        await request.body(),
        verifiers=verifiers_of(state),
        jobs=jobs,
        client=client_address(request),
        settings=state.settings,
        now=datetime.now(UTC),
    )
    await jobs.flush(state.redis)
    duplicate = received.job_id is None
    answer = {
        "id": str(received.event_id),
        "external_id": received.external_id,
        "status": "duplicate" if duplicate else "accepted",
        "job_id": received.job_id,
    }
    return JSONResponse(answer, status_code=200 if duplicate else 202)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@router.post(
    "/v1/webhook-sources",
    tags=["webhook sources"],
    response_model=WebhookSourceCreated,
    status_code=status.HTTP_201_CREATED,
    responses=ADMIN | responses(409, *WITH_BODY),
)
async def create_webhook_source(
    body: WebhookSourceCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: Admin,
    response: Response,
):
    """`url` is where the sender posts. A marketplace's `secret` is made by Sway and shown only
    here; a Shopify source takes Shopify's signing key as `secret` and never shows it back."""
    created = await source_service.create(session, principal.org_id, body, settings=settings)
    _no_store(response)
    return created


@router.get(
    "/v1/webhook-sources",
    tags=["webhook sources"],
    response_model=PageRead[WebhookSourceRead],
    responses=ADMIN | responses(422),
)
async def list_webhook_sources(
    filters: Annotated[WebhookSourceFilters, Query()],
    session: ReadSessionDep,
    settings: SettingsDep,
    principal: Admin,
):
    page = await source_service.list_page(session, principal.org_id, filters)
    items = [source_service.read(source, settings) for source in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.get(
    "/v1/webhook-sources/{id}",
    tags=["webhook sources"],
    response_model=WebhookSourceRead,
    responses=ADMIN,
)
async def get_webhook_source(
    id: SourceId, session: ReadSessionDep, settings: SettingsDep, principal: Admin
):
    source = await source_service.get(session, principal.org_id, id)
    return source_service.read(source, settings)


@router.patch(
    "/v1/webhook-sources/{id}",
    tags=["webhook sources"],
    response_model=WebhookSourceRead,
    responses=ADMIN | responses(*WITH_BODY),
)
async def update_webhook_source(
    id: SourceId,
    body: WebhookSourceUpdate,
    session: SessionDep,
    settings: SettingsDep,
    principal: Admin,
):
    source = await source_service.update(session, principal.org_id, id, body)
    return source_service.read(source, settings)


@router.delete(
    "/v1/webhook-sources/{id}",
    tags=["webhook sources"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ADMIN,
)
async def disable_webhook_source(
    id: SourceId, request: Request, session: SessionDep, jobs: JobsDep, principal: Admin
) -> None:
    """Disables the source: its URL answers 404 from now on (within 5 seconds on every API
    process); its events stay in the inbox."""
    await source_service.disable(session, principal.org_id, id, now=datetime.now(UTC))
    _forget_on_commit(request, jobs, id)


@router.post(
    "/v1/webhook-sources/{id}/rotate-secret",
    tags=["webhook sources"],
    response_model=WebhookSourceCreated,
    responses=ADMIN | responses(409, *WITH_BODY),
)
async def rotate_webhook_source_secret(
    id: SourceId,
    request: Request,
    session: SessionDep,
    jobs: JobsDep,
    settings: SettingsDep,
    principal: Admin,
    response: Response,
    body: Annotated[SecretRotation | None, Body()] = None,
):
    """A new secret, shown once (a Shopify source's new key is sent as `secret`). The previous
    one keeps verifying for `grace_s` seconds (default SWAY_WEBHOOK_SECRET_GRACE_S, at most 7
    days). 409 for a disabled source."""
    rotated = await source_service.rotate_secret(
        session,
        principal.org_id,
        id,
        body or SecretRotation(),
        settings=settings,
        now=datetime.now(UTC),
    )
    _forget_on_commit(request, jobs, id)
    _no_store(response)
    return rotated


@router.get(
    "/v1/webhook-events",
    tags=["webhook events"],
    response_model=PageRead[WebhookEventRead],
    responses=ADMIN | responses(422),
)
async def list_webhook_events(
    filters: Annotated[WebhookEventFilters, Query()],
    session: ReadSessionDep,
    principal: Admin,
):
    """Newest first; filter by `status` (e.g. `failed`, `dead`), `source_id`, `type`."""
    page = await inbox.list_events(session, principal.org_id, filters)
    return PageRead(
        items=[WebhookEventRead.model_validate(e) for e in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/v1/webhook-events/{id}",
    tags=["webhook events"],
    response_model=WebhookEventDetail,
    responses=ADMIN,
)
async def get_webhook_event(id: EventId, session: ReadSessionDep, principal: Admin):
    return await inbox.get_event(session, principal.org_id, id)


@router.post(
    "/v1/webhook-events/{id}/replay",
    tags=["webhook events"],
    response_model=ReplayAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ADMIN | responses(409, 422),
)
async def replay_webhook_event(id: EventId, session: SessionDep, principal: Admin):
    """Processes the event again, whatever its status, with a fresh set of tries. Effects are
    idempotent: replaying a processed event adds nothing."""
    job_id = await inbox.replay(session, principal.org_id, id)
    return ReplayAccepted(id=id, job_id=job_id)
