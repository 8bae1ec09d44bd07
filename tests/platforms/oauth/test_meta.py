"""Instagram and Facebook Pages through Facebook Login, against recorded Graph answers: the
dialog URL, the code → short-lived → long-lived token ladder, the Page token found for the
account, the /debug_token check that stands in for a refresh, and every way Meta refuses."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    Credentials,
    NotConfigured,
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
from shared.platforms.oauth.meta import FacebookOAuth, InstagramOAuth
from shared.platforms.oauth.registry import provider_class
from tests.platforms.conftest import replay

GRAPH = "https://graph.facebook.com/v25.0"
IG = "oauth/instagram"
FB = "oauth/facebook"
APP = OAuthApp(
    "1234567890123456", "app-secret-789", "https://sway.example/oauth/instagram/callback"
)
SHORT_TOKEN = "EAAGm0PX4ZCpsBAShortLivedUserToken0Zx9"
USER_TOKEN = "EAAGm0PX4ZCpsBALongLivedUserToken7Qk2"
ADA_PAGE_TOKEN = "EAAGm0PX4ZCpsBAPageTokenAdaBrews8Hw4"
ACME_PAGE_TOKEN = "EAAGm0PX4ZCpsBAPageTokenAcmeCoffee5Jk9"
PERSON = "10160211823456789"
IG_USER = "17841405822304914"
ACME_PAGE = "20531316728"
IG_SCOPES = (
    "instagram_basic",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
)
FB_SCOPES = ("pages_show_list", "pages_read_engagement", "read_insights")
ADA = AccountRef(Platform.instagram, "ada.brews", external_id=IG_USER)
ACME = AccountRef(Platform.facebook, "acmecoffee", external_id=ACME_PAGE)


def user_grant(scopes: tuple[str, ...]) -> TokenGrant:
    return TokenGrant(USER_TOKEN, None, 5183944.0, (*scopes, "public_profile"), PERSON)


def query(url: str) -> dict[str, str]:
    parts = urlsplit(str(url))
    return {key: values[0] for key, values in parse_qs(parts.query).items()} | {
        "_where": f"{parts.scheme}://{parts.netloc}{parts.path}"
    }


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


class TestProviders:
    @pytest.mark.parametrize(
        ("platform", "cls"),
        [(Platform.instagram, InstagramOAuth), (Platform.facebook, FacebookOAuth)],
    )
    def test_registered_and_keep_the_protocol(self, http, settings, platform, cls):
        provider = provider_class(platform)(http, settings)
        assert type(provider) is cls
        assert isinstance(provider, OAuthProvider)
        assert provider.platform is platform
        assert provider.pkce is False


class TestAuthorizationUrl:
    def test_instagram_dialog_asks_the_account_its_insights_and_its_page(self, http, settings):
        url = InstagramOAuth(http, settings).authorization_url(
            APP, state="st-1", code_challenge=None
        )
        assert query(url) == {
            "_where": "https://www.facebook.com/v25.0/dialog/oauth",
            "client_id": "1234567890123456",
            "redirect_uri": "https://sway.example/oauth/instagram/callback",
            "state": "st-1",
            "response_type": "code",
            "scope": ",".join(IG_SCOPES),
            "auth_type": "rerequest",
        }

    def test_facebook_dialog_asks_page_permissions_only(self, http, settings):
        url = FacebookOAuth(http, settings).authorization_url(APP, state="st-2", code_challenge="c")
        assert query(url)["scope"] == "pages_show_list,pages_read_engagement,read_insights"
        assert "code_challenge" not in query(url)

    def test_dialog_speaks_the_version_of_the_base_url(self, http):
        settings = Settings(_env_file=None, env="test", instagram_base_url=f"{GRAPH[:-5]}v26.0/")
        url = InstagramOAuth(http, settings).authorization_url(APP, state="s", code_challenge=None)
        assert query(url)["_where"] == "https://www.facebook.com/v26.0/dialog/oauth"


class TestExchange:
    def mock_ladder(self, respx_mock, *, permissions: str = "me_permissions.json"):
        token = respx_mock.get(f"{GRAPH}/oauth/access_token").mock(
            side_effect=[replay(IG, "code_exchange.json"), replay(IG, "long_lived.json")]
        )
        me = respx_mock.get(f"{GRAPH}/me").mock(return_value=replay(IG, permissions))
        return token, me

    async def test_code_becomes_a_long_lived_user_token(self, http, settings, respx_mock):
        token, me = self.mock_ladder(respx_mock)
        grant = await InstagramOAuth(http, settings).exchange(APP, "AQDx-code", code_verifier=None)
        assert grant == TokenGrant(
            USER_TOKEN, None, 5183944.0, (*IG_SCOPES, "public_profile"), PERSON
        )
        code_call, exchange_call = token.calls
        assert params(code_call.request) == {
            "client_id": "1234567890123456",
            "client_secret": "app-secret-789",
            "redirect_uri": "https://sway.example/oauth/instagram/callback",
            "code": "AQDx-code",
        }
        assert params(exchange_call.request) == {
            "grant_type": "fb_exchange_token",
            "client_id": "1234567890123456",
            "client_secret": "app-secret-789",
            "fb_exchange_token": SHORT_TOKEN,
        }
        assert params(me.calls.last.request) == {
            "fields": "id,permissions",
            "access_token": USER_TOKEN,
        }

    async def test_declined_permission_is_not_among_the_scopes(self, http, settings, respx_mock):
        self.mock_ladder(respx_mock, permissions="me_permissions_trimmed.json")
        grant = await InstagramOAuth(http, settings).exchange(APP, "AQDx-code", code_verifier=None)
        assert "instagram_manage_insights" not in grant.scopes
        with pytest.raises(MissingScopes, match="instagram_manage_insights"):
            await InstagramOAuth(http, settings).connect(APP, grant, ADA)

    async def test_used_code_is_refused_for_good(self, http, settings, respx_mock):
        route = respx_mock.get(f"{GRAPH}/oauth/access_token").mock(
            return_value=replay(IG, "code_used.json")
        )
        with pytest.raises(AuthorizationRefused, match="has been used") as caught:
            await InstagramOAuth(http, settings).exchange(APP, "AQDx-code", code_verifier=None)
        assert route.call_count == 1
        assert "app-secret-789" not in str(caught.value)

    async def test_app_throttle_in_a_403_is_worth_retrying(self, http, settings, respx_mock):
        respx_mock.get(f"{GRAPH}/oauth/access_token").mock(
            return_value=replay(IG, "throttled_app.json")
        )
        with pytest.raises(RateLimited) as caught:
            await FacebookOAuth(http, settings).exchange(APP, "AQDx-code", code_verifier=None)
        # X-App-Usage carries no estimate, so the adapters' default pause applies.
        assert caught.value.retry_after_s == 300.0

    async def test_429_waits_as_long_as_it_says(self, http, settings, respx_mock):
        respx_mock.get(f"{GRAPH}/oauth/access_token").mock(
            return_value=replay(IG, "too_many_requests.json")
        )
        with pytest.raises(RateLimited) as caught:
            await InstagramOAuth(http, settings).exchange(APP, "AQDx-code", code_verifier=None)
        assert caught.value.retry_after_s == 120.0

    async def test_server_error_on_the_long_lived_exchange_is_worth_retrying(
        self, http, settings, respx_mock
    ):
        respx_mock.get(f"{GRAPH}/oauth/access_token").mock(
            side_effect=[replay(IG, "code_exchange.json"), replay(IG, "server_error.json")]
        )
        with pytest.raises(PlatformUnavailable):
            await InstagramOAuth(http, settings).exchange(APP, "AQDx-code", code_verifier=None)


class TestConnectInstagram:
    def mock_pages(self, respx_mock, name: str = "accounts.json"):
        return respx_mock.get(f"{GRAPH}/me/accounts").mock(return_value=replay(IG, name))

    async def test_keeps_the_page_token_of_the_linked_page(self, http, settings, respx_mock):
        route = self.mock_pages(respx_mock)
        connection = await InstagramOAuth(http, settings).connect(APP, user_grant(IG_SCOPES), ADA)
        assert connection == Connection(
            Credentials(access_token=ADA_PAGE_TOKEN, subject=PERSON),
            IG_USER,
            "ada.brews",
            None,  # a Page token read with a long-lived user token never expires
            (*IG_SCOPES, "public_profile"),
        )
        assert params(route.calls.last.request) == {
            "fields": "id,name,access_token,instagram_business_account{id,username}",
            "limit": "100",
            "access_token": USER_TOKEN,
        }

    async def test_account_known_by_handle_learns_its_id(self, http, settings, respx_mock):
        self.mock_pages(respx_mock)
        account = AccountRef(Platform.instagram, "@Ada.Brews")
        connection = await InstagramOAuth(http, settings).connect(
            APP, user_grant(IG_SCOPES), account
        )
        assert (connection.external_id, connection.handle) == (IG_USER, "ada.brews")

    async def test_token_for_another_account_is_the_wrong_account(self, http, settings, respx_mock):
        self.mock_pages(respx_mock, "accounts_other.json")
        with pytest.raises(WrongAccount, match=r"opens @rio\.reads, not id 17841405822304914"):
            await InstagramOAuth(http, settings).connect(APP, user_grant(IG_SCOPES), ADA)

    async def test_trimmed_scopes_ask_nothing_of_meta(self, http, settings, respx_mock):
        grant = user_grant(("instagram_basic", "pages_show_list"))
        with pytest.raises(MissingScopes, match="instagram_manage_insights, pages_read_engagement"):
            await InstagramOAuth(http, settings).connect(APP, grant, ADA)

    async def test_revoked_grant_is_refused_for_good(self, http, settings, respx_mock):
        self.mock_pages(respx_mock, "session_invalidated.json")
        with pytest.raises(AuthorizationRefused, match="changed their password"):
            await InstagramOAuth(http, settings).connect(APP, user_grant(IG_SCOPES), ADA)


class TestConnectFacebook:
    def mock_pages(self, respx_mock):
        return respx_mock.get(f"{GRAPH}/me/accounts").mock(
            side_effect=[replay(FB, "accounts_page1.json"), replay(FB, "accounts_page2.json")]
        )

    async def test_reads_the_pages_list_page_by_page(self, http, settings, respx_mock):
        route = self.mock_pages(respx_mock)
        connection = await FacebookOAuth(http, settings).connect(APP, user_grant(FB_SCOPES), ACME)
        assert connection.credentials == Credentials(access_token=ACME_PAGE_TOKEN, subject=PERSON)
        assert (connection.external_id, connection.handle) == (ACME_PAGE, "acmecoffee")
        assert connection.expires_in_s is None
        # The cursor goes to our own URL; the `next` link (and the token it embeds) is not used.
        assert params(route.calls[1].request) == {
            "fields": "id,name,username,access_token",
            "limit": "100",
            "after": "QVFIUkFkYUJyZXdz",
            "access_token": USER_TOKEN,
        }

    async def test_page_tracked_by_its_id_in_the_handle(self, http, settings, respx_mock):
        self.mock_pages(respx_mock)
        account = AccountRef(Platform.facebook, "104512345678901")
        connection = await FacebookOAuth(http, settings).connect(
            APP, user_grant(FB_SCOPES), account
        )
        assert connection.external_id == "104512345678901"
        assert connection.credentials.access_token == ADA_PAGE_TOKEN

    async def test_page_the_person_does_not_manage(self, http, settings, respx_mock):
        self.mock_pages(respx_mock)
        account = AccountRef(Platform.facebook, "otherpage", external_id="999")
        with pytest.raises(
            WrongAccount, match="opens Page 104512345678901, @acmecoffee, not id 999"
        ):
            await FacebookOAuth(http, settings).connect(APP, user_grant(FB_SCOPES), account)

    async def test_page_without_a_token_needs_a_task_on_it(self, http, settings, respx_mock):
        respx_mock.get(f"{GRAPH}/me/accounts").mock(
            return_value=replay(FB, "accounts_no_token.json")
        )
        with pytest.raises(AuthorizationRefused, match="needs a task on the Page"):
            await FacebookOAuth(http, settings).connect(APP, user_grant(FB_SCOPES), ACME)


class TestRefresh:
    stored = Credentials(access_token=ADA_PAGE_TOKEN, subject=PERSON)

    def mock_debug(self, respx_mock, name: str):
        return respx_mock.get(f"{GRAPH}/debug_token").mock(return_value=replay(IG, name))

    async def test_page_token_without_expiry_stands_as_it_is(self, http, settings, respx_mock):
        route = self.mock_debug(respx_mock, "debug_token_page.json")
        grant = await InstagramOAuth(http, settings).refresh(APP, self.stored)
        assert grant == TokenGrant(
            ADA_PAGE_TOKEN, None, None, (*IG_SCOPES, "public_profile"), PERSON
        )
        assert params(route.calls.last.request) == {
            "input_token": ADA_PAGE_TOKEN,
            "access_token": "1234567890123456|app-secret-789",
        }

    async def test_expiring_token_cannot_be_extended(self, http, settings, respx_mock):
        self.mock_debug(respx_mock, "debug_token_expiring.json")
        with pytest.raises(AuthorizationRefused, match="expires at 2026-11-03T.*cannot extend"):
            await InstagramOAuth(http, settings).refresh(APP, self.stored)

    async def test_revoked_grant_is_refused_for_good(self, http, settings, respx_mock):
        self.mock_debug(respx_mock, "debug_token_revoked.json")
        with pytest.raises(AuthorizationRefused, match="has not authorized application"):
            await FacebookOAuth(http, settings).refresh(APP, self.stored)

    async def test_sways_own_app_token_refused_ends_no_connection(self, http, settings, respx_mock):
        self.mock_debug(respx_mock, "debug_token_bad_app_token.json")
        with pytest.raises(NotConfigured, match="Invalid OAuth access token signature") as caught:
            await InstagramOAuth(http, settings).refresh(APP, self.stored)
        assert not isinstance(caught.value, AuthorizationRefused)
        assert "app-secret-789" not in str(caught.value)

    async def test_throttle_is_worth_retrying(self, http, settings, respx_mock):
        self.mock_debug(respx_mock, "throttled_app.json")
        with pytest.raises(RateLimited):
            await InstagramOAuth(http, settings).refresh(APP, self.stored)

    async def test_server_error_is_worth_retrying(self, http, settings, respx_mock):
        self.mock_debug(respx_mock, "server_error.json")
        with pytest.raises(PlatformUnavailable):
            await InstagramOAuth(http, settings).refresh(APP, self.stored)
