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
