"""Connecting an account through OAuth, end to end through the API: the consent URL, the
callback with X's recorded token and identity answers, single-use states, return URLs, connect
links a creator opens without an API key, and every refusal leaving the account as it was."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import respx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from shared.config import Settings
from shared.crypto import decrypt_credentials, seal
from shared.platforms.oauth.base import code_challenge
from tests.factories import bearer, create_account, create_creator, create_tenant
from tests.factories_events import create_subscription, deliveries
from tests.platforms.conftest import replay

TOKEN_URL = "https://api.x.com/2/oauth2/token"
ME_URL = "https://api.x.com/2/users/me"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_base_url": "https://sway.example",
            "oauth_x_client_id": "x-client",
            "oauth_x_client_secret": SecretStr("x-secret"),
            "x_base_url": "https://api.x.com/2",
        }
    )


@pytest.fixture
async def tenant(session):
    return await create_tenant(session)


@pytest.fixture
async def account(session, tenant):
    creator = await create_creator(session, tenant.org_id)
    return await create_account(
        session, tenant.org_id, creator.id, platform="x", handle="XDevelopers"
    )


def params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def start(client, tenant, account, **body) -> dict[str, str]:
    response = await client.post(
        f"/v1/accounts/{account.id}/connect", json=body or None, headers=bearer(tenant.write)
    )
    assert response.status_code == 200, response.text
    return response.json()


def replay_x(me: str = "users_me.json"):
    token = respx.post(TOKEN_URL).mock(return_value=replay("oauth/x", "token_exchange.json"))
    respx.get(ME_URL).mock(return_value=replay("oauth/x", me))
    return token


async def account_json(client, tenant, account) -> dict:
    response = await client.get(f"/v1/accounts/{account.id}", headers=bearer(tenant.read))
    return response.json()


class TestStart:
    async def test_answers_the_consent_url_with_a_sealed_state_and_pkce(
        self, client, tenant, account
    ):
        body = await start(client, tenant, account)
        assert body["platform"] == "x"
        assert body["scopes"] == ["tweet.read", "users.read", "offline.access"]
        url = body["authorization_url"]
        assert url.startswith("https://x.com/i/oauth2/authorize?")
        query = params(url)
        assert query["client_id"] == "x-client"
        assert query["redirect_uri"] == "https://sway.example/oauth/x/callback"
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43
        assert len(query["state"]) > 100  # a Fernet token, not a guessable id
        expires = datetime.fromisoformat(body["expires_at"])
        assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)

    async def test_a_platform_without_app_settings_says_which_to_set(self, client, session, tenant):
        creator = await create_creator(session, tenant.org_id, name="Tik")
        tiktok = await create_account(
            session, tenant.org_id, creator.id, platform="tiktok", handle="ada.brews"
        )
        response = await client.post(
            f"/v1/accounts/{tiktok.id}/connect", headers=bearer(tenant.write)
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        detail = response.json()["detail"]
        assert "SWAY_OAUTH_TIKTOK_CLIENT_ID" in detail
        assert "SWAY_OAUTH_TIKTOK_CLIENT_SECRET" in detail

    async def test_demo_accounts_need_no_connection(self, client, session, tenant):
        creator = await create_creator(session, tenant.org_id, name="Demo")
        demo = await create_account(session, tenant.org_id, creator.id, platform="demo")
        response = await client.post(
            f"/v1/accounts/{demo.id}/connect", headers=bearer(tenant.write)
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "demo accounts need no connection"

    async def test_a_read_key_cannot_start_one(self, client, tenant, account):
        response = await client.post(
            f"/v1/accounts/{account.id}/connect", headers=bearer(tenant.read)
        )
        assert response.status_code == 403

    async def test_a_return_url_needs_the_setting(self, client, tenant, account):
        response = await client.post(
            f"/v1/accounts/{account.id}/connect",
            json={"return_url": "https://evil.example/steal"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422
        assert "SWAY_OAUTH_RETURN_URL" in response.json()["detail"]


class TestCallback:
    @respx.mock
    async def test_connects_the_account(self, client, session, settings, tenant, account, redis):
        await create_subscription(
            session, tenant.org_id, "https://hooks.example/in", ["account.connected"], settings
        )
        started = await start(client, tenant, account)
        state = params(started["authorization_url"])["state"]
        token = replay_x()
        response = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["handle"], body["external_id"]) == (
            "connected",
            "XDevelopers",
            "2244994945",
        )
        sent = params(f"?{token.calls[0].request.content.decode()}")
        # The verifier sent matches the challenge the consent URL carried.
        challenge = params(started["authorization_url"])["code_challenge"]
        assert code_challenge(sent["code_verifier"]) == challenge
        assert sent["code"] == "abc"

        shown = await account_json(client, tenant, account)
        assert shown["external_id"] == "2244994945"
        assert shown["sync_status"] == "pending"
        assert shown["connection"]["via"] == "oauth"
        assert shown["connection"]["scopes"] == ["tweet.read", "users.read", "offline.access"]
        expires = datetime.fromisoformat(shown["connection"]["token_expires_at"])
        assert timedelta(minutes=119) < expires - datetime.now(UTC) <= timedelta(hours=2)
        await session.refresh(account)
        stored = decrypt_credentials(
            account.credentials_encrypted, settings.secret_key.get_secret_value()
        )
        assert stored.refresh_token.startswith("bWRWa3gz")
        assert stored.subject == "2244994945"
        assert await redis.exists(f"arq:job:account.sync:{account.id}")
        [delivery] = await deliveries(session, tenant.org_id)
        assert delivery.event_type == "account.connected"
        assert delivery.payload["data"]["external_id"] == "2244994945"

    @respx.mock
    async def test_a_replayed_state_is_refused(self, client, tenant, account):
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        token = replay_x()
        assert (await client.get(f"/oauth/x/callback?state={state}&code=abc")).status_code == 200
        again = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert again.status_code == 404
        assert again.json()["code"] == "expired"
        assert token.call_count == 1  # the replay never reached the platform

    @respx.mock
    async def test_a_forged_state_is_refused(self, client, settings, tenant, account):
        token = replay_x()
        await start(client, tenant, account)
        other_key = Fernet.generate_key().decode()
        for forged in ("abc", seal("state:00000000-0000-0000-0000-000000000000", other_key)):
            response = await client.get(f"/oauth/x/callback?state={forged}&code=abc")
            assert response.status_code == 404
            assert response.json()["code"] == "expired"
        # Sealed by Sway, but naming a link, not a state: never accepted as one.
        link = seal(
            "link:00000000-0000-0000-0000-000000000000", settings.secret_key.get_secret_value()
        )
        response = await client.get(f"/oauth/x/callback?state={link}&code=abc")
        assert response.json()["code"] == "expired"
        assert token.call_count == 0

    @respx.mock
    async def test_a_state_comes_back_on_its_own_platform_only(self, client, tenant, account):
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        replay_x()
        response = await client.get(f"/oauth/tiktok/callback?state={state}&code=abc")
        assert response.json()["code"] == "expired"
        # Still unspent on its own platform.
        assert (await client.get(f"/oauth/x/callback?state={state}&code=abc")).status_code == 200

    @respx.mock
    async def test_another_accounts_grant_changes_nothing(self, client, tenant, account):
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        replay_x(me="users_me_other.json")
        response = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert response.status_code == 409
        assert response.json()["code"] == "wrong_account"
        assert "for @X, not @XDevelopers" in response.json()["detail"]
        shown = await account_json(client, tenant, account)
        assert (shown["has_credentials"], shown["external_id"]) == (False, None)
        assert shown["connection"]["via"] is None

    async def test_a_declined_consent(self, client, tenant, account):
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        response = await client.get(f"/oauth/x/callback?state={state}&error=access_denied")
        assert response.status_code == 400
        assert response.json()["code"] == "denied"
        assert "access_denied" in response.json()["detail"]

    @respx.mock
    async def test_an_expired_state(self, client, session, tenant, account):
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        from sqlalchemy import update

        from shared.models import OAuthState

        await session.execute(
            update(OAuthState).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
        replay_x()
        response = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert response.json()["code"] == "expired"


class TestReturnUrl:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"oauth_return_url": "https://app.example/connected"})

    @respx.mock
    async def test_lands_on_the_return_url_with_the_outcome(self, client, tenant, account):
        started = await start(
            client, tenant, account, return_url="https://app.example/connected?tab=2"
        )
        state = params(started["authorization_url"])["state"]
        replay_x()
        response = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert response.status_code == 303
        landing = response.headers["location"]
        assert landing.startswith("https://app.example/connected?")
        assert params(landing) == {
            "tab": "2",
            "status": "connected",
            "account_id": str(account.id),
            "platform": "x",
        }

    @respx.mock
    async def test_a_failure_lands_there_too(self, client, tenant, account):
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        replay_x(me="users_me_other.json")
        response = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert response.status_code == 303
        landing = params(response.headers["location"])
        assert (landing["status"], landing["reason"]) == ("failed", "wrong_account")
        assert "sign in to the right account" in landing["detail"]

    async def test_a_return_url_elsewhere_is_refused(self, client, tenant, account):
        response = await client.post(
            f"/v1/accounts/{account.id}/connect",
            json={"return_url": "https://app.example.evil.com/connected"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422
        assert "must start with https://app.example/connected" in response.json()["detail"]


class TestConnectLinks:
    async def create(self, client, tenant, account, **body) -> dict:
        response = await client.post(
            f"/v1/accounts/{account.id}/connect-links",
            json=body or None,
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        return response.json()

    @respx.mock
    async def test_a_creator_connects_with_no_api_key_once(self, client, tenant, account):
        link = await self.create(client, tenant, account)
        assert link["url"].startswith("https://sway.example/connect/")
        expires = datetime.fromisoformat(link["expires_at"])
        assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
        path = urlsplit(link["url"]).path
        opened = await client.get(path)
        assert opened.status_code == 303
        consent = opened.headers["location"]
        assert consent.startswith("https://x.com/i/oauth2/authorize?")
        # Opening it again before finishing is fine (an abandoned consent screen wastes nothing).
        reopened = await client.get(path)
        assert reopened.status_code == 303
        replay_x()
        state = params(consent)["state"]
        assert (await client.get(f"/oauth/x/callback?state={state}&code=abc")).status_code == 200
        spent = await client.get(path)
        assert spent.status_code == 404
        assert "already used" in spent.json()["detail"]
        # The second consent screen's state cannot connect through the spent link either.
        late = await client.get(
            f"/oauth/x/callback?state={params(reopened.headers['location'])['state']}&code=def"
        )
        assert late.json()["code"] == "expired"

    async def test_a_link_expires(self, client, session, tenant, account):
        link = await self.create(client, tenant, account, expires_in_s=300)
        from sqlalchemy import update

        from shared.models import ConnectLink

        await session.execute(
            update(ConnectLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
        response = await client.get(urlsplit(link["url"]).path)
        assert response.status_code == 404

    async def test_bad_tokens_are_not_found(self, client):
        for token in ("x", "a" * 500, "gAAAAA" + "b" * 120):
            response = await client.get(f"/connect/{token}")
            assert response.status_code == 404, token

    async def test_an_unconfigured_platform_is_refused_when_the_link_is_made(
        self, client, session, tenant
    ):
        creator = await create_creator(session, tenant.org_id, name="Pin")
        pinterest = await create_account(
            session, tenant.org_id, creator.id, platform="pinterest", handle="ada"
        )
        response = await client.post(
            f"/v1/accounts/{pinterest.id}/connect-links", headers=bearer(tenant.write)
        )
        assert response.status_code == 409

    async def test_expiry_bounds(self, client, tenant, account):
        for seconds in (10, 31 * 24 * 3600):
            response = await client.post(
                f"/v1/accounts/{account.id}/connect-links",
                json={"expires_in_s": seconds},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 422


class TestReconnect:
    @respx.mock
    async def test_parameters_set_by_hand_outlive_a_reconnection(
        self, client, session, settings, tenant, account
    ):
        response = await client.put(
            f"/v1/accounts/{account.id}/credentials",
            json={"access_token": "by-hand", "extra": {"ad_account_id": "549755885175"}},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 200, response.text
        state = params((await start(client, tenant, account))["authorization_url"])["state"]
        replay_x()
        assert (await client.get(f"/oauth/x/callback?state={state}&code=abc")).status_code == 200
        await session.refresh(account)
        key = settings.secret_key.get_secret_value()
        stored = decrypt_credentials(account.credentials_encrypted, key)
        assert stored.extra == {"ad_account_id": "549755885175"}
        assert stored.access_token.startswith("VGNibzFW")
        assert account.connected_via == "oauth"
