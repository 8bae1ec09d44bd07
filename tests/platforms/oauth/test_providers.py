"""The YouTube (Google), X and TikTok OAuth flows against their recorded token and identity
answers: the authorization URL each builds, code exchange, refresh (rotating or not), and every
way a grant is refused."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from shared.platforms.base import (
    AccountRef,
    Credentials,
    Platform,
    PlatformUnavailable,
    RateLimited,
)
from shared.platforms.oauth.base import (
    AuthorizationRefused,
    MissingScopes,
    OAuthApp,
    WrongAccount,
    code_challenge,
)
from shared.platforms.oauth.google import YouTubeOAuth
from shared.platforms.oauth.tiktok import TikTokOAuth
from shared.platforms.oauth.x import XOAuth
from tests.platforms.conftest import replay

APP = OAuthApp("client-123", "secret-456", "https://sway.example/oauth/{}/callback")


def app_for(platform: str) -> OAuthApp:
    return OAuthApp(APP.client_id, APP.client_secret, APP.redirect_uri.format(platform))


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {key: values[0] for key, values in parse_qs(parts.query).items()} | {
        "_where": f"{parts.scheme}://{parts.netloc}{parts.path}"
    }


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


class TestAuthorizationUrls:
    def test_youtube_asks_offline_access_with_pkce(self, http, settings):
        url = YouTubeOAuth(http, settings).authorization_url(
            app_for("youtube"), state="s1", code_challenge="c1"
        )
        assert query(url) == {
            "_where": "https://accounts.google.com/o/oauth2/v2/auth",
            "client_id": "client-123",
            "redirect_uri": "https://sway.example/oauth/youtube/callback",
            "response_type": "code",
            "scope": "https://www.googleapis.com/auth/youtube.readonly "
            "https://www.googleapis.com/auth/yt-analytics.readonly",
            "state": "s1",
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "false",
            "code_challenge": "c1",
            "code_challenge_method": "S256",
        }

    def test_x_requires_pkce_and_offline_access(self, http, settings):
        url = XOAuth(http, settings).authorization_url(
            app_for("x"), state="s2", code_challenge="c2"
        )
        assert query(url) == {
            "_where": "https://x.com/i/oauth2/authorize",
            "response_type": "code",
            "client_id": "client-123",
            "redirect_uri": "https://sway.example/oauth/x/callback",
            "scope": "tweet.read users.read offline.access",
            "state": "s2",
            "code_challenge": "c2",
            "code_challenge_method": "S256",
        }

    def test_tiktok_names_its_client_key_and_comma_separates_scopes(self, http, settings):
        url = TikTokOAuth(http, settings).authorization_url(
            app_for("tiktok"), state="s3", code_challenge="c3"
        )
        assert query(url) == {
            "_where": "https://www.tiktok.com/v2/auth/authorize/",
            "client_key": "client-123",
            "response_type": "code",
            "scope": "user.info.basic,user.info.profile,user.info.stats,video.list",
            "redirect_uri": "https://sway.example/oauth/tiktok/callback",
            "state": "s3",
            "code_challenge": "c3",
            "code_challenge_method": "S256",
        }

    def test_the_challenge_is_rfc_7636_s256(self):
        # RFC 7636 appendix B's example verifier and challenge.
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


X = AccountRef(Platform.x, "xdevelopers")
YOUTUBE = AccountRef(Platform.youtube, "adabrews")
TIKTOK = AccountRef(Platform.tiktok, "Ada.Brews")


class TestX:
    @respx.mock
    async def test_exchange_then_connect(self, http, settings):
        token = respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "token_exchange.json")
        )
        me = respx.get("https://api.x.com/2/users/me").mock(
            return_value=replay("oauth/x", "users_me.json")
        )
        flow = XOAuth(http, settings)
        grant = await flow.exchange(app_for("x"), "code-1", code_verifier="v" * 43)
        assert form(token.calls[0].request) == {
            "grant_type": "authorization_code",
            "code": "code-1",
            "redirect_uri": "https://sway.example/oauth/x/callback",
            "code_verifier": "v" * 43,
        }
        # A confidential client authenticates with HTTP Basic.
        assert token.calls[0].request.headers["authorization"] == (
            "Basic Y2xpZW50LTEyMzpzZWNyZXQtNDU2"
        )
        connection = await flow.connect(app_for("x"), grant, X)
        assert me.calls[0].request.headers["authorization"] == f"Bearer {grant.access_token}"
        assert (connection.external_id, connection.handle) == ("2244994945", "XDevelopers")
        assert connection.expires_in_s == 7200
        assert connection.credentials.refresh_token.startswith("bWRWa3gz")
        assert connection.credentials.subject == "2244994945"

    @respx.mock
    async def test_refresh_rotates_the_refresh_token(self, http, settings):
        token = respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "token_refresh.json")
        )
        grant = await XOAuth(http, settings).refresh(
            app_for("x"), Credentials(access_token="old", refresh_token="R1", subject="1")
        )
        assert form(token.calls[0].request) == {
            "grant_type": "refresh_token",
            "refresh_token": "R1",
        }
        assert grant.refresh_token.startswith("Ym5SZWZy")
        assert grant.expires_in_s == 7200

    @respx.mock
    async def test_a_spent_refresh_token_is_refused_for_good(self, http, settings):
        respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "error_invalid_refresh.json")
        )
        with pytest.raises(AuthorizationRefused, match="Value passed for the token was invalid"):
            await XOAuth(http, settings).refresh(app_for("x"), Credentials(refresh_token="spent"))

    @respx.mock
    async def test_a_throttle_is_worth_retrying(self, http, settings):
        respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "error_rate_limited.json")
        )
        with pytest.raises(RateLimited) as caught:
            await XOAuth(http, settings).refresh(app_for("x"), Credentials(refresh_token="R1"))
        assert caught.value.retry_after_s == 120

    async def test_no_refresh_token_is_refused_without_a_call(self, http, settings):
        with pytest.raises(AuthorizationRefused, match="no refresh token"):
            await XOAuth(http, settings).refresh(app_for("x"), Credentials(access_token="a"))

    @respx.mock
    async def test_another_accounts_token(self, http, settings):
        respx.get("https://api.x.com/2/users/me").mock(
            return_value=replay("oauth/x", "users_me_other.json")
        )
        respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "token_exchange.json")
        )
        flow = XOAuth(http, settings)
        grant = await flow.exchange(app_for("x"), "code", code_verifier="v" * 43)
        with pytest.raises(WrongAccount, match="for @X, not @xdevelopers"):
            await flow.connect(app_for("x"), grant, X)

    @respx.mock
    async def test_unticked_offline_access_is_refused(self, http, settings):
        respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "token_trimmed.json")
        )
        flow = XOAuth(http, settings)
        grant = await flow.exchange(app_for("x"), "code", code_verifier="v" * 43)
        with pytest.raises(MissingScopes, match="lacks offline.access"):
            await flow.connect(app_for("x"), grant, X)


class TestYouTube:
    @respx.mock
    async def test_exchange_then_pick_the_channel_among_the_accounts_channels(self, http, settings):
        token = respx.post("https://oauth2.googleapis.com/token").mock(
            return_value=replay("oauth/youtube", "token_exchange.json")
        )
        channels = respx.get("https://www.googleapis.com/youtube/v3/channels").mock(
            return_value=replay("oauth/youtube", "channels_mine.json")
        )
        flow = YouTubeOAuth(http, settings)
        grant = await flow.exchange(app_for("youtube"), "4/0Ab", code_verifier="w" * 43)
        assert form(token.calls[0].request) == {
            "grant_type": "authorization_code",
            "code": "4/0Ab",
            "redirect_uri": "https://sway.example/oauth/youtube/callback",
            "client_id": "client-123",
            "client_secret": "secret-456",
            "code_verifier": "w" * 43,
        }
        connection = await flow.connect(app_for("youtube"), grant, YOUTUBE)
        assert dict(channels.calls[0].request.url.params) == {"part": "id,snippet", "mine": "true"}
        assert (connection.external_id, connection.handle) == (
            "UCAdaBrews00000000000000",
            "@adabrews",
        )
        assert connection.expires_in_s == 3599

    @respx.mock
    async def test_refresh_keeps_no_new_refresh_token(self, http, settings):
        respx.post("https://oauth2.googleapis.com/token").mock(
            return_value=replay("oauth/youtube", "token_refresh.json")
        )
        grant = await YouTubeOAuth(http, settings).refresh(
            app_for("youtube"), Credentials(refresh_token="1//0g")
        )
        # Google does not rotate: the answer carries no refresh token, and the caller keeps its own.
        assert grant.refresh_token is None
        assert grant.access_token.startswith("ya29.a0AfB_byRefreshed")

    @respx.mock
    async def test_a_revoked_grant_is_refused_for_good(self, http, settings):
        respx.post("https://oauth2.googleapis.com/token").mock(
            return_value=replay("oauth/youtube", "error_invalid_grant.json")
        )
        with pytest.raises(AuthorizationRefused, match="invalid_grant: Token has been expired"):
            await YouTubeOAuth(http, settings).refresh(
                app_for("youtube"), Credentials(refresh_token="1//0g")
            )

    @respx.mock
    async def test_a_server_error_is_worth_retrying(self, http, settings):
        respx.post("https://oauth2.googleapis.com/token").mock(
            return_value=replay("oauth/youtube", "error_server.json")
        )
        with pytest.raises(PlatformUnavailable):
            await YouTubeOAuth(http, settings).refresh(
                app_for("youtube"), Credentials(refresh_token="1//0g")
            )

    @respx.mock
    async def test_a_google_account_without_the_channel(self, http, settings):
        respx.post("https://oauth2.googleapis.com/token").mock(
            return_value=replay("oauth/youtube", "token_exchange.json")
        )
        respx.get("https://www.googleapis.com/youtube/v3/channels").mock(
            return_value=replay("oauth/youtube", "channels_mine.json")
        )
        flow = YouTubeOAuth(http, settings)
        grant = await flow.exchange(app_for("youtube"), "code", code_verifier=None)
        other = AccountRef(Platform.youtube, "someoneelse", "UCsomeoneElse000000000000")
        with pytest.raises(WrongAccount, match="not id UCsomeoneElse"):
            await flow.connect(app_for("youtube"), grant, other)


class TestTikTok:
    @respx.mock
    async def test_exchange_then_connect_by_username(self, http, settings):
        token = respx.post("https://open.tiktokapis.com/v2/oauth/token/").mock(
            return_value=replay("oauth/tiktok", "token_exchange.json")
        )
        info = respx.get("https://open.tiktokapis.com/v2/user/info/").mock(
            return_value=replay("oauth/tiktok", "user_info.json")
        )
        flow = TikTokOAuth(http, settings)
        grant = await flow.exchange(app_for("tiktok"), "code-t", code_verifier="t" * 43)
        assert form(token.calls[0].request) == {
            "client_key": "client-123",
            "client_secret": "secret-456",
            "code": "code-t",
            "grant_type": "authorization_code",
            "redirect_uri": "https://sway.example/oauth/tiktok/callback",
            "code_verifier": "t" * 43,
        }
        assert grant.subject == "-000OjRzwQY5nJH3BYZS0ONDvY6eXhfSbbaC"
        connection = await flow.connect(app_for("tiktok"), grant, TIKTOK)
        assert info.calls[0].request.url.params["fields"] == "open_id,username,display_name"
        # Matched by handle as Sway compares them ("Ada.Brews" is "ada.brews").
        assert connection.external_id == "-000OjRzwQY5nJH3BYZS0ONDvY6eXhfSbbaC"
        assert connection.expires_in_s == 7200

    @respx.mock
    async def test_refresh_rotates(self, http, settings):
        respx.post("https://open.tiktokapis.com/v2/oauth/token/").mock(
            return_value=replay("oauth/tiktok", "token_refresh.json")
        )
        grant = await TikTokOAuth(http, settings).refresh(
            app_for("tiktok"), Credentials(refresh_token="rft.example")
        )
        assert grant.refresh_token == "rft.rotated67890Rotated67890Rotated6"

    @respx.mock
    async def test_an_expired_refresh_token_is_refused(self, http, settings):
        respx.post("https://open.tiktokapis.com/v2/oauth/token/").mock(
            return_value=replay("oauth/tiktok", "error_invalid_grant.json")
        )
        with pytest.raises(AuthorizationRefused, match="Refresh token is invalid or expired"):
            await TikTokOAuth(http, settings).refresh(
                app_for("tiktok"), Credentials(refresh_token="rft.old")
            )

    @respx.mock
    async def test_trimmed_scopes_are_refused(self, http, settings):
        respx.post("https://open.tiktokapis.com/v2/oauth/token/").mock(
            return_value=replay("oauth/tiktok", "token_trimmed.json")
        )
        flow = TikTokOAuth(http, settings)
        grant = await flow.exchange(app_for("tiktok"), "code", code_verifier=None)
        with pytest.raises(MissingScopes, match="user.info.profile, user.info.stats"):
            await flow.connect(app_for("tiktok"), grant, TIKTOK)
