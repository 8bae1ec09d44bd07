from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shared.models import CreatorAccount, Post
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_creator,
    create_post,
    create_tenant,
    utc,
)


async def _setup(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id, name="Ada")
    account = await create_account(
        session, tenant.org_id, creator.id, platform="x", handle="ada_brews", followers=2_000
    )
    campaign = await create_campaign(session, tenant.org_id)
    return tenant, creator, account, campaign


class TestTrackPost:
    async def test_by_url_of_known_handle(self, client, session):
        tenant, creator, account, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://twitter.com/Ada_Brews/status/1364275610764201984?s=20"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["platform"], body["external_id"]) == ("x", "1364275610764201984")
        assert (body["account_id"], body["creator_id"]) == (str(account.id), str(creator.id))
        assert body["status"] == "tracking"
        assert body["latest"] is None
        # No collaboration pays the creator and the campaign asks for none: nothing to disclose.
        assert body["disclosure"] == {
            "required": False,
            "compliant": None,
            "found": [],
            "reason": "not_required",
        }
        assert body["next_refresh_at"] is not None

    async def test_same_post_again_is_a_no_op(self, client, session):
        tenant, _, _, campaign = await _setup(session)
        url = "https://x.com/ada_brews/status/1"
        first = await client.post(
            f"/v1/campaigns/{campaign.id}/posts", json={"url": url}, headers=bearer(tenant.write)
        )
        again = await client.post(
            f"/v1/campaigns/{campaign.id}/posts", json={"url": url}, headers=bearer(tenant.write)
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]

    async def test_same_post_other_campaign_is_409(self, client, session):
        tenant, _, _, campaign = await _setup(session)
        other = await create_campaign(session, tenant.org_id, name="Other")
        url = "https://x.com/ada_brews/status/1"
        await client.post(
            f"/v1/campaigns/{campaign.id}/posts", json={"url": url}, headers=bearer(tenant.write)
        )
        response = await client.post(
            f"/v1/campaigns/{other.id}/posts", json={"url": url}, headers=bearer(tenant.write)
        )
        assert response.status_code == 409

    async def test_handle_known_on_another_platform_creates_account(self, client, session):
        tenant, creator, _, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://www.tiktok.com/@ada_brews/video/7390001112223334445"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        account = await session.scalar(
            select(CreatorAccount).where(
                CreatorAccount.platform == "tiktok", CreatorAccount.org_id == tenant.org_id
            )
        )
        assert (account.handle, account.creator_id) == ("ada_brews", creator.id)
        assert response.json()["account_id"] == str(account.id)

    async def test_unknown_handle_is_422_saying_what_is_missing(self, client, session):
        tenant, _, _, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://x.com/somebody_else/status/42"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422
        detail = response.json()["errors"][0]
        assert detail["loc"] == ["body", "url"]
        assert "@somebody_else" in detail["msg"] and "account_id" in detail["msg"]
        assert await session.scalar(select(Post.id).where(Post.org_id == tenant.org_id)) is None

    async def test_url_without_handle_needs_account(self, client, session):
        tenant, _, _, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://youtu.be/D-lhorsDlUQ"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422
        assert "account_id" in response.json()["errors"][0]["msg"]

    async def test_unrecognized_url_is_422_with_reason(self, client, session):
        tenant, _, _, campaign = await _setup(session)
        for url in ("https://example.com/post/1", "https://vm.tiktok.com/ZMabc/"):
            response = await client.post(
                f"/v1/campaigns/{campaign.id}/posts",
                json={"url": url},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 422
            assert response.json()["errors"][0]["loc"] == ["body", "url"]

    async def test_by_account_and_external_id(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"account_id": str(account.id), "external_id": "99"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201
        assert response.json()["source"] == "api"

    async def test_body_must_choose_one_way(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        for body in (
            {},
            {"url": "https://x.com/a/status/1", "account_id": str(account.id)},
            {"account_id": str(account.id)},
        ):
            response = await client.post(
                f"/v1/campaigns/{campaign.id}/posts", json=body, headers=bearer(tenant.write)
            )
            assert response.status_code == 422

    async def test_instagram_url_waits_for_sync_to_resolve(self, client, session, redis):
        tenant, creator, _, campaign = await _setup(session)
        ig = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://www.instagram.com/ada.brews/p/C8xYzAbCdEf/"},
            headers=bearer(tenant.write),
        )
        body = response.json()
        assert (body["status"], body["external_id"], body["next_refresh_at"]) == (
            "pending",
            "C8xYzAbCdEf",
            None,
        )
        assert await redis.exists(f"arq:job:account.sync:{ig.id}")


class TestReadPosts:
    async def test_latest_counts_and_rates(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        post = await create_post(
            session,
            account,
            campaign_id=campaign.id,
            likes=90,
            comments=6,
            shares=4,
            saves=None,
            views=5000,
            followers_at_post=2000,
            last_refreshed_at=utc(2026, 11, 2),
        )
        body = (await client.get(f"/v1/posts/{post.id}", headers=bearer(tenant.read))).json()
        latest = body["latest"]
        assert latest["captured_at"] == "2026-11-02T00:00:00Z"
        assert latest["engagements"] == 100
        assert latest["engagement_rate"] == 0.05
        assert latest["saves"] is None and latest["reach"] is None
        listed = (
            await client.get(f"/v1/campaigns/{campaign.id}/posts", headers=bearer(tenant.read))
        ).json()
        assert [p["id"] for p in listed["items"]] == [str(post.id)]


class TestRefreshPost:
    async def test_leases_and_enqueues(self, client, session, redis):
        tenant, _, account, campaign = await _setup(session)
        due = datetime.now(UTC) + timedelta(hours=5)
        post = await create_post(session, account, campaign_id=campaign.id, next_refresh_at=due)
        before = datetime.now(UTC)
        response = await client.post(f"/v1/posts/{post.id}/refresh", headers=bearer(tenant.write))
        assert response.status_code == 202
        job_id = response.json()["job_id"]
        assert job_id.startswith("post.refresh_batch:x:")
        assert await redis.exists(f"arq:job:{job_id}")
        await session.refresh(post)
        assert post.lease_until > before
        # The lease is the job's own: the API still shows the cadence's due time.
        shown = await client.get(f"/v1/posts/{post.id}", headers=bearer(tenant.read))
        assert shown.json()["next_refresh_at"] == due.isoformat().replace("+00:00", "Z")

    async def test_post_in_error_gets_another_try(self, client, session):
        tenant, _, account, _ = await _setup(session)
        post = await create_post(session, account, status="error", status_detail="x refused it")
        response = await client.post(f"/v1/posts/{post.id}/refresh", headers=bearer(tenant.write))
        assert response.status_code == 202
        await session.refresh(post)
        assert (post.status, post.status_detail) == ("tracking", None)

    async def test_paused_post_is_409_saying_why(self, client, session):
        tenant, _, account, _ = await _setup(session)
        post = await create_post(session, account, status="paused", status_detail="renew it")
        response = await client.post(f"/v1/posts/{post.id}/refresh", headers=bearer(tenant.write))
        assert response.status_code == 409
        assert "renew it" in response.json()["detail"]

    async def test_gone_post_is_409(self, client, session):
        tenant, _, account, _ = await _setup(session)
        post = await create_post(session, account, status="gone")
        response = await client.post(f"/v1/posts/{post.id}/refresh", headers=bearer(tenant.write))
        assert response.status_code == 409


class TestAccountCredentials:
    async def test_stored_encrypted_and_never_returned(self, client, session, redis):
        tenant, _, account, _ = await _setup(session)
        await session.execute(
            CreatorAccount.__table__.update()
            .where(CreatorAccount.id == account.id)
            .values(sync_status="auth_expired")
        )
        await session.commit()
        response = await client.put(
            f"/v1/accounts/{account.id}/credentials",
            json={
                "access_token": "secret-token-123",
                "external_id": "2244994945",
                "extra": {"organization_urn": "urn:li:organization:1"},
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["has_credentials"] is True
        assert body["sync_status"] == "pending"
        assert body["external_id"] == "2244994945"
        assert "secret-token-123" not in response.text
        await session.refresh(account)
        assert "secret-token-123" not in account.credentials_encrypted
        assert account.credential_key and len(account.credential_key) == 16
        assert await redis.exists(f"arq:job:account.sync:{account.id}")

    async def test_needs_a_secret(self, client, session):
        tenant, _, account, _ = await _setup(session)
        response = await client.put(
            f"/v1/accounts/{account.id}/credentials",
            json={"extra": {}},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422


class TestUrlHandleOutsideTheGrammar:
    async def test_is_422_on_url_not_a_server_error(self, client, session):
        # "ada.brews" is an Instagram handle of the creator; on X it cannot be one.
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Ada")
        await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        campaign = await create_campaign(session, tenant.org_id)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://x.com/ada.brews/status/1364275610764201984"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "url"]

    async def test_url_and_account_id_together_is_422(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"url": "https://x.com/ada_brews/status/1", "account_id": str(account.id)},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422, response.text
        assert "account_id" in response.json()["errors"][0]["loc"]
