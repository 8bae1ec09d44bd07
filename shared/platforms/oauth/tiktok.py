"""TikTok through Login Kit for Web (OAuth v2). Access tokens last two hours and refresh tokens
180 days (as of November 2026; the answer's expires_in and refresh_expires_in are what count),
and refresh tokens rotate: the one sent stops working once a new one is issued
(docs/connecting.md, "TikTok")."""

import httpx

from shared.config import Settings
from shared.platforms.base import AccountRef, Credentials, Platform
from shared.platforms.http import reading
from shared.platforms.oauth.base import (
    Connection,
    OAuthApp,
    TokenGrant,
    check_owner,
    get_identity,
    post_token,
    read_grant,
    refresh_token_of,
    require_scopes,
    with_query,
)

PLATFORM = Platform.tiktok
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
# user.info.basic: open_id and display name; user.info.profile: the username Sway matches the
# account by; user.info.stats: follower counts; video.list: the videos and their counts.
SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")


class TikTokOAuth:
    platform = PLATFORM
    scopes = SCOPES
    pkce = True

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._api = settings.base_url("tiktok")

    def authorization_url(self, app: OAuthApp, *, state: str, code_challenge: str | None) -> str:
        return with_query(
            AUTHORIZE_URL,
            {
                "client_key": app.client_id,
                "response_type": "code",
                "scope": ",".join(SCOPES),
                "redirect_uri": app.redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256" if code_challenge else None,
            },
        )

    async def exchange(self, app: OAuthApp, code: str, *, code_verifier: str | None) -> TokenGrant:
        data = {
            "client_key": app.client_id,
            "client_secret": app.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": app.redirect_uri,
        }
        if code_verifier:
            data["code_verifier"] = code_verifier
        return await self._token(data)

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        data = {
            "client_key": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token_of(credentials, platform=PLATFORM),
        }
        return await self._token(data)

    async def _token(self, data: dict[str, str]) -> TokenGrant:
        body = await post_token(
            self._client, f"{self._api}/oauth/token/", platform=PLATFORM, data=data
        )
        grant = read_grant(body, platform=PLATFORM, scope_separator=",")
        with reading("token answer", platform=PLATFORM):
            return TokenGrant(
                grant.access_token,
                grant.refresh_token,
                grant.expires_in_s,
                grant.scopes,
                subject=str(body["open_id"]),
            )

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        require_scopes(grant, SCOPES, platform=PLATFORM)
        body = await get_identity(
            self._client,
            f"{self._api}/user/info/",
            platform=PLATFORM,
            token=grant.access_token,
            params={"fields": "open_id,username,display_name"},
        )
        with reading("the token's user", platform=PLATFORM):
            user = body["data"]["user"]
            open_id, username = str(user["open_id"]), user.get("username")
        check_owner(account, external_id=open_id, handle=username)
        credentials = Credentials(
            access_token=grant.access_token, refresh_token=grant.refresh_token, subject=open_id
        )
        return Connection(credentials, open_id, username, grant.expires_in_s, grant.scopes)
