"""LinkedIn organization pages through 3-legged OAuth, against recorded answers: the
authorization URL, code exchange, programmatic refresh (the same refresh token back, with less
life), the administrator check on the account's organization, and every way LinkedIn refuses."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

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
from shared.platforms.oauth.linkedin import LinkedInOAuth
from shared.platforms.oauth.registry import provider_class
from tests.platforms.conftest import fixture_json, replay

OAUTH = "https://www.linkedin.com/oauth/v2"
API = "https://api.linkedin.com/rest"
LI = "oauth/linkedin"
APP = OAuthApp("86fluuypixnml0", "WPL_AP1.secret", "https://sway.example/oauth/linkedin/callback")
NOW = datetime(2026, 12, 2, 18, 30, tzinfo=UTC)
ACCESS = "AQXNnd2kXITHELmWblJigbHEuoFdfRhOwGA0QNnumBI8XOVSs0HtOHEU"
REFRESH = "AQWAft_WjYZKwuWXLC5hQlghgTam-tuT8CvFej9-XxGyqeER_7jTr8HmjiGjqil"
SCOPES = ("r_organization_social", "rw_organization_admin")
ORG = "urn:li:organization:2414183"
MEMBER = "urn:li:person:8Kx3bF2mQa"
ACME = AccountRef(Platform.linkedin, "acme-coffee", external_id=ORG)
GRANT = TokenGrant(ACCESS, REFRESH, 5184000.0, SCOPES)


def provider(http: httpx.AsyncClient, settings) -> LinkedInOAuth:
    return LinkedInOAuth(http, settings, clock=lambda: NOW)


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def acls_route(respx_mock, *responses: httpx.Response):
    return respx_mock.get(url__startswith=f"{API}/organizationAcls").mock(side_effect=responses)


class TestProvider:
    def test_registered_and_keeps_the_protocol(self, http, settings):
        chosen = provider_class(Platform.linkedin)(http, settings)
        assert type(chosen) is LinkedInOAuth
        assert isinstance(chosen, OAuthProvider)
        assert chosen.pkce is False  # LinkedIn takes PKCE from native loopback apps only


class TestAuthorizationUrl:
    def test_asks_the_organization_scopes(self, http, settings):
        url = provider(http, settings).authorization_url(APP, state="st-1", code_challenge=None)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{OAUTH}/authorization"
        assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
            "response_type": "code",
            "client_id": "86fluuypixnml0",
            "redirect_uri": "https://sway.example/oauth/linkedin/callback",
            "state": "st-1",
            "scope": "r_organization_social rw_organization_admin",
        }


class TestExchange:
    async def test_code_buys_both_tokens(self, http, settings, respx_mock):
        route = respx_mock.post(f"{OAUTH}/accessToken").mock(return_value=replay(LI, "token.json"))
        grant = await provider(http, settings).exchange(APP, "AQTx-code", code_verifier=None)
        # Scopes come comma-separated in the answer, whatever the documentation says.
        assert grant == GRANT
        assert form(route.calls.last.request) == {
            "grant_type": "authorization_code",
            "code": "AQTx-code",
            "client_id": "86fluuypixnml0",
            "client_secret": "WPL_AP1.secret",
            "redirect_uri": "https://sway.example/oauth/linkedin/callback",
        }

    async def test_app_without_programmatic_refresh_gets_no_refresh_token(
        self, http, settings, respx_mock
    ):
        respx_mock.post(f"{OAUTH}/accessToken").mock(
            return_value=replay(LI, "token_no_refresh.json")
        )
        grant = await provider(http, settings).exchange(APP, "AQTx-code", code_verifier=None)
        assert (grant.refresh_token, grant.expires_in_s) == (None, 5184000.0)

    async def test_expired_code_is_refused_for_good(self, http, settings, respx_mock):
        respx_mock.post(f"{OAUTH}/accessToken").mock(return_value=replay(LI, "code_expired.json"))
        with pytest.raises(AuthorizationRefused, match="authorization code expired"):
            await provider(http, settings).exchange(APP, "AQTx-code", code_verifier=None)

    async def test_throttled_token_endpoint_is_worth_retrying(self, http, settings, respx_mock):
        respx_mock.post(f"{OAUTH}/accessToken").mock(return_value=replay(LI, "error_429.json"))
        with pytest.raises(RateLimited):
            await provider(http, settings).exchange(APP, "AQTx-code", code_verifier=None)

    async def test_server_error_is_worth_retrying(self, http, settings, respx_mock):
        respx_mock.post(f"{OAUTH}/accessToken").mock(return_value=replay(LI, "error_500.json"))
        with pytest.raises(PlatformUnavailable):
            await provider(http, settings).exchange(APP, "AQTx-code", code_verifier=None)


class TestRefresh:
    stored = Credentials(
        access_token=ACCESS,
        refresh_token=REFRESH,
        subject=MEMBER,
        extra={"organization_urn": ORG},
    )

    async def test_answers_the_same_refresh_token_with_less_life(self, http, settings, respx_mock):
        route = respx_mock.post(f"{OAUTH}/accessToken").mock(
            return_value=replay(LI, "refreshed.json")
        )
        grant = await provider(http, settings).refresh(APP, self.stored)
        new_access = fixture_json(LI, "refreshed.json")["access_token"]
        assert grant == TokenGrant(new_access, REFRESH, 5184000.0, SCOPES)
        assert form(route.calls.last.request) == {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": "86fluuypixnml0",
            "client_secret": "WPL_AP1.secret",
        }

    async def test_expired_or_revoked_refresh_token_is_refused_for_good(
        self, http, settings, respx_mock
    ):
        respx_mock.post(f"{OAUTH}/accessToken").mock(
            return_value=replay(LI, "refresh_revoked.json")
        )
        with pytest.raises(AuthorizationRefused, match="invalid, expired or revoked"):
            await provider(http, settings).refresh(APP, self.stored)

    async def test_without_a_refresh_token_nothing_is_asked(self, http, settings, respx_mock):
        stored = Credentials(access_token=ACCESS, subject=MEMBER)
        with pytest.raises(AuthorizationRefused, match="no refresh token"):
            await provider(http, settings).refresh(APP, stored)


class TestConnect:
    async def test_administrator_of_the_organization(self, http, settings, respx_mock):
        route = acls_route(respx_mock, replay(LI, "acls.json"))
        connection = await provider(http, settings).connect(APP, GRANT, ACME)
        assert connection == Connection(
            Credentials(
                access_token=ACCESS,
                refresh_token=REFRESH,
                extra={"organization_urn": ORG},
                subject=MEMBER,
            ),
            ORG,
            None,
            5184000.0,
            SCOPES,
        )
        request = route.calls.last.request
        assert dict(request.url.params) == {
            "q": "roleAssignee",
            "role": "ADMINISTRATOR",
            "state": "APPROVED",
            "start": "0",
            "count": "100",
        }
        assert request.headers["LinkedIn-Version"] == "202610"
        assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
        assert request.headers["Authorization"] == f"Bearer {ACCESS}"

    async def test_numeric_handle_names_the_organization(self, http, settings, respx_mock):
        acls_route(respx_mock, replay(LI, "acls.json"))
        account = AccountRef(Platform.linkedin, "2414183")
        connection = await provider(http, settings).connect(APP, GRANT, account)
        assert connection.external_id == ORG

    async def test_vanity_name_is_looked_up(self, http, settings, respx_mock):
        lookup = respx_mock.get(url__startswith=f"{API}/organizations").mock(
            return_value=replay(LI, "organization_by_vanity.json")
        )
        acls_route(respx_mock, replay(LI, "acls.json"))
        account = AccountRef(Platform.linkedin, "acme-coffee")
        connection = await provider(http, settings).connect(APP, GRANT, account)
        assert (connection.external_id, connection.handle) == (ORG, "acme-coffee")
        assert connection.credentials.extra == {"organization_urn": ORG}
        params = dict(lookup.calls.last.request.url.params)
        assert params == {"q": "vanityName", "vanityName": "acme-coffee"}

    async def test_unknown_vanity_name(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{API}/organizations").mock(
            return_value=replay(LI, "organization_by_vanity_empty.json")
        )
        account = AccountRef(Platform.linkedin, "no-such-page")
        with pytest.raises(WrongAccount, match="no organization page is named 'no-such-page'"):
            await provider(http, settings).connect(APP, GRANT, account)

    async def test_member_who_does_not_administer_it_is_the_wrong_account(
        self, http, settings, respx_mock
    ):
        acls_route(respx_mock, replay(LI, "acls_other.json"))
        with pytest.raises(
            WrongAccount, match="administers urn:li:organization:5590506, not urn:li:organization"
        ):
            await provider(http, settings).connect(APP, GRANT, ACME)

    async def test_reads_every_page_of_roles(self, http, settings, respx_mock):
        other = fixture_json(LI, "acls_other.json")
        role = other["elements"][0]
        full = {
            **other,
            "elements": [
                {**role, "organization": f"urn:li:organization:{n}"} for n in range(1, 101)
            ],
        }
        route = acls_route(respx_mock, httpx.Response(200, json=full), replay(LI, "acls.json"))
        connection = await provider(http, settings).connect(APP, GRANT, ACME)
        assert connection.credentials.subject == MEMBER
        assert route.calls[1].request.url.params["start"] == "100"

    async def test_trimmed_scopes_ask_nothing_of_linkedin(self, http, settings, respx_mock):
        grant = TokenGrant(ACCESS, None, 5184000.0, ("r_organization_social",))
        with pytest.raises(MissingScopes, match="rw_organization_admin"):
            await provider(http, settings).connect(APP, grant, ACME)

    async def test_revoked_grant_is_refused_for_good(self, http, settings, respx_mock):
        acls_route(respx_mock, replay(LI, "error_401_revoked.json"))
        with pytest.raises(AuthorizationRefused, match="REVOKED_ACCESS_TOKEN"):
            await provider(http, settings).connect(APP, GRANT, ACME)

    async def test_permission_refused_is_a_missing_scope(self, http, settings, respx_mock):
        acls_route(respx_mock, replay(LI, "error_403_not_enough_permissions.json"))
        with pytest.raises(MissingScopes, match="Not enough permissions"):
            await provider(http, settings).connect(APP, GRANT, ACME)

    async def test_sunset_version_is_a_setting_to_fix(self, http, settings, respx_mock):
        acls_route(respx_mock, replay(LI, "error_426.json"))
        with pytest.raises(NotConfigured, match="SWAY_LINKEDIN_VERSION"):
            await provider(http, settings).connect(APP, GRANT, ACME)

    async def test_throttle_waits_for_midnight_utc(self, http, settings, respx_mock):
        acls_route(respx_mock, replay(LI, "error_429.json"))
        with pytest.raises(RateLimited) as caught:
            await provider(http, settings).connect(APP, GRANT, ACME)
        assert caught.value.retry_after_s == 5.5 * 3600

    async def test_server_error_is_worth_retrying(self, http, settings, respx_mock):
        acls_route(respx_mock, replay(LI, "error_500.json"))
        with pytest.raises(PlatformUnavailable):
            await provider(http, settings).connect(APP, GRANT, ACME)
