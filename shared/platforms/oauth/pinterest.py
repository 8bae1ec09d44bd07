"""Pinterest through OAuth 2.0 at API v5 (docs/connecting.md, "Pinterest").

Access tokens last 30 days. Refresh tokens are continuous: each lasts 60 days and every refresh
answers a new one, so a connection refreshed in time lasts indefinitely, and the refresh token
just spent must never be used again. Apps activated on or after 25 September 2025 get these by
default; older ones must ask with `continuous_refresh=true` (the legacy 365-day token is no
longer issued), so Sway always asks. The token endpoint takes the app's credentials as HTTP
Basic."""

from typing import Any

import httpx

from shared.config import Settings
from shared.platforms.base import AccountRef, Credentials, Platform
from shared.platforms.http import parse_json, reading, send
from shared.platforms.oauth.base import (
    AuthorizationRefused,
    Connection,
    OAuthApp,
    TokenGrant,
    basic_auth,
    check_owner,
    get_identity,
    read_grant,
    require_scopes,
    token_answer,
    with_query,
)

PLATFORM = Platform.pinterest
AUTHORIZE_URL = "https://www.pinterest.com/oauth/"
# user_accounts:read: the account and its counts; pins:read and boards:read: the account's pins
# and their analytics (Pinterest asks for both to read a pin on a board).
SCOPES = ("user_accounts:read", "pins:read", "boards:read")


class PinterestOAuth:
    platform = PLATFORM
    scopes = SCOPES
    # The v5 token endpoint documents no code_verifier; the app authenticates with its secret.
    pkce = False

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._api = settings.base_url("pinterest")

    def authorization_url(self, app: OAuthApp, *, state: str, code_challenge: str | None) -> str:
        return with_query(
            AUTHORIZE_URL,
            {
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "response_type": "code",
                "scope": ",".join(SCOPES),
                "state": state,
            },
        )

    async def exchange(self, app: OAuthApp, code: str, *, code_verifier: str | None) -> TokenGrant:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "continuous_refresh": "true",
        }
        return await self._token(app, data)

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        if not credentials.refresh_token:
            raise AuthorizationRefused(
                "pinterest: no refresh token stored; connect the account again", platform=PLATFORM
            )
        data = {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "continuous_refresh": "true",
        }
        return await self._token(app, data)

    async def _token(self, app: OAuthApp, data: dict[str, str]) -> TokenGrant:
        response = await send(
            self._client,
            "POST",
            f"{self._api}/oauth/token",
            platform=PLATFORM,
            data=data,
            headers=basic_auth(app),
        )
        _raise_for_refusal(response)
        return read_grant(token_answer(response, platform=PLATFORM), platform=PLATFORM)

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        require_scopes(grant, SCOPES, platform=PLATFORM)
        # The endpoint answers for whoever the token belongs to.
        body = await get_identity(
            self._client, f"{self._api}/user_account", platform=PLATFORM, token=grant.access_token
        )
        with reading("user_account", platform=PLATFORM):
            user_id, username = str(body["id"]), body.get("username")
        check_owner(account, external_id=user_id, handle=username)
        credentials = Credentials(
            access_token=grant.access_token, refresh_token=grant.refresh_token, subject=user_id
        )
        return Connection(credentials, user_id, username, grant.expires_in_s, grant.scopes)


def _raise_for_refusal(response: httpx.Response) -> None:
    """Pinterest refuses in its own shape, {"code", "message"} (a spent or revoked refresh token:
    code 283, "The authorization grant is invalid"), which the RFC reader would only call
    "HTTP 4xx". Throttles and server errors are left to it."""
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return
    body: Any = parse_json(response, platform=PLATFORM)
    if isinstance(body, dict) and "message" in body:
        raise AuthorizationRefused(
            f"pinterest: HTTP {status} code {body.get('code')}: {body['message']}",
            platform=PLATFORM,
        )
