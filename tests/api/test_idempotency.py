from sqlalchemy import func, select

from shared.models import Creator
from tests.factories import bearer, create_tenant


async def _count(session, org_id):
    return await session.scalar(
        select(func.count()).select_from(Creator).where(Creator.org_id == org_id)
    )


class TestIdempotencyKey:
    async def test_same_key_and_body_replays_first_answer(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | {"Idempotency-Key": "create-ada-1"}
        first = await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        second = await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await _count(session, tenant.org_id) == 1

    async def test_same_key_other_body_is_409(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | {"Idempotency-Key": "k"}
        await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        response = await client.post("/v1/creators", json={"name": "Bob"}, headers=headers)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert await _count(session, tenant.org_id) == 1

    async def test_keys_are_per_api_key(self, client, session):
        tenant = await create_tenant(session)
        for key in (tenant.write, tenant.read_write):
            response = await client.post(
                "/v1/creators",
                json={"name": "Ada"},
                headers=bearer(key) | {"Idempotency-Key": "same"},
            )
            assert response.status_code == 201
        assert await _count(session, tenant.org_id) == 2

    async def test_failed_auth_is_not_remembered(self, client, session):
        tenant = await create_tenant(session)
        headers = {"Idempotency-Key": "k2"}
        assert (
            await client.post(
                "/v1/creators", json={"name": "A"}, headers=bearer(tenant.read) | headers
            )
        ).status_code == 403
        ok = await client.post(
            "/v1/creators", json={"name": "A"}, headers=bearer(tenant.read) | headers
        )
        assert ok.status_code == 403  # evaluated again, not replayed
        assert "idempotent-replayed" not in ok.headers


async def _revoke(client, tenant, name):
    keys = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
    key = next(k for k in keys if k["name"] == name)
    response = await client.delete(f"/v1/api-keys/{key['id']}", headers=bearer(tenant.admin))
    assert response.status_code == 204


class TestReplayNeedsTheRoutesAuth:
    async def test_revoked_key_cannot_replay(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | {"Idempotency-Key": "before-revoke"}
        first = await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        assert first.status_code == 201
        await _revoke(client, tenant, "write")
        plain = await client.post(
            "/v1/creators", json={"name": "Ada"}, headers=bearer(tenant.write)
        )
        replay = await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        assert replay.status_code == plain.status_code == 401
        assert replay.json() == plain.json()
        assert "idempotent-replayed" not in replay.headers

    async def test_key_without_the_scope_gets_the_same_403(self, client, session):
        tenant = await create_tenant(session)
        plain = await client.post("/v1/creators", json={"name": "A"}, headers=bearer(tenant.read))
        headers = bearer(tenant.read) | {"Idempotency-Key": "read-only"}
        for _ in range(2):
            response = await client.post("/v1/creators", json={"name": "A"}, headers=headers)
            assert response.status_code == 403
            assert response.json() == plain.json()

    async def test_request_is_counted_once(self, client, session, app):
        tenant = await create_tenant(session)
        app.state.settings = app.state.settings.model_copy(update={"api_rate_limit_per_minute": 2})
        for n in range(2):
            response = await client.post(
                "/v1/creators",
                json={"name": "Ada"},
                headers=bearer(tenant.write) | {"Idempotency-Key": f"once-{n}"},
            )
            assert response.status_code == 201, response.text


class TestSecretsAreNotKept:
    async def test_new_api_key_is_not_stored_nor_replayed(self, client, session, redis):
        tenant = await create_tenant(session)
        headers = bearer(tenant.admin) | {"Idempotency-Key": "new-key"}
        body = {"name": "ci", "scopes": ["read"]}
        created = await client.post("/v1/api-keys", json=body, headers=headers)
        assert created.status_code == 201
        assert created.headers["cache-control"] == "no-store"
        secret = created.json()["key"]
        for slot in await redis.keys("idempotency:*"):
            assert secret.encode() not in await redis.get(slot)
        replay = await client.post("/v1/api-keys", json=body, headers=headers)
        assert replay.status_code == 409
        assert replay.headers["content-type"] == "application/problem+json"
        assert "shown once" in replay.json()["detail"]
        assert secret not in replay.text
        listed = (await client.get("/v1/api-keys", headers=bearer(tenant.admin))).json()
        assert [k["name"] for k in listed].count("ci") == 1


class TestSameRequest:
    async def test_slot_is_the_api_key_not_the_header_spelling(self, client, session):
        tenant = await create_tenant(session)
        answers = [
            await client.post(
                "/v1/creators",
                json={"name": "Ada"},
                headers={"Authorization": f"{scheme} {tenant.write}", "Idempotency-Key": "spell"},
            )
            for scheme in ("Bearer", "bearer")
        ]
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[1].headers["idempotent-replayed"] == "true"
        assert await _count(session, tenant.org_id) == 1

    async def test_same_json_in_other_whitespace_and_order_replays(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | {
            "Idempotency-Key": "canonical",
            "Content-Type": "application/json",
        }
        bodies = [b'{"name":"Ada","country":"US"}', b'{ "country" : "US",\n  "name" : "Ada" }']
        first, second = [
            await client.post("/v1/creators", content=body, headers=headers) for body in bodies
        ]
        assert first.status_code == second.status_code == 201
        assert second.headers["idempotent-replayed"] == "true"
        assert first.json() == second.json()
        assert await _count(session, tenant.org_id) == 1

    async def test_body_that_is_not_json_is_compared_byte_for_byte(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | {"Idempotency-Key": "raw"}
        first = await client.post("/v1/creators", content=b"name=Ada", headers=headers)
        again = await client.post("/v1/creators", content=b"name=Ada", headers=headers)
        other = await client.post("/v1/creators", content=b"name=Ada ", headers=headers)
        assert first.status_code == again.status_code == 422
        assert again.headers["idempotent-replayed"] == "true"
        assert other.status_code == 409
