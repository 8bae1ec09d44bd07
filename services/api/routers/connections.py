"""OAuth connect flows (docs/connecting.md): starting one for an account (API key), a connect
link a creator opens (no API key: the sealed link is the permission), and the callback every
platform sends the browser back to (no API key: the sealed, single-use state is)."""

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, RedirectResponse

from services.api.deps import AccountId, HttpDep, JobsDep, SessionDep, SettingsDep, Writer
from services.api.errors import AUTHENTICATED, WITH_BODY, problem, responses
from shared.domain.connection import service as connection_service
from shared.domain.connection.schemas import (
    AuthorizationRead,
    CallbackRead,
    ConnectLinkCreate,
    ConnectLinkRead,
    ConnectStart,
)
from shared.domain.connection.service import Outcome
from shared.platforms.base import Platform

router = APIRouter(
    prefix="/v1/accounts", tags=["connections"], responses=responses(*AUTHENTICATED, 404)
)
browser = APIRouter(tags=["connections"])

# How each failed callback is answered when there is no return URL to send the browser to.
_FAILURES = {
    # Not found: a forged, replayed or expired state names no authorization in flight.
    "expired": (404, "Authorization not found"),
    "denied": (400, "Authorization not given"),
    "refused": (400, "Authorization refused by the platform"),
    "wrong_account": (409, "Wrong account"),
    "missing_scopes": (422, "Permissions missing"),
    "not_configured": (409, "Platform not configured"),
    "unavailable": (502, "Platform unavailable"),
}


@router.post(
    "/{id}/connect",
    response_model=AuthorizationRead,
    responses=responses(*WITH_BODY, 409),
)
async def start_connection(
    id: AccountId,
    session: SessionDep,
    settings: SettingsDep,
    http: HttpDep,
    principal: Writer,
    body: ConnectStart | None = None,
):
    """The platform's consent URL for this account: send the person's browser there. It comes
    back to `/oauth/{platform}/callback`, which stores the grant and lands on the return URL."""
    return await connection_service.start(
        session,
        principal.org_id,
        id,
        body or ConnectStart(),
        settings=settings,
        http=http,
        now=datetime.now(UTC),
    )


@router.post(
    "/{id}/connect-links",
    response_model=ConnectLinkRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*WITH_BODY, 409),
)
async def create_connect_link(
    id: AccountId,
    session: SessionDep,
    settings: SettingsDep,
    principal: Writer,
    body: ConnectLinkCreate | None = None,
):
    """A link to send the creator: it opens the platform's consent screen with no Sway API key,
    until it expires or a connection through it completes."""
    data = body or ConnectLinkCreate()
    now = datetime.now(UTC)
    return await connection_service.create_link(
        session, principal.org_id, id, data, settings=settings, now=now
    )


@browser.get(
    "/connect/{token}",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={
        303: {"description": "To the platform's consent screen"},
        **responses(404, 409),
    },
)
async def open_connect_link(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    http: HttpDep,
):
    started = await connection_service.open_link(
        session, token, settings=settings, http=http, now=datetime.now(UTC)
    )
    return RedirectResponse(started.authorization_url, status_code=status.HTTP_303_SEE_OTHER)


@browser.get(
    "/oauth/{platform}/callback",
    response_model=CallbackRead,
    responses={
        303: {"description": "To the return URL, with status, reason and account_id"},
        **responses(400, 404, 409, 422, 502),
    },
)
async def oauth_callback(
    platform: Platform,
    session: SessionDep,
    settings: SettingsDep,
    http: HttpDep,
    jobs: JobsDep,
    state: Annotated[str | None, Query(max_length=2000)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
):
    """Where the platform sends the browser back. The state is spent whatever happens next."""
    outcome = await connection_service.complete(
        session,
        platform.value,
        state=state,
        code=code,
        error=error,
        settings=settings,
        http=http,
        jobs=jobs,
        now=datetime.now(UTC),
    )
    if outcome.return_url:
        return RedirectResponse(_landing(outcome), status_code=status.HTTP_303_SEE_OTHER)
    if not outcome.connected:
        status_code, title = _FAILURES[outcome.code]
        return problem(status_code, outcome.code, title, outcome.detail)
    return JSONResponse(_connected(outcome).model_dump(mode="json"))


def _connected(outcome: Outcome) -> CallbackRead:
    account = outcome.account
    return CallbackRead(
        status="connected",
        account_id=account.id,
        platform=account.platform,
        handle=account.handle,
        external_id=account.external_id,
        token_expires_at=account.token_expires_at,
        scopes=account.granted_scopes,
    )


def _landing(outcome: Outcome) -> str:
    """The return URL with the outcome in its query, keeping any query it had."""
    parts = urlsplit(outcome.return_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.append(("status", "connected" if outcome.connected else "failed"))
    if not outcome.connected:
        query += [("reason", outcome.code), ("detail", outcome.detail)]
    if outcome.account is not None:
        query += [("account_id", str(outcome.account.id)), ("platform", outcome.account.platform)]
    return urlunsplit(parts._replace(query=urlencode(query)))
