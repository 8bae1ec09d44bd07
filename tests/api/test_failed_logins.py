"""Failed authentications: unknown keys are answered from Redis after the first try, and each
client address may fail only so often a minute; a valid key is never refused for it."""

import pytest
from httpx import ASGITransport, AsyncClient

from shared.domain.organization import service as organization_service
from shared.domain.organization.repository import OrganizationRepository
from tests.factories import bearer, create_tenant

BOGUS = "sway_not-a-real-key"


@pytest.fixture
def limit(app):
    app.state.settings = app.state.settings.model_copy(
        update={"api_failed_auth_limit_per_minute": 5}
    )
    return 5


@pytest.fixture
def lookups(monkeypatch):
    """Counts the key lookups that reach Postgres."""
    calls = []
    original = OrganizationRepository.active_key_by_hash

    async def counted(self, key_hash):
        calls.append(key_hash)
        return await original(self, key_hash)

    monkeypatch.setattr(OrganizationRepository, "active_key_by_hash", counted)
    return calls


async def _statuses(client, key, n):
    return [(await client.get("/v1/creators", headers=bearer(key))).status_code for _ in range(n)]


class TestUnknownKeys:
    async def test_a_bogus_key_reaches_postgres_once(self, client, lookups, limit):
        assert await _statuses(client, BOGUS, limit) == [401] * limit
        assert len(lookups) == 1

    async def test_a_new_key_works_even_if_its_hash_was_tried(self, client, session, monkeypatch):
        tenant = await create_tenant(session)
        # Pin the next secret so it can be tried before it exists.
        monkeypatch.setattr(organization_service.secrets, "token_urlsafe", lambda n: "pinned")
        secret = organization_service.KEY_PREFIX + "pinned"
        assert (await client.get("/v1/creators", headers=bearer(secret))).status_code == 401
        created = await client.post(
            "/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=bearer(tenant.admin)
        )
        assert created.json()["key"] == secret
        assert (await client.get("/v1/creators", headers=bearer(secret))).status_code == 200


class TestFailedLoginLimit:
    async def test_too_many_failures_from_an_address_is_429(self, client, limit):
        statuses = [
            (await client.get("/v1/creators", headers=bearer(f"{BOGUS}-{n}"))).status_code
            for n in range(limit + 2)
        ]
        assert statuses == [401] * limit + [429, 429]
        response = await client.get("/v1/creators", headers=bearer(BOGUS))
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "rate_limited"
        assert 1 <= int(response.headers["retry-after"]) <= 60

    async def test_revoked_keys_count_as_failures(self, client, session, limit):
        tenant = await create_tenant(session)
        keys = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
        read_key = next(k for k in keys if k["name"] == "read")
        await client.delete(f"/v1/api-keys/{read_key['id']}", headers=bearer(tenant.admin))
        assert await _statuses(client, tenant.read, limit + 1) == [401] * limit + [429]

    async def test_a_valid_key_is_never_refused_for_its_address(self, client, session, limit):
        tenant = await create_tenant(session)
        assert (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code == 200
        assert (await _statuses(client, BOGUS, limit + 1))[-1] == 429
        # Cached, and not cached yet: both pass.
        assert (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code == 200
        assert (await client.get("/v1/creators", headers=bearer(tenant.write))).status_code == 403

    async def test_other_addresses_are_unaffected(self, app, client, limit):
        assert (await _statuses(client, BOGUS, limit + 1))[-1] == 429
        transport = ASGITransport(app=app, client=("203.0.113.7", 4242))
        async with AsyncClient(transport=transport, base_url="http://sway.test") as other:
            assert await _statuses(other, BOGUS, 1) == [401]
