"""X through OAuth 2.0 Authorization Code with PKCE (required), as a confidential client (HTTP
Basic at the token endpoint). Access tokens last two hours; `offline.access` brings a refresh
token that is single-use: every refresh answers a new one (docs/connecting.md, "X")."""

import httpx

from shared.config import Settings
from shared.platforms.base import AccountRef, Credentials, Platform
from shared.platforms.http import reading
from shared.platforms.oauth.base import (
    Connection,
    OAuthApp,
    TokenGrant,
    basic_auth,
    check_owner,
    get_identity,
    post_token,
    read_grant,
    refresh_token_of,
    require_scopes,
    with_query,
)

PLATFORM = Platform.x
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_URL = "https://api.x.com/2/oauth2/token"
# users.read: the account's counts; tweet.read: its posts and their metrics; offline.access: a
# refresh token, without which the connection dies after two hours.
SCOPES = ("tweet.read", "users.read", "offline.access")


class XOAuth:
    platform = PLATFORM
    scopes = SCOPES
    pkce = True

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._api = settings.base_url("x")

    def authorization_url(self, app: OAuthApp, *, state: str, code_challenge: str | None) -> str:
        return with_query(
            AUTHORIZE_URL,
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            },
        )

    async def exchange(self, app: OAuthApp, code: str, *, code_verifier: str | None) -> TokenGrant:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": code_verifier or "",
        }
        return await self._token(app, data)

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        token = refresh_token_of(credentials, platform=PLATFORM)
        data = {"grant_type": "refresh_token", "refresh_token": token}
        return await self._token(app, data)

    async def _token(self, app: OAuthApp, data: dict[str, str]) -> TokenGrant:
        body = await post_token(
            self._client, TOKEN_URL, platform=PLATFORM, data=data, headers=basic_auth(app)
        )
        return read_grant(body, platform=PLATFORM)

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        require_scopes(grant, SCOPES, platform=PLATFORM)
        body = await get_identity(
            self._client, f"{self._api}/users/me", platform=PLATFORM, token=grant.access_token
        )
        with reading("the token's user", platform=PLATFORM):
            user_id, username = str(body["data"]["id"]), str(body["data"]["username"])
        check_owner(account, external_id=user_id, handle=username)
        credentials = Credentials(
            access_token=grant.access_token, refresh_token=grant.refresh_token, subject=user_id
        )
        return Connection(credentials, user_id, username, grant.expires_in_s, grant.scopes)
