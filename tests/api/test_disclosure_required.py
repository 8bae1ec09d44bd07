"""When a post must disclose (docs/metrics.md, "Disclosure"): its campaign says so, its creator's
collaboration on the campaign pays anything and is not declined, or the deliverable it fulfils
asks for it; and every post's stored check follows each change to those inputs."""

import pytest
from sqlalchemy import select

from shared.models import Campaign, Post
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
)

NOT_REQUIRED = {"required": False, "compliant": None, "found": [], "reason": "not_required"}
MISSING = {"required": True, "compliant": False, "found": [], "reason": "missing"}


async def _setup(session, **campaign_fields):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id)
    campaign = await create_campaign(session, tenant.org_id, **campaign_fields)
    return tenant, creator, account, campaign


async def _track(client, tenant, campaign, account, external_id="ada.brews-1", **body):
    campaign_id = campaign if isinstance(campaign, str) else campaign.id
    response = await client.post(
        f"/v1/campaigns/{campaign_id}/posts",
        json={"account_id": str(account.id), "external_id": external_id, **body},
        headers=bearer(tenant.write),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _disclosure(client, tenant, post_id) -> dict:
    response = await client.get(f"/v1/posts/{post_id}", headers=bearer(tenant.read))
    assert response.status_code == 200, response.text
    return response.json()["disclosure"]


async def _patch(client, tenant, path, body):
    response = await client.patch(path, json=body, headers=bearer(tenant.write))
    assert response.status_code == 200, response.text
    return response.json()


class TestRequired:
    async def test_a_campaign_that_says_so(self, client, session):
        tenant, _, account, _ = await _setup(session)
        created = await client.post(
            "/v1/campaigns",
            json={"name": "Autumn", "objective": "awareness", "disclosure_required": True},
            headers=bearer(tenant.write),
        )
        assert created.status_code == 201, created.text
        assert created.json()["disclosure_required"] is True
        post = await _track(client, tenant, created.json()["id"], account)
        assert post["disclosure"] == MISSING

    @pytest.mark.parametrize(
        "compensation",
        [
            {"model": "flat_fee", "fee": "500"},
            {"model": "product", "product_value": "80"},
            {"model": "commission", "commission_rate": "0.1"},
            {"model": "hybrid", "fee": "0", "commission_rate": "0.05"},
        ],
        ids=["fee", "product", "commission", "hybrid"],
    )
    async def test_a_collaboration_that_pays(self, client, session, compensation):
        tenant, creator, account, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id), "compensation": compensation},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        assert (await _track(client, tenant, campaign, account))["disclosure"] == MISSING

    async def test_not_a_declined_one(self, client, session):
        tenant, creator, account, campaign = await _setup(session)
        await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, stage="declined", fee=500
        )
        assert (await _track(client, tenant, campaign, account))["disclosure"] == NOT_REQUIRED

    @pytest.mark.parametrize(
        "terms",
        [{}, {"compensation_model": "flat_fee", "fee": 0}, {"product_value": 0}],
        ids=["no compensation", "zero fee", "zero product value"],
    )
    async def test_not_one_that_pays_nothing(self, client, session, terms):
        tenant, creator, account, campaign = await _setup(session)
        await create_collaboration(session, tenant.org_id, campaign.id, creator.id, **terms)
        assert (await _track(client, tenant, campaign, account))["disclosure"] == NOT_REQUIRED

    async def test_not_another_creators_paid_collaboration(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        other = await create_creator(session, tenant.org_id, name="Bo")
        await create_collaboration(session, tenant.org_id, campaign.id, other.id, fee=500)
        assert (await _track(client, tenant, campaign, account))["disclosure"] == NOT_REQUIRED

    @pytest.mark.parametrize("asks", [True, False])
    async def test_a_deliverable_that_asks_for_it(self, client, session, asks):
        tenant, creator, account, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        deliverable = await create_deliverable(session, collaboration, disclosure=asks)
        post = await _track(client, tenant, campaign, account, deliverable_id=str(deliverable.id))
        assert post["deliverable_id"] == str(deliverable.id)
        assert post["disclosure"] == (MISSING if asks else NOT_REQUIRED)

    async def test_none_of_these(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        post = await _track(client, tenant, campaign, account)
        assert post["disclosure"] == NOT_REQUIRED
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED


class TestCampaignChanges:
    async def test_disclosure_required_on_and_off(self, client, session):
        tenant, _, account, campaign = await _setup(session)
        post = await _track(client, tenant, campaign, account)
        other = await create_campaign(session, tenant.org_id, name="Other")
        untouched = await _track(client, tenant, other, account, external_id="ada.brews-2")
        url = f"/v1/campaigns/{campaign.id}"
        assert (await _patch(client, tenant, url, {"disclosure_required": True}))[
            "disclosure_required"
        ] is True
        assert await _disclosure(client, tenant, post["id"]) == MISSING
        assert await _disclosure(client, tenant, untouched["id"]) == NOT_REQUIRED
        await _patch(client, tenant, url, {"disclosure_required": False})
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED
        read = await client.get(url, headers=bearer(tenant.read))
        assert read.json()["disclosure_required"] is False

    async def test_mentions_and_name_are_the_brand_terms(self, client, session):
        tenant, _, account, campaign = await _setup(session, disclosure_required=True)
        post = await create_post(
            session, account, campaign_id=campaign.id, caption="Zeta partner: new beans"
        )
        url = f"/v1/campaigns/{campaign.id}"
        await _patch(client, tenant, url, {"brief": "anything"})  # not an input: left alone
        assert await session.scalar(select(Post.disclosure).where(Post.id == post.id)) is None
        await _patch(client, tenant, url, {"mentions": ["@ZetaCoffee"]})
        assert await _disclosure(client, tenant, post.id) == MISSING
        await _patch(client, tenant, url, {"mentions": ["@zeta"]})
        assert await _disclosure(client, tenant, post.id) == {
            "required": True,
            "compliant": True,
            "found": ["zeta partner"],
            "reason": None,
        }
        await _patch(client, tenant, url, {"mentions": []})
        assert (await _disclosure(client, tenant, post.id))["compliant"] is False
        await _patch(client, tenant, url, {"name": "Zeta"})
        assert (await _disclosure(client, tenant, post.id))["compliant"] is True

    @pytest.mark.parametrize("value", ["maybe", 1, None, "true"])
    async def test_bad_disclosure_required_is_422_and_changes_nothing(self, client, session, value):
        tenant, _, account, campaign = await _setup(session)
        post = await _track(client, tenant, campaign, account)
        response = await client.patch(
            f"/v1/campaigns/{campaign.id}",
            json={"disclosure_required": value, "name": "Renamed"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422, response.text
        assert any(
            error["loc"][-1] == "disclosure_required" for error in response.json()["errors"]
        ), response.json()
        created = await client.post(
            "/v1/campaigns",
            json={"name": "New", "objective": "awareness", "disclosure_required": value},
            headers=bearer(tenant.write),
        )
        assert created.status_code == 422
        await session.refresh(campaign)
        assert (campaign.name, campaign.disclosure_required) == ("Launch", False)
        names = (await session.scalars(select(Campaign.name))).all()
        assert "New" not in names
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED


class TestCollaborationChanges:
    async def test_created_with_pay_then_repaid_then_unpaid(self, client, session):
        tenant, creator, account, campaign = await _setup(session)
        post = await _track(client, tenant, campaign, account)
        created = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id), "compensation": {"model": "flat_fee", "fee": 1}},
            headers=bearer(tenant.write),
        )
        assert created.status_code == 201, created.text
        assert await _disclosure(client, tenant, post["id"]) == MISSING
        url = f"/v1/collaborations/{created.json()['id']}"
        await _patch(client, tenant, url, {"compensation": None})
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED
        await _patch(
            client, tenant, url, {"compensation": {"model": "product", "product_value": "25"}}
        )
        assert await _disclosure(client, tenant, post["id"]) == MISSING
        await _patch(client, tenant, url, {"notes": "no change to pay"})
        assert await _disclosure(client, tenant, post["id"]) == MISSING

    async def test_declined(self, client, session):
        tenant, creator, account, campaign = await _setup(session)
        collaboration = await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, commission_rate="0.1"
        )
        post = await _track(client, tenant, campaign, account)
        assert post["disclosure"] == MISSING
        await _patch(
            client, tenant, f"/v1/collaborations/{collaboration.id}", {"stage": "declined"}
        )
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED

    async def test_declined_still_required_when_the_campaign_says_so(self, client, session):
        tenant, creator, account, campaign = await _setup(session, disclosure_required=True)
        collaboration = await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, fee=10
        )
        post = await _track(client, tenant, campaign, account)
        await _patch(
            client, tenant, f"/v1/collaborations/{collaboration.id}", {"stage": "declined"}
        )
        assert await _disclosure(client, tenant, post["id"]) == MISSING


class TestDeliverableChanges:
    async def _linked(self, client, session, *, asks=True):
        tenant, creator, account, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        deliverable = await create_deliverable(session, collaboration, disclosure=asks)
        post = await _track(client, tenant, campaign, account, deliverable_id=str(deliverable.id))
        return tenant, account, campaign, collaboration, deliverable, post

    async def test_requirement_turned_off_and_on(self, client, session):
        tenant, _, _, _, deliverable, post = await self._linked(client, session)
        assert post["disclosure"] == MISSING
        url = f"/v1/deliverables/{deliverable.id}"
        await _patch(client, tenant, url, {"requirements": {"disclosure": False}})
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED
        await _patch(client, tenant, url, {"requirements": {"disclosure": True}})
        assert await _disclosure(client, tenant, post["id"]) == MISSING

    async def test_unlinked_and_linked_again(self, client, session):
        tenant, _, _, _, deliverable, post = await self._linked(client, session)
        url = f"/v1/deliverables/{deliverable.id}"
        await _patch(client, tenant, url, {"post_id": None})
        assert await _disclosure(client, tenant, post["id"]) == NOT_REQUIRED
        await _patch(client, tenant, url, {"post_id": post["id"]})
        assert await _disclosure(client, tenant, post["id"]) == MISSING

    async def test_moved_to_another_post(self, client, session):
        tenant, account, campaign, _, deliverable, first = await self._linked(client, session)
        second = await _track(client, tenant, campaign, account, external_id="ada.brews-2")
        assert second["disclosure"] == NOT_REQUIRED  # the deliverable is taken
        await _patch(
            client, tenant, f"/v1/deliverables/{deliverable.id}", {"post_id": second["id"]}
        )
        assert await _disclosure(client, tenant, first["id"]) == NOT_REQUIRED
        assert await _disclosure(client, tenant, second["id"]) == MISSING

    async def test_a_new_deliverable_takes_a_tracked_post(self, client, session):
        tenant, creator, account, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        post = await _track(client, tenant, campaign, account)
        assert post["disclosure"] == NOT_REQUIRED
        response = await client.post(
            f"/v1/collaborations/{collaboration.id}/deliverables",
            json={"platform": "demo", "kind": "post", "requirements": {"disclosure": True}},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        assert response.json()["post_id"] == post["id"]
        assert await _disclosure(client, tenant, post["id"]) == MISSING

    async def test_a_post_that_links_itself(self, client, session):
        tenant, creator, account, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        deliverable = await create_deliverable(session, collaboration)
        post = await _track(client, tenant, campaign, account)
        assert post["deliverable_id"] == str(deliverable.id)
        assert post["disclosure"] == MISSING
        stored = await session.scalar(select(Post.disclosure).where(Post.id == post["id"]))
        assert stored == MISSING
