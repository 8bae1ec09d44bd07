"""Connecting an account through its platform's OAuth flow (docs/connecting.md).

`start` seals a single-use state and answers the platform's consent URL; `complete` runs when
the browser comes back: it spends the state, exchanges the code, checks the grant opens this
account and stores it. A creator can be sent a connect link instead (`create_link`), which needs
no Sway API key and is spent by the connection it completes. Failures the person can act on are
outcomes, not exceptions, so the spent state is committed and the browser is told why."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.crypto import CredentialsError, decrypt_credentials, seal, unseal
from shared.domain.account import service as account_service
from shared.domain.account.service import Connected
from shared.domain.connection import repository
from shared.domain.connection.repository import LinkRepository, StateRepository
from shared.domain.connection.schemas import (
    AuthorizationRead,
    ConnectLinkCreate,
    ConnectLinkRead,
    ConnectStart,
)
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.errors import Conflict, Invalid, NotFound
from shared.jobs import JobQueue
from shared.models import ConnectLink, CreatorAccount, OAuthState
from shared.platforms.base import AccountRef, AdapterError, Credentials, Platform
from shared.platforms.oauth.base import (
    AuthorizationRefused,
    Connection,
    MissingScopes,
    OAuthApp,
    OAuthProvider,
    WrongAccount,
    code_challenge,
    code_verifier,
)
from shared.platforms.oauth.registry import CONNECTABLE, provider_class

# What a sealed token names, so a state can never be replayed as a link, nor a link as a state.
STATE, LINK = "state", "link"
# Sway's sealed ids are about 140 characters: anything far longer is not one (and not decoded).
MAX_TOKEN_CHARS = 1000


@dataclass(frozen=True)
class Outcome:
    """How a callback ended. `code` is stable for a frontend: connected, denied, expired,
    wrong_account, missing_scopes, refused, unavailable, not_configured."""

    code: str
    detail: str
    return_url: str | None
    account: CreatorAccount | None = None

    @property
    def connected(self) -> bool:
        return self.code == "connected"


def provider(platform: Platform, settings: Settings, http: httpx.AsyncClient) -> OAuthProvider:
    return provider_class(platform)(http, settings)


def app_for(platform: str, settings: Settings) -> OAuthApp:
    """Sway's app on the platform, or a 409 naming the settings an operator must set."""
    client = settings.oauth_client(platform)
    if client is None:
        upper = platform.upper()
        raise Conflict(
            f"Sway has no {platform} app configured: set SWAY_OAUTH_{upper}_CLIENT_ID and "
            f"SWAY_OAUTH_{upper}_CLIENT_SECRET (docs/connecting.md), or PUT the account's "
            "credentials by hand"
        )
    return OAuthApp(client[0], client[1], settings.oauth_redirect_uri(platform))


async def start(
    session: AsyncSession,
    org_id: UUID,
    account_id: UUID,
    data: ConnectStart,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    now: datetime,
    link_id: UUID | None = None,
) -> AuthorizationRead:
    account = await _connectable(session, org_id, account_id)
    platform = Platform(account.platform)
    app = app_for(platform, settings)
    flow = provider(platform, settings, http)
    verifier = code_verifier() if flow.pkce else None
    secret = settings.secret_key.get_secret_value()
    state = StateRepository(session, org_id).add(
        OAuthState(
            account_id=account.id,
            platform=platform.value,
            code_verifier_sealed=seal(verifier, secret) if verifier else None,
            redirect_uri=app.redirect_uri,
            return_url=_return_url(data.return_url, settings),
            connect_link_id=link_id,
            expires_at=now + timedelta(seconds=settings.oauth_state_ttl_s),
        )
    )
    await session.flush()
    url = flow.authorization_url(
        app,
        state=seal(f"{STATE}:{state.id}", secret),
        code_challenge=code_challenge(verifier) if verifier else None,
    )
    return AuthorizationRead(
        account_id=account.id,
        platform=platform.value,
        authorization_url=url,
        expires_at=state.expires_at,
        scopes=list(flow.scopes),
    )


async def create_link(
    session: AsyncSession,
    org_id: UUID,
    account_id: UUID,
    data: ConnectLinkCreate,
    *,
    settings: Settings,
    now: datetime,
) -> ConnectLinkRead:
    account = await _connectable(session, org_id, account_id)
    app_for(account.platform, settings)  # refuse now rather than when the creator opens it
    ttl_s = data.expires_in_s or settings.connect_link_ttl_s
    link = LinkRepository(session, org_id).add(
        ConnectLink(
            account_id=account.id,
            return_url=_return_url(data.return_url, settings),
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    await session.flush()
    token = seal(f"{LINK}:{link.id}", settings.secret_key.get_secret_value())
    return ConnectLinkRead(
        id=link.id,
        account_id=account.id,
        platform=account.platform,
        url=f"{settings.public_url}/connect/{token}",
        expires_at=link.expires_at,
    )


async def open_link(
    session: AsyncSession,
    token: str,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    now: datetime,
) -> AuthorizationRead:
    """A creator opened their connect link: a fresh authorization for its account. The link
    stays valid until a connection through it completes (an abandoned consent screen does not
    waste it)."""
    link_id = _unsealed_id(token, LINK, settings, ttl_s=settings.connect_link_ttl_s)
    link = await repository.open_link(session, link_id, now) if link_id else None
    if link is None:
        raise NotFound("this connect link is not valid, has expired or was already used")
    data = ConnectStart.model_construct(return_url=link.return_url)
    return await start(
        session,
        link.org_id,
        link.account_id,
        data,
        settings=settings,
        http=http,
        now=now,
        link_id=link.id,
    )


async def complete(
    session: AsyncSession,
    platform: str,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    settings: Settings,
    http: httpx.AsyncClient,
    jobs: JobQueue,
    now: datetime,
) -> Outcome:
    default_return = settings.oauth_return_url
    state_id = _unsealed_id(state or "", STATE, settings, ttl_s=settings.oauth_state_ttl_s)
    claimed = await repository.claim_state(session, state_id, platform, now) if state_id else None
    if claimed is None:
        detail = "this authorization is not valid, has expired or was already used; start again"
        return Outcome("expired", detail, default_return)
    return_url = claimed.return_url or default_return
    account = await account_service.get(session, claimed.org_id, claimed.account_id)
    if error or not code:
        detail = f"the {platform} authorization was not given ({error or 'no code'})"
        return Outcome("denied", detail, return_url, account)
    try:
        connection = await _exchange(claimed, account, code, settings=settings, http=http)
    except (AdapterError, Conflict) as exc:  # Conflict: the app's settings went meanwhile
        return Outcome(_failure_code(exc), str(exc), return_url, account)
    if claimed.connect_link_id and not await repository.use_link(
        session, claimed.connect_link_id, now
    ):
        detail = "this connect link was already used to connect the account"
        return Outcome("expired", detail, return_url, account)
    await _store(session, account, connection, settings=settings, jobs=jobs, now=now)
    return Outcome("connected", f"connected @{account.handle}", return_url, account)


async def _exchange(
    state: OAuthState,
    account: CreatorAccount,
    code: str,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
) -> Connection:
    platform = Platform(state.platform)
    app = app_for(platform, settings)
    secret = settings.secret_key.get_secret_value()
    verifier = unseal(state.code_verifier_sealed, secret) if state.code_verifier_sealed else None
    flow = provider(platform, settings, http)
    grant = await flow.exchange(app, code, code_verifier=verifier)
    ref = AccountRef(platform, account.handle, account.external_id)
    return await flow.connect(app, grant, ref)


async def _store(
    session: AsyncSession,
    account: CreatorAccount,
    connection: Connection,
    *,
    settings: Settings,
    jobs: JobQueue,
    now: datetime,
) -> None:
    account.external_id = connection.external_id
    await account_service.store_credentials(
        session,
        account,
        _keeping_extra(account, connection.credentials, settings),
        _connected(connection.expires_in_s, connection.scopes, now),
        secret_key=settings.secret_key.get_secret_value(),
        jobs=jobs,
        now=now,
    )
    data = payloads.account_connected(account, at=now)
    await events_service.emit(session, account.org_id, EventType.account_connected, data, now=now)


def _keeping_extra(
    account: CreatorAccount, credentials: Credentials, settings: Settings
) -> Credentials:
    """Request parameters set by hand (a Pinterest ad account, say) outlive a reconnection;
    what the new grant brings wins."""
    try:
        old = decrypt_credentials(
            account.credentials_encrypted, settings.secret_key.get_secret_value()
        )
    except CredentialsError:
        return credentials
    if old is None or not old.extra:
        return credentials
    return replace(credentials, extra={**old.extra, **credentials.extra})


def _connected(expires_in_s: float | None, scopes: tuple[str, ...], now: datetime) -> Connected:
    expires_at = None if expires_in_s is None else now + timedelta(seconds=expires_in_s)
    return Connected("oauth", expires_at, scopes)


def _failure_code(exc: AdapterError | Conflict) -> str:
    if isinstance(exc, Conflict):
        return "not_configured"
    if isinstance(exc, WrongAccount):
        return "wrong_account"
    if isinstance(exc, MissingScopes):
        return "missing_scopes"
    if isinstance(exc, AuthorizationRefused):
        return "refused"
    return "unavailable"


async def _connectable(session: AsyncSession, org_id: UUID, account_id: UUID) -> CreatorAccount:
    account = await account_service.get(session, org_id, account_id)
    if Platform(account.platform) not in CONNECTABLE:
        raise Invalid(f"{account.platform} accounts need no connection")
    return account


def _return_url(requested: object | None, settings: Settings) -> str | None:
    """Only under SWAY_OAUTH_RETURN_URL: Sway never sends a browser anywhere an API key holder
    names (an open redirect)."""
    if requested is None:
        return None
    url, allowed = str(requested), settings.oauth_return_url
    if allowed is None:
        raise Invalid.field(
            ("body", "return_url"),
            "set SWAY_OAUTH_RETURN_URL to let connect flows return to your app",
        )
    if not url.startswith(allowed):
        raise Invalid.field(("body", "return_url"), f"must start with {allowed}")
    return url


def _unsealed_id(token: str, kind: str, settings: Settings, *, ttl_s: int) -> UUID | None:
    """The id a token of `kind` seals, if it is Sway's, unexpired and of that kind."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        text = unseal(token, settings.secret_key.get_secret_value(), ttl_s=ttl_s)
    except CredentialsError:
        return None
    prefix, _, value = text.partition(":")
    try:
        return UUID(value) if prefix == kind else None
    except ValueError:
        return None
