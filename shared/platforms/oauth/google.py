"""YouTube through Google's OAuth 2.0 for web server apps: PKCE, an offline grant whose refresh
token does not rotate, access tokens of about an hour (docs/connecting.md, "YouTube")."""

import httpx

from shared.config import Settings
from shared.platforms.base import AccountRef, Credentials, Platform
from shared.platforms.http import expect, reading
from shared.platforms.oauth.base import (
    Connection,
    OAuthApp,
    TokenGrant,
    get_identity,
    owns,
    post_token,
    read_grant,
    refresh_token_of,
    require_scopes,
    with_query,
    wrong_account,
)

PLATFORM = Platform.youtube
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
# Read the channel and its videos; read the channel's YouTube Analytics (watch time, audience).
SCOPES = (
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
)


class YouTubeOAuth:
    platform = PLATFORM
    scopes = SCOPES
    pkce = True

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._api = settings.base_url("youtube")

    def authorization_url(self, app: OAuthApp, *, state: str, code_challenge: str | None) -> str:
        return with_query(
            AUTHORIZE_URL,
            {
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "response_type": "code",
                "scope": " ".join(SCOPES),
                "state": state,
                # offline: a refresh token; consent: Google sends one again on a reconnect.
                "access_type": "offline",
                "prompt": "consent",
                "include_granted_scopes": "false",
                "code_challenge": code_challenge,
                "code_challenge_method": "S256" if code_challenge else None,
            },
        )

    async def exchange(self, app: OAuthApp, code: str, *, code_verifier: str | None) -> TokenGrant:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
        if code_verifier:
            data["code_verifier"] = code_verifier
        body = await post_token(self._client, TOKEN_URL, platform=PLATFORM, data=data)
        return read_grant(body, platform=PLATFORM)

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token_of(credentials, platform=PLATFORM),
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
        body = await post_token(self._client, TOKEN_URL, platform=PLATFORM, data=data)
        return read_grant(body, platform=PLATFORM)

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        require_scopes(grant, SCOPES, platform=PLATFORM)
        body = await get_identity(
            self._client,
            f"{self._api}/channels",
            platform=PLATFORM,
            token=grant.access_token,
            params={"part": "id,snippet", "mine": "true"},
        )
        items = body.get("items") or []
        expect(isinstance(items, list), "channels items is not a list", platform=PLATFORM)
        with reading("the token's channel", platform=PLATFORM):
            channels = [(str(item["id"]), item["snippet"].get("customUrl")) for item in items]
        expect(bool(channels), "the Google account has no YouTube channel", platform=PLATFORM)
        # One Google account may hold several channels (brand accounts): the one being
        # connected must be among them. customUrl is the channel's "@handle".
        channel_id, handle = _pick(channels, account)
        credentials = Credentials(
            access_token=grant.access_token, refresh_token=grant.refresh_token, subject=channel_id
        )
        return Connection(credentials, channel_id, handle, grant.expires_in_s, grant.scopes)


def _pick(channels: list[tuple[str, str | None]], account: AccountRef) -> tuple[str, str | None]:
    for channel_id, handle in channels:
        if owns(account, external_id=channel_id, handle=handle):
            return channel_id, handle
    raise wrong_account(account, external_id=channels[0][0], handle=channels[0][1])
