import pytest

from shared.domain.organization import service as organization_service
from tests.factories import bearer, create_creator, create_tenant


class TestAuthentication:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer"},
            {"Authorization": "Basic Zm9vOmJhcg=="},
            {"Authorization": "Bearer sway_not-a-real-key"},
        ],
    )
    async def test_missing_or_bad_key_is_401(self, client, headers):
        response = await client.get("/v1/creators", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthorized"

    async def test_revoked_key_is_401_at_once(self, client, session):
        tenant = await create_tenant(session)
        # Used first, so the key sits in the shared auth cache when it is revoked.
        assert (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code == 200
        keys = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
        read_key = next(k for k in keys if k["name"] == "read")
        assert (
            await client.delete(f"/v1/api-keys/{read_key['id']}", headers=bearer(tenant.admin))
        ).status_code == 204
        assert (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code == 401

    async def test_revocation_wins_a_lookup_in_flight(self, client, session, app, redis):
        """A request misses the cache and reads the key from Postgres as valid; the key is then
        revoked (committed, cache dropped) before that request caches what it read."""
        tenant = await create_tenant(session)
        cache = app.state.auth_cache
        remember = cache.remember
        target = organization_service.hash_key(tenant.read)

        async def revoke_then_remember(key_hash, principal):
            if key_hash == target:
                keys = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
                read_key = next(k for k in keys if k["name"] == "read")
                revoked = await client.delete(
                    f"/v1/api-keys/{read_key['id']}", headers=bearer(tenant.admin)
                )
                assert revoked.status_code == 204
            return await remember(key_hash, principal)

        cache.remember = revoke_then_remember
        # The request in flight was authenticated before the revocation: it may still finish.
        assert (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code == 200
        cache.remember = remember
        assert not await redis.exists(f"apikey:{target}")
        assert (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code == 401

    async def test_unauthenticated_probes(self, client):
        for path in ("/healthz", "/metrics"):
            assert (await client.get(path)).status_code == 200

    async def test_last_used_at_recorded(self, client, session):
        tenant = await create_tenant(session)
        await client.get("/v1/creators", headers=bearer(tenant.read))
        keys = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
        used = {k["name"]: k["last_used_at"] for k in keys}
        assert used["read"] is not None and used["write"] is None


class TestScopes:
    async def test_read_key_cannot_write(self, client, session):
        tenant = await create_tenant(session)
        response = await client.post(
            "/v1/creators", json={"name": "x"}, headers=bearer(tenant.read)
        )
        assert response.status_code == 403
        assert "write" in response.json()["detail"]

    async def test_write_key_cannot_read(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        response = await client.get(f"/v1/creators/{creator.id}", headers=bearer(tenant.write))
        assert response.status_code == 403

    async def test_only_admin_manages_keys(self, client, session):
        tenant = await create_tenant(session)
        for key in (tenant.read, tenant.write, tenant.read_write):
            assert (await client.get("/v1/api-keys", headers=bearer(key))).status_code == 403
        assert (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).status_code == 200

    async def test_admin_creates_key_shown_once(self, client, session):
        tenant = await create_tenant(session)
        created = await client.post(
            "/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=bearer(tenant.admin)
        )
        assert created.status_code == 201
        secret = created.json()["key"]
        assert secret.startswith("sway_")
        assert (await client.get("/v1/creators", headers=bearer(secret))).status_code == 200
        listed = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
        assert all("key" not in k for k in listed)
        assert any(k["prefix"] == secret[:12] for k in listed)


class TestRateLimit:
    async def test_over_budget_is_429_with_retry_after(self, client, session, app):
        tenant = await create_tenant(session)
        app.state.settings = app.state.settings.model_copy(update={"api_rate_limit_per_minute": 3})
        statuses = [
            (await client.get("/v1/creators", headers=bearer(tenant.read))).status_code
            for _ in range(4)
        ]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3] == 429
        response = await client.get("/v1/creators", headers=bearer(tenant.read))
        assert 1 <= int(response.headers["retry-after"]) <= 60
        # Budgets are per key: another key of the same organization is unaffected.
        assert (
            await client.get("/v1/creators", headers=bearer(tenant.read_write))
        ).status_code == 200
