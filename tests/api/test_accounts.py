from tests.factories import (
    bearer,
    create_account,
    create_account_snapshot,
    create_creator,
    create_tenant,
    utc,
)


class TestCreateAccount:
    async def test_created_pending_and_sync_enqueued(self, client, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        response = await client.post(
            f"/v1/creators/{creator.id}/accounts",
            json={"platform": "youtube", "handle": "@AdaBrews"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["platform"], body["handle"], body["sync_status"]) == (
            "youtube",
            "AdaBrews",
            "pending",
        )
        assert body["url"] == "https://www.youtube.com/@AdaBrews"
        assert body["authenticity"] == {"score": None, "signals": []}
        assert await redis.exists(f"arq:job:account.sync:{body['id']}")

    async def test_same_handle_under_another_creator_is_409(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id, name="Ada")
        other = await create_creator(session, tenant.org_id, name="Other")
        await create_account(session, tenant.org_id, ada.id, platform="tiktok", handle="ada")
        response = await client.post(
            f"/v1/creators/{other.id}/accounts",
            json={"platform": "tiktok", "handle": "ADA"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 409
        assert "another creator" in response.json()["detail"]

    async def test_same_handle_on_another_platform_is_fine(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id)
        await create_account(session, tenant.org_id, ada.id, platform="tiktok", handle="ada")
        response = await client.post(
            f"/v1/creators/{ada.id}/accounts",
            json={"platform": "x", "handle": "ada"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201

    async def test_unknown_creator_is_404(self, client, session):
        tenant = await create_tenant(session)
        response = await client.post(
            "/v1/creators/0190f000-0000-7000-8000-000000000000/accounts",
            json={"platform": "x", "handle": "ada"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 404


class TestAccountSnapshots:
    async def test_newest_first_paginated(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        for day, followers in [(1, 100), (2, 110), (3, 125)]:
            await create_account_snapshot(session, account, utc(2026, 11, day), followers)
        first = (
            await client.get(
                f"/v1/accounts/{account.id}/snapshots?limit=2", headers=bearer(tenant.read)
            )
        ).json()
        assert [s["followers"] for s in first["items"]] == [125, 110]
        assert first["items"][0]["captured_at"] == "2026-11-03T00:00:00Z"
        rest = (
            await client.get(
                f"/v1/accounts/{account.id}/snapshots?limit=2&cursor={first['next_cursor']}",
                headers=bearer(tenant.read),
            )
        ).json()
        assert [s["followers"] for s in rest["items"]] == [100]
        assert rest["next_cursor"] is None


class TestRefreshAccount:
    async def test_accepted_with_job_reference(self, client, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        response = await client.post(
            f"/v1/accounts/{account.id}/refresh", headers=bearer(tenant.write)
        )
        assert response.status_code == 202
        assert response.json() == {"job_id": f"account.sync:{account.id}", "status": "queued"}
        assert await redis.exists(f"arq:job:account.sync:{account.id}")

    async def test_read_only_key_cannot_refresh(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        response = await client.post(
            f"/v1/accounts/{account.id}/refresh", headers=bearer(tenant.read)
        )
        assert response.status_code == 403


class TestCredentialsParams:
    async def test_one_token_for_two_pages_keeps_one_budget_but_two_request_keys(
        self, client, session
    ):
        from shared.models import CreatorAccount

        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        pages = [
            await create_account(
                session, tenant.org_id, creator.id, platform="linkedin", handle=f"page-{n}"
            )
            for n in (1, 2)
        ]
        for n, page in enumerate(pages, start=1):
            response = await client.put(
                f"/v1/accounts/{page.id}/credentials",
                json={
                    "access_token": "one-member-token",
                    "extra": {"organization_urn": f"urn:li:organization:{n}"},
                },
                headers=bearer(tenant.write),
            )
            assert response.status_code == 200, response.text
        stored = [await session.get(CreatorAccount, page.id) for page in pages]
        for account in stored:
            await session.refresh(account)
        assert stored[0].credential_key == stored[1].credential_key
        assert None not in {a.params_key for a in stored}
        assert stored[0].params_key != stored[1].params_key
