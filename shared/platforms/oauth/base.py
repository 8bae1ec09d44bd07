"""The contract every platform's OAuth flow keeps, and the token-endpoint plumbing they share.

Like adapters, providers never touch the database: they build the authorization URL, turn a code
or a refresh token into a `TokenGrant`, and tell whose account a grant opens (`connect`). The
domain (shared/domain/connection) stores, schedules and locks."""

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

import httpx

from shared.platforms.base import (
    AccountRef,
    AdapterError,
    Credentials,
    Platform,
    PlatformUnavailable,
    RateLimited,
)
from shared.platforms.http import parse_json, reading, send
from shared.platforms.profiles import handle_key


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """Sway's app registered with the platform (settings), and the callback it registered."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A token endpoint's answer in common terms. `refresh_token` is None where the platform
    sent none (a refresh that keeps the old one, or no refresh at all); `expires_in_s` is None
    where the token does not expire (a Meta Page token)."""

    access_token: str
    refresh_token: str | None
    expires_in_s: float | None
    scopes: tuple[str, ...]
    # The platform's id of the granting user, where the token answer carries it (TikTok open_id).
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """What an account stores once its grant's owner is checked: the credentials to call the API
    with (a Page token, say, in place of the user's), the account's id on the platform and, where
    the platform says it, the current handle."""

    credentials: Credentials
    external_id: str
    handle: str | None
    expires_in_s: float | None
    scopes: tuple[str, ...]


class AuthorizationRefused(AdapterError):
    """The platform refused the code or the refresh token for good (expired, revoked, already
    spent): only a person connecting again helps."""


class WrongAccount(AdapterError):
    """The person authorized a different account than the one being connected."""


class MissingScopes(AdapterError):
    """The person unticked permissions Sway needs."""


@runtime_checkable
class OAuthProvider(Protocol):
    platform: Platform
    # What Sway asks for, and no more (docs/connecting.md lists why each is needed).
    scopes: tuple[str, ...]
    # Send an S256 code challenge (RFC 7636) where the platform requires or accepts one.
    pkce: bool

    def authorization_url(
        self, app: OAuthApp, *, state: str, code_challenge: str | None
    ) -> str: ...

    async def exchange(
        self, app: OAuthApp, code: str, *, code_verifier: str | None
    ) -> TokenGrant: ...

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        """A new access token from the stored refresh token. Raises AuthorizationRefused when
        the grant is gone for good, PlatformUnavailable or RateLimited when worth retrying."""
        ...

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        """Whose account the grant opens: raises WrongAccount unless it is `account` (matched
        by its external_id where known, else its handle)."""
        ...


def refresh_token_of(credentials: Credentials, *, platform: str) -> str:
    """The stored refresh token, or AuthorizationRefused: without one the connection cannot
    outlive its access token."""
    if not credentials.refresh_token:
        raise AuthorizationRefused(
            f"{platform}: the connection has no refresh token; connect the account again",
            platform=platform,
        )
    return credentials.refresh_token


def code_verifier() -> str:
    """An RFC 7636 verifier: 64 random bytes, base64url (86 characters of the allowed 43-128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """`url` with the given parameters, skipping those that are None."""
    return f"{url}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def basic_auth(app: OAuthApp) -> dict[str, str]:
    """The client's HTTP Basic header for token endpoints that want one (RFC 6749, 2.3.1)."""
    pair = f"{app.client_id}:{app.client_secret}".encode()
    return {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}


async def post_token(
    client: httpx.AsyncClient,
    url: str,
    *,
    platform: str,
    data: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST a form to a token endpoint; the answer's JSON, or the typed error it means."""
    response = await send(
        client, "POST", url, platform=platform, data=dict(data), headers=dict(headers or {})
    )
    return token_answer(response, platform=platform)


def token_answer(response: httpx.Response, *, platform: str) -> dict[str, Any]:
    """RFC 6749 section 5.2 errors (`error`, `error_description`), whatever the HTTP status
    (TikTok sends some with 200): `invalid_grant` and `invalid_client` style refusals are for good,
    throttles and server errors are worth retrying."""
    if response.status_code == 429:
        retry = response.headers.get("retry-after", "60")
        raise RateLimited(
            f"{platform}: token endpoint throttled",
            retry_after_s=float(retry) if retry.isdigit() else 60.0,
            platform=platform,
        )
    if response.status_code >= 500:
        raise PlatformUnavailable(
            f"{platform}: token endpoint answered HTTP {response.status_code}", platform=platform
        )
    body = parse_json(response, platform=platform)
    error = _error_of(body)
    if error is not None or response.status_code >= 400:
        raise AuthorizationRefused(
            f"{platform}: {error or f'HTTP {response.status_code}'}", platform=platform
        )
    return body


def _error_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        # Meta's Graph shape {"error": {"message", "type", "code"}}; TikTok's API answers carry
        # {"error": {"code": "ok"}} on success.
        if error.get("code") == "ok":
            return None
        return str(error.get("message") or error.get("type") or error.get("code") or "refused")
    if error:
        description = body.get("error_description")
        return f"{error}: {description}" if description else str(error)
    return None


def read_grant(body: Mapping[str, Any], *, platform: str, scope_separator: str = " ") -> TokenGrant:
    """The common RFC 6749 answer: access_token, refresh_token, expires_in, scope."""
    with reading("token answer", platform=platform):
        expires = body.get("expires_in")
        scope = body.get("scope") or ""
        return TokenGrant(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token") or None,
            expires_in_s=float(expires) if expires not in (None, "") else None,
            scopes=split_scopes(scope, scope_separator),
        )


def split_scopes(scope: str | Sequence[str], separator: str = " ") -> tuple[str, ...]:
    parts = scope.split(separator) if isinstance(scope, str) else scope
    return tuple(part.strip() for part in parts if part and part.strip())


def require_scopes(grant: TokenGrant, needed: Sequence[str], *, platform: str) -> None:
    """Refuse a grant the person trimmed (platforms that let them untick scopes)."""
    if not grant.scopes:
        return  # the platform did not say: the first API call will tell
    missing = [scope for scope in needed if scope not in grant.scopes]
    if missing:
        raise MissingScopes(
            f"{platform}: the authorization lacks {', '.join(missing)}; connect again and "
            "allow every permission asked",
            platform=platform,
        )


async def get_identity(
    client: httpx.AsyncClient,
    url: str,
    *,
    platform: str,
    token: str,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """GET who a fresh token belongs to (a /me style endpoint) with it as a Bearer token."""
    headers = {"Authorization": f"Bearer {token}"}
    response = await send(client, "GET", url, platform=platform, headers=headers, params=params)
    if response.status_code in (401, 403):
        raise AuthorizationRefused(
            f"{platform}: the new token was refused reading its own account "
            f"(HTTP {response.status_code})",
            platform=platform,
        )
    return token_answer(response, platform=platform)


def owns(account: AccountRef, *, external_id: str, handle: str | None) -> bool:
    """Whether a grant for (external_id, handle) opens `account`: the same platform id where the
    account has one, else the same handle (compared as Sway compares handles)."""
    if account.external_id:
        return account.external_id == external_id
    return handle is not None and handle_key(handle) == handle_key(account.handle)


def check_owner(account: AccountRef, *, external_id: str, handle: str | None) -> None:
    if not owns(account, external_id=external_id, handle=handle):
        raise wrong_account(account, external_id=external_id, handle=handle)


def wrong_account(account: AccountRef, *, external_id: str, handle: str | None) -> WrongAccount:
    theirs = f"@{handle}" if handle else f"id {external_id}"
    ours = f"id {account.external_id}" if account.external_id else f"@{account.handle}"
    return WrongAccount(
        f"{account.platform}: the authorization is for {theirs}, not {ours}; sign in to the "
        "right account and connect again",
        platform=str(account.platform),
    )
