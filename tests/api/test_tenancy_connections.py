"""Tenancy of connect flows: another organization's key can neither start a connection for an
account it does not own nor make a connect link for it, and a connect flow, which runs with no
API key, only ever touches the account its sealed state names. WALKED names the (method, OpenAPI
path) pairs proven here, which test_tenancy.py's test_every_route_is_walked counts as covered."""

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import respx
from pydantic import SecretStr

from shared.config import Settings
from shared.models import ConnectLink, CreatorAccount, OAuthState
from tests.factories import bearer, create_account, create_creator, create_tenant, org_rows
from tests.platforms.conftest import replay

WALKED: set[tuple[str, str]] = {
    ("POST", "/v1/accounts/{id}/connect"),
    ("POST", "/v1/accounts/{id}/connect-links"),
}
OWNED = (CreatorAccount, OAuthState, ConnectLink)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_base_url": "https://sway.example",
            "oauth_x_client_id": "x-client",
            "oauth_x_client_secret": SecretStr("x-secret"),
        }
    )


@pytest.fixture
async def world(session):
    a, b = await create_tenant(session, "A"), await create_tenant(session, "B")
    accounts = []
    for tenant, handle in ((a, "XDevelopers"), (b, "X")):
        creator = await create_creator(session, tenant.org_id)
        accounts.append(
            await create_account(session, tenant.org_id, creator.id, platform="x", handle=handle)
        )
    return a, b, accounts


class TestConnectTenancy:
    @pytest.mark.parametrize("action", ["connect", "connect-links"])
    async def test_foreign_accounts_are_404_and_change_nothing(
        self, client, session, world, action
    ):
        a, b, (a_account, _) = world
        before = await org_rows(session, a.org_id, OWNED)
        for account_id in (a_account.id, uuid.uuid4()):
            response = await client.post(
                f"/v1/accounts/{account_id}/{action}", headers=bearer(b.admin)
            )
            assert response.status_code == 404, response.text
        assert await org_rows(session, a.org_id, OWNED) == before
        own = await client.post(f"/v1/accounts/{a_account.id}/{action}", headers=bearer(a.write))
        assert own.status_code < 400, own.text

    @respx.mock
    async def test_a_flow_touches_only_the_account_its_state_names(self, client, session, world):
        a, b, (a_account, b_account) = world
        b_before = await org_rows(session, b.org_id, (CreatorAccount,))
        response = await client.post(
            f"/v1/accounts/{a_account.id}/connect", headers=bearer(a.write)
        )
        state = parse_qs(urlsplit(response.json()["authorization_url"]).query)["state"][0]
        respx.post("https://api.x.com/2/oauth2/token").mock(
            return_value=replay("oauth/x", "token_exchange.json")
        )
        respx.get("https://api.x.com/2/users/me").mock(
            return_value=replay("oauth/x", "users_me.json")
        )
        done = await client.get(f"/oauth/x/callback?state={state}&code=abc")
        assert done.json()["account_id"] == str(a_account.id)
        assert await org_rows(session, b.org_id, (CreatorAccount,)) == b_before
