import pytest

from shared.domain.account.repository import AccountRepository
from shared.platforms.profiles import profile_url
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
        assert body["authenticity"] == {
            "score": None,
            "signals": [],
            "insufficient_history": [],
            "unchecked": [],
            "reason": None,
            "computed_at": None,
        }
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


class TestHandles:
    async def _post(self, client, tenant, creator, platform, handle):
        return await client.post(
            f"/v1/creators/{creator.id}/accounts",
            json={"platform": platform, "handle": handle},
            headers=bearer(tenant.write),
        )

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (("youtube", "İstanbul"), ("youtube", "i\u0307stanbul")),  # case fold, not lower()
            (("demo", "ada"), ("demo", "ＡＤＡ")),  # NFKC: fullwidth letters
            (("youtube", "Stra\u00dfe"), ("youtube", "STRASSE")),  # ß folds to ss
        ],
    )
    async def test_same_handle_after_normalization_is_409(self, client, session, first, second):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        assert (await self._post(client, tenant, creator, *first)).status_code == 201
        response = await self._post(client, tenant, creator, *second)
        assert response.status_code == 409, response.text

    @pytest.mark.parametrize(
        ("platform", "handle"),
        [
            ("x", "ada/../admin"),
            ("x", "a" * 16),
            ("x", "ada.brews"),
            ("instagram", "ada..brews"),
            ("instagram", "ada?x=1"),
            ("tiktok", "a"),
            ("tiktok", "ada#top"),
            ("youtube", "ada\u200bbrews"),
            ("youtube", "\u202eadab"),
            ("youtube", "ada\u2066brews"),
            ("youtube", "ab"),
            ("facebook", "acme\ufeff"),
            ("facebook", ".."),
            ("linkedin", "acme coffee"),
            ("pinterest", "acme.coffee"),
            ("demo", "ada\x07"),
            ("demo", "a\u0085da"),
        ],
    )
    async def test_outside_the_platform_grammar_is_422(self, client, session, platform, handle):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        response = await self._post(client, tenant, creator, platform, handle)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "handle"]

    @pytest.mark.parametrize(
        ("platform", "handle", "url"),
        [
            ("x", "@ada_brews", "https://x.com/ada_brews"),
            ("instagram", "ada.brews", "https://www.instagram.com/ada.brews/"),
            ("tiktok", "ada.brews_", "https://www.tiktok.com/@ada.brews_"),
            ("youtube", "İstanbul", "https://www.youtube.com/@%C4%B0stanbul"),
            ("linkedin", "acme-coffee", "https://www.linkedin.com/company/acme-coffee/"),
            ("pinterest", "acme_coffee", "https://www.pinterest.com/acme_coffee/"),
        ],
    )
    async def test_accepted_and_url_escaped(self, client, session, platform, handle, url):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        response = await self._post(client, tenant, creator, platform, handle)
        assert response.status_code == 201, response.text
        assert response.json()["url"] == url

    async def test_lookup_by_handle_uses_the_key(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, handle="ＡＤＡ")
        repository = AccountRepository(session, tenant.org_id)
        assert await repository.by_handle("demo", "@ada") == account
        assert await repository.creators_with_handle("Ada") == [creator.id]


def test_profile_urls_escape_what_a_handle_could_smuggle():
    assert profile_url("demo", "a/b?c#d") == "https://demo.sway.test/@a%2Fb%3Fc%23d"
    assert profile_url("x", "@..") == "https://x.com/.."


class TestCredentialsAreHeaderSafe:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"access_token": "two words"}, "access_token"),
            ({"access_token": "tok\r\nX-Injected: 1"}, "access_token"),
            ({"access_token": "abc=def"}, "access_token"),
            ({"access_token": "t" * 4097}, "access_token"),
            ({"access_token": "tök"}, "access_token"),
            ({"api_key": "key\n"}, "api_key"),
            ({"api_key": ""}, "api_key"),
            ({"access_token": "ok", "extra": {"page": "a\nb"}}, "extra"),
            ({"access_token": "ok", "extra": {"pa\x00ge": "1"}}, "extra"),
            ({"access_token": "ok", "extra": {"page": "x" * 1001}}, "extra"),
        ],
    )
    async def test_refused_naming_the_field(self, client, session, body, field):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        response = await client.put(
            f"/v1/accounts/{account.id}/credentials", json=body, headers=bearer(tenant.write)
        )
        assert response.status_code == 422, response.text
        assert field in response.json()["errors"][0]["loc"]
        await session.refresh(account)
        assert account.credentials_encrypted is None

    @pytest.mark.parametrize(
        "token",
        [
            "ya29.a0AfH6SMB-x_y~z+/w==",
            # X app-only Bearer tokens are issued percent-encoded.
            "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRf",
        ],
    )
    async def test_real_token_shapes_accepted(self, client, session, token):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        response = await client.put(
            f"/v1/accounts/{account.id}/credentials",
            json={"access_token": token, "extra": {"page": "Acme Coffee, Inc."}},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 200, response.text
