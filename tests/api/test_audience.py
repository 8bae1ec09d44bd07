"""GET /v1/accounts/{id}/audience: the latest snapshot of each dimension, with its source and
date, and why the last try failed."""

from datetime import UTC, datetime, timedelta

from shared.models import AudienceSnapshot
from tests.factories import bearer, create_account, create_creator, create_tenant


class TestAudienceEndpoint:
    async def test_an_account_never_asked(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        body = (
            await client.get(f"/v1/accounts/{account.id}/audience", headers=bearer(tenant.read))
        ).json()
        assert body == {
            "account_id": str(account.id),
            "platform": "demo",
            "attempted_at": None,
            "collected_at": None,
            "error": None,
            "dimensions": [],
        }

    async def test_the_latest_snapshot_of_each_dimension(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, platform="instagram")
        day = datetime(2026, 11, 1, tzinfo=UTC)
        for days, share in ((0, 0.3), (1, 0.6)):
            session.add(
                AudienceSnapshot(
                    org_id=tenant.org_id,
                    account_id=account.id,
                    dimension="gender",
                    captured_at=day + timedelta(days=days),
                    source="instagram.follower_demographics",
                    shares={"female": share, "male": 1 - share},
                    total=100,
                )
            )
        await session.commit()
        body = (
            await client.get(f"/v1/accounts/{account.id}/audience", headers=bearer(tenant.read))
        ).json()
        assert [
            (d["dimension"], d["shares"]["female"], d["captured_at"]) for d in body["dimensions"]
        ] == [("gender", 0.6, "2026-11-02T00:00:00Z")]

    async def test_unknown_account_is_404(self, client, session):
        tenant = await create_tenant(session)
        response = await client.get(
            "/v1/accounts/0190f000-0000-7000-8000-000000000000/audience",
            headers=bearer(tenant.read),
        )
        assert response.status_code == 404
