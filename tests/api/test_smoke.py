from tests.factories import bearer, create_tenant


async def test_health(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_create_and_get_creator(client, session):
    tenant = await create_tenant(session)
    created = await client.post("/v1/creators", json={"name": "Ada"}, headers=bearer(tenant.admin))
    assert created.status_code == 201, created.text
    got = await client.get(f"/v1/creators/{created.json()['id']}", headers=bearer(tenant.read))
    assert got.status_code == 200, got.text
    assert got.json()["name"] == "Ada"
