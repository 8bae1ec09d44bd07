from sqlalchemy import select

from shared.models import Deliverable, Post
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
    utc,
)


async def _setup(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id, handle="ada.brews")
    campaign = await create_campaign(session, tenant.org_id)
    collaboration = await create_collaboration(
        session, tenant.org_id, campaign.id, creator.id, stage="contracted"
    )
    return tenant, account, campaign, collaboration


class TestCreateDeliverable:
    async def test_created_pending_with_normalized_requirements(self, client, session):
        tenant, _, _, collaboration = await _setup(session)
        response = await client.post(
            f"/v1/collaborations/{collaboration.id}/deliverables",
            json={
                "platform": "instagram",
                "kind": "reel",
                "due_at": "2026-11-20T12:00:00Z",
                "requirements": {"hashtags": ["#Ad", "ad", "#AutumnRoast"], "mentions": ["@Acme"]},
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["collaboration_id"] == str(collaboration.id)
        assert body["status"] == "pending" and body["post_id"] is None
        assert body["requirements"] == {
            "hashtags": ["ad", "autumnroast"],
            "mentions": ["acme"],
            "disclosure": True,
        }
        got = await client.get(f"/v1/deliverables/{body['id']}", headers=bearer(tenant.read))
        assert got.json() == body

    async def test_bad_kind_is_422_and_declined_collaboration_409(self, client, session):
        tenant, _, _, collaboration = await _setup(session)
        url = f"/v1/collaborations/{collaboration.id}/deliverables"
        bad = await client.post(
            url, json={"platform": "x", "kind": "podcast"}, headers=bearer(tenant.write)
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "kind"]
        collaboration.stage = "declined"
        await session.commit()
        declined = await client.post(
            url, json={"platform": "x", "kind": "tweet"}, headers=bearer(tenant.write)
        )
        assert declined.status_code == 409
        assert await session.scalar(select(Deliverable.id)) is None

    async def test_list_filters_by_status(self, client, session):
        tenant, _, _, collaboration = await _setup(session)
        late = await create_deliverable(session, collaboration, status="late")
        await create_deliverable(session, collaboration)
        response = await client.get(
            f"/v1/collaborations/{collaboration.id}/deliverables",
            params={"status": "late"},
            headers=bearer(tenant.read),
        )
        assert [d["id"] for d in response.json()["items"]] == [str(late.id)]

    async def test_links_a_post_already_tracked_that_fulfils_it(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        await create_post(session, account, campaign_id=campaign.id, caption="no tag")
        tagged = await create_post(
            session,
            account,
            campaign_id=campaign.id,
            external_id="ada.brews-2",
            caption="#AutumnRoast is here",
        )
        response = await client.post(
            f"/v1/collaborations/{collaboration.id}/deliverables",
            json={
                "platform": "demo",
                "kind": "post",
                "requirements": {"hashtags": ["autumnroast"]},
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        assert (response.json()["post_id"], response.json()["status"]) == (
            str(tagged.id),
            "published",
        )


class TestUpdateDeliverable:
    async def test_status_takes_only_what_a_person_sets(self, client, session):
        tenant, _, _, collaboration = await _setup(session)
        deliverable = await create_deliverable(session, collaboration)
        url = f"/v1/deliverables/{deliverable.id}"
        ok = await client.patch(url, json={"status": "submitted"}, headers=bearer(tenant.write))
        assert ok.json()["status"] == "submitted"
        for status in ("published", "late", "missed"):
            bad = await client.patch(url, json={"status": status}, headers=bearer(tenant.write))
            assert bad.status_code == 422, status

    async def test_moving_due_at_clears_late(self, client, session):
        tenant, _, _, collaboration = await _setup(session)
        deliverable = await create_deliverable(
            session, collaboration, status="late", due_at=utc(2026, 11, 1)
        )
        response = await client.patch(
            f"/v1/deliverables/{deliverable.id}",
            json={"due_at": "2099-01-01T00:00:00Z"},
            headers=bearer(tenant.write),
        )
        assert response.json()["status"] == "pending"

    async def test_linking_a_tracked_post_publishes_and_unlinking_reverts(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        deliverable = await create_deliverable(session, collaboration)
        post = await create_post(session, account, campaign_id=campaign.id)
        url = f"/v1/deliverables/{deliverable.id}"
        linked = await client.patch(
            url, json={"post_id": str(post.id)}, headers=bearer(tenant.write)
        )
        assert linked.status_code == 200, linked.text
        assert (linked.json()["post_id"], linked.json()["status"]) == (str(post.id), "published")
        read = await client.get(f"/v1/posts/{post.id}", headers=bearer(tenant.read))
        assert read.json()["deliverable_id"] == str(deliverable.id)
        stuck = await client.patch(url, json={"status": "approved"}, headers=bearer(tenant.write))
        assert stuck.status_code == 409
        unlinked = await client.patch(url, json={"post_id": None}, headers=bearer(tenant.write))
        assert (unlinked.json()["post_id"], unlinked.json()["status"]) == (None, "pending")
        await session.refresh(post)
        assert post.deliverable_id is None

    async def test_a_post_that_cannot_be_it_is_422(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        deliverable = await create_deliverable(session, collaboration)
        other_campaign = await create_campaign(session, tenant.org_id, name="Other")
        elsewhere = await create_post(session, account, campaign_id=other_campaign.id)
        someone = await create_creator(session, tenant.org_id, name="Bo")
        bo = await create_account(session, tenant.org_id, someone.id, handle="bo")
        not_theirs = await create_post(session, bo, campaign_id=campaign.id)
        x = await create_account(session, tenant.org_id, account.creator_id, platform="x")
        wrong_platform = await create_post(session, x, campaign_id=campaign.id)
        foreign_tenant = await create_tenant(session, "Other org")
        foreign_creator = await create_creator(session, foreign_tenant.org_id)
        foreign = await create_post(
            session,
            await create_account(session, foreign_tenant.org_id, foreign_creator.id),
            campaign_id=None,
        )
        for post in (elsewhere, not_theirs, wrong_platform):
            response = await client.patch(
                f"/v1/deliverables/{deliverable.id}",
                json={"post_id": str(post.id)},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["loc"] == ["body", "post_id"]
        # Another organization's post is one that does not exist here: 404, as for every id.
        response = await client.patch(
            f"/v1/deliverables/{deliverable.id}",
            json={"post_id": str(foreign.id)},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 404, response.text
        linked = await session.scalar(select(Post.id).where(Post.deliverable_id.is_not(None)))
        assert linked is None


class TestTrackPostForDeliverable:
    async def test_deliverable_id_links_the_tracked_post(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        deliverable = await create_deliverable(session, collaboration, hashtags=["needed"])
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={
                "account_id": str(account.id),
                "external_id": "ada.brews-9",
                "deliverable_id": str(deliverable.id),
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        assert response.json()["deliverable_id"] == str(deliverable.id)
        await session.refresh(deliverable)
        assert deliverable.status == "published"

    async def test_deliverable_of_another_campaign_is_422(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        other = await create_campaign(session, tenant.org_id, name="Other")
        deliverable = await create_deliverable(session, collaboration)
        response = await client.post(
            f"/v1/campaigns/{other.id}/posts",
            json={
                "account_id": str(account.id),
                "external_id": "ada.brews-9",
                "deliverable_id": str(deliverable.id),
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "deliverable_id"]
        assert await session.scalar(select(Post.id)) is None

    async def test_unknown_deliverable_is_404_like_every_id(self, client, session):
        tenant, account, campaign, _ = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={
                "account_id": str(account.id),
                "external_id": "ada.brews-9",
                "deliverable_id": "0190f000-0000-7000-8000-000000000000",
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 404, response.text
        assert await session.scalar(select(Post.id)) is None

    async def test_matching_post_links_itself_to_the_soonest_due(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        later = await create_deliverable(session, collaboration, due_at=utc(2026, 12, 20))
        sooner = await create_deliverable(session, collaboration, due_at=utc(2026, 12, 10))
        await create_deliverable(session, collaboration, platform="x")
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"account_id": str(account.id), "external_id": "ada.brews-9"},
            headers=bearer(tenant.write),
        )
        assert response.json()["deliverable_id"] == str(sooner.id)
        await session.refresh(later)
        assert later.status == "pending"

    async def test_requirements_the_caption_lacks_do_not_match(self, client, session):
        tenant, account, campaign, collaboration = await _setup(session)
        await create_deliverable(session, collaboration, hashtags=["autumnroast"])
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/posts",
            json={"account_id": str(account.id), "external_id": "ada.brews-9"},
            headers=bearer(tenant.write),
        )
        assert response.json()["deliverable_id"] is None
