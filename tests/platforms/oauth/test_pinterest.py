"""Pinterest through OAuth at API v5, against recorded answers: the authorization URL, code
exchange with HTTP Basic, continuous refresh (a new refresh token every time, the spent one
refused), the owner check through /user_account, and every way Pinterest refuses."""

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.platforms.base import (
    AccountRef,
    Credentials,
    Platform,
    PlatformUnavailable,
    RateLimited,
)
from shared.platforms.oauth.base import (
    AuthorizationRefused,
    Connection,
    MissingScopes,
    OAuthApp,
    OAuthProvider,
    TokenGrant,
    WrongAccount,
)
from shared.platforms.oauth.pinterest import PinterestOAuth
from shared.platforms.oauth.registry import provider_class
from tests.platforms.conftest import fixture_json, replay

API = "https://api.pinterest.com/v5"
PI = "oauth/pinterest"
APP = OAuthApp("1502601", "pin-secret-42", "https://sway.example/oauth/pinterest/callback")
ACCESS = "pina_AMAXDEXWACQEWAYAGCAGSDN7VGF2FGIBQBIQC3VZ6X"
REFRESH = "pinr_AMAXDEXWACQEWAYAGCAGSDP4QLKUHGIBQBIQDHRHN"
SCOPES = ("boards:read", "pins:read", "user_accounts:read")
USER = "2783136121146311751"
ACME = AccountRef(Platform.pinterest, "acmecoffee", external_id=USER)
GRANT = TokenGrant(ACCESS, REFRESH, 2592000.0, SCOPES)


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def basic(request: httpx.Request) -> str:
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


class TestProvider:
    def test_registered_and_keeps_the_protocol(self, http, settings):
        chosen = provider_class(Platform.pinterest)(http, settings)
        assert type(chosen) is PinterestOAuth
        assert isinstance(chosen, OAuthProvider)
        assert chosen.pkce is False


class TestAuthorizationUrl:
    def test_asks_read_scopes_comma_separated(self, http, settings):
        url = PinterestOAuth(http, settings).authorization_url(
            APP, state="st-1", code_challenge=None
        )
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.pinterest.com/oauth/"
        assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
            "client_id": "1502601",
            "redirect_uri": "https://sway.example/oauth/pinterest/callback",
            "response_type": "code",
            "scope": "user_accounts:read,pins:read,boards:read",
            "state": "st-1",
        }


class TestExchange:
    async def test_code_buys_a_continuous_refresh_token(self, http, settings, respx_mock):
        route = respx_mock.post(f"{API}/oauth/token").mock(return_value=replay(PI, "token.json"))
        grant = await PinterestOAuth(http, settings).exchange(APP, "c0de", code_verifier=None)
        assert grant == GRANT
        request = route.calls.last.request
        assert basic(request) == "1502601:pin-secret-42"
        assert form(request) == {
            "grant_type": "authorization_code",
            "code": "c0de",
            "redirect_uri": "https://sway.example/oauth/pinterest/callback",
            "continuous_refresh": "true",
        }

    async def test_invalid_code_is_refused_in_pinterests_words(self, http, settings, respx_mock):
        respx_mock.post(f"{API}/oauth/token").mock(return_value=replay(PI, "grant_invalid.json"))
        with pytest.raises(AuthorizationRefused, match="code 283: The authorization grant"):
            await PinterestOAuth(http, settings).exchange(APP, "c0de", code_verifier=None)

    async def test_throttle_waits_as_long_as_it_says(self, http, settings, respx_mock):
        respx_mock.post(f"{API}/oauth/token").mock(return_value=replay(PI, "error_429.json"))
        with pytest.raises(RateLimited) as caught:
            await PinterestOAuth(http, settings).exchange(APP, "c0de", code_verifier=None)
        assert caught.value.retry_after_s == 30.0

    async def test_server_error_is_worth_retrying(self, http, settings, respx_mock):
        respx_mock.post(f"{API}/oauth/token").mock(return_value=replay(PI, "error_503.json"))
        with pytest.raises(PlatformUnavailable):
            await PinterestOAuth(http, settings).exchange(APP, "c0de", code_verifier=None)


class TestRefresh:
    stored = Credentials(access_token=ACCESS, refresh_token=REFRESH, subject=USER)

    async def test_every_refresh_answers_a_new_refresh_token(self, http, settings, respx_mock):
        route = respx_mock.post(f"{API}/oauth/token").mock(
            return_value=replay(PI, "refreshed.json")
        )
        grant = await PinterestOAuth(http, settings).refresh(APP, self.stored)
        answer = fixture_json(PI, "refreshed.json")
        assert grant == TokenGrant(
            answer["access_token"], answer["refresh_token"], 2592000.0, SCOPES
        )
        assert grant.refresh_token != REFRESH  # rotated: the old one is spent
        request = route.calls.last.request
        assert basic(request) == "1502601:pin-secret-42"
        assert form(request) == {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "continuous_refresh": "true",
        }

    async def test_refresh_token_already_spent_is_refused_for_good(
        self, http, settings, respx_mock
    ):
        respx_mock.post(f"{API}/oauth/token").mock(return_value=replay(PI, "grant_invalid.json"))
        with pytest.raises(AuthorizationRefused, match="authorization grant is invalid"):
            await PinterestOAuth(http, settings).refresh(APP, self.stored)

    async def test_throttled_refresh_is_worth_retrying(self, http, settings, respx_mock):
        respx_mock.post(f"{API}/oauth/token").mock(return_value=replay(PI, "error_429.json"))
        with pytest.raises(RateLimited):
            await PinterestOAuth(http, settings).refresh(APP, self.stored)

    async def test_without_a_refresh_token_nothing_is_asked(self, http, settings, respx_mock):
        with pytest.raises(AuthorizationRefused, match="no refresh token"):
            await PinterestOAuth(http, settings).refresh(APP, Credentials(access_token=ACCESS))


class TestConnect:
    def mock_user(self, respx_mock, name: str = "user_account.json"):
        return respx_mock.get(f"{API}/user_account").mock(return_value=replay(PI, name))

    async def test_token_of_the_account(self, http, settings, respx_mock):
        route = self.mock_user(respx_mock)
        connection = await PinterestOAuth(http, settings).connect(APP, GRANT, ACME)
        assert connection == Connection(
            Credentials(access_token=ACCESS, refresh_token=REFRESH, subject=USER),
            USER,
            "acmecoffee",
            2592000.0,
            SCOPES,
        )
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS}"

    async def test_account_known_by_handle_learns_its_id(self, http, settings, respx_mock):
        self.mock_user(respx_mock)
        account = AccountRef(Platform.pinterest, "@AcmeCoffee")
        connection = await PinterestOAuth(http, settings).connect(APP, GRANT, account)
        assert connection.external_id == USER

    async def test_token_for_another_account_is_the_wrong_account(self, http, settings, respx_mock):
        self.mock_user(respx_mock, "user_account_other.json")
        with pytest.raises(WrongAccount, match=f"@rioreads, not id {USER}"):
            await PinterestOAuth(http, settings).connect(APP, GRANT, ACME)

    async def test_trimmed_scopes_ask_nothing_of_pinterest(self, http, settings, respx_mock):
        grant = TokenGrant(ACCESS, REFRESH, 2592000.0, ("user_accounts:read",))
        with pytest.raises(MissingScopes, match="pins:read, boards:read"):
            await PinterestOAuth(http, settings).connect(APP, grant, ACME)

    async def test_revoked_grant_is_refused_for_good(self, http, settings, respx_mock):
        self.mock_user(respx_mock, "authentication_failed.json")
        with pytest.raises(AuthorizationRefused):
            await PinterestOAuth(http, settings).connect(APP, GRANT, ACME)

    async def test_throttle_is_worth_retrying(self, http, settings, respx_mock):
        self.mock_user(respx_mock, "error_429.json")
        with pytest.raises(RateLimited):
            await PinterestOAuth(http, settings).connect(APP, GRANT, ACME)

    async def test_server_error_is_worth_retrying(self, http, settings, respx_mock):
        self.mock_user(respx_mock, "error_503.json")
        with pytest.raises(PlatformUnavailable):
            await PinterestOAuth(http, settings).connect(APP, GRANT, ACME)
