from sqlalchemy import func, select

from shared.domain.collaboration.stages import allowed_moves
from shared.models import ApiKey, Collaboration, CollaborationStageChange
from shared.models.status import CollaborationStage
from tests.factories import (
    bearer,
    create_campaign,
    create_collaboration,
    create_creator,
    create_tenant,
)


async def _setup(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    campaign = await create_campaign(session, tenant.org_id, currency="EUR")
    return tenant, creator, campaign


async def _count(session, model=Collaboration):
    return await session.scalar(select(func.count()).select_from(model))


async def _key_id(session, tenant, name="write"):
    return await session.scalar(
        select(ApiKey.id).where(ApiKey.org_id == tenant.org_id, ApiKey.name == name)
    )


class TestCreateCollaboration:
    async def test_created_at_prospect_with_history_and_terms(self, client, session):
        tenant, creator, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={
                "creator_id": str(creator.id),
                "compensation": {"model": "hybrid", "fee": "500", "commission_rate": "0.1"},
                "usage_rights": {"channels": ["paid social", "paid social"], "duration_days": 90},
                "contract": {"signed_at": "2026-11-02T10:00:00Z"},
                "notes": "intro call done",
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["campaign_id"], body["creator_id"]) == (str(campaign.id), str(creator.id))
        assert body["stage"] == "prospect"
        assert body["compensation"] == {
            "model": "hybrid",
            "fee": "500.00",
            "product_value": None,
            "commission_rate": "0.1",
        }
        assert body["usage_rights"] == {
            "channels": ["paid social"],
            "duration_days": 90,
            "exclusivity": False,
            "exclusivity_days": None,
        }
        assert body["contract"] == {"signed_at": "2026-11-02T10:00:00Z", "document_url": None}
        [entry] = body["stage_history"]
        assert entry["stage"] == "prospect"
        assert entry["by"] == str(await _key_id(session, tenant))

    async def test_second_for_the_same_pair_is_409(self, client, session):
        tenant, creator, campaign = await _setup(session)
        await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id)},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 409
        assert await _count(session) == 1

    async def test_creator_of_another_org_is_404(self, client, session):
        tenant, _, campaign = await _setup(session)
        other = await create_tenant(session, "Other")
        foreign = await create_creator(session, other.org_id)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(foreign.id)},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 404
        assert await _count(session) == 0

    async def test_archived_campaign_or_creator_is_409(self, client, session):
        tenant, creator, campaign = await _setup(session)
        archived = await create_campaign(
            session, tenant.org_id, status="archived", archived_at=func.now()
        )
        retired = await create_creator(session, tenant.org_id, archived_at=func.now())
        for campaign_id, creator_id in ((archived.id, creator.id), (campaign.id, retired.id)):
            response = await client.post(
                f"/v1/campaigns/{campaign_id}/collaborations",
                json={"creator_id": str(creator_id)},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 409, response.text
            assert "archived" in response.json()["detail"]
        assert await _count(session) == 0

    async def test_compensation_is_checked_per_model(self, client, session):
        tenant, creator, campaign = await _setup(session)
        bad = [
            ({"model": "flat_fee"}, "fee"),
            ({"model": "product", "fee": "10"}, "fee"),
            ({"model": "commission", "commission_rate": "1.5"}, "commission_rate"),
            ({"model": "commission", "commission_rate": 0.1}, "commission_rate"),
            ({"model": "flat_fee", "fee": "-1"}, "fee"),
            ({"model": "flat_fee", "fee": "1.005"}, "fee"),
            ({"model": "hybrid", "fee": "10"}, None),
            ({"model": "hybrid", "fee": "10", "product_value": None}, "product_value"),
            ({"model": "barter"}, None),
        ]
        for compensation, field in bad:
            response = await client.post(
                f"/v1/campaigns/{campaign.id}/collaborations",
                json={"creator_id": str(creator.id), "compensation": compensation},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 422, compensation
            locs = [error["loc"] for error in response.json()["errors"]]
            assert all(loc[:2] == ["body", "compensation"] for loc in locs), locs
            if field:
                assert any(loc[-1] == field for loc in locs), (compensation, locs)
        assert await _count(session) == 0
        good = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id), "compensation": {"model": "flat_fee", "fee": 800}},
            headers=bearer(tenant.write),
        )
        assert good.json()["compensation"]["fee"] == "800.00"

    async def test_may_start_at_most_at_contracted(self, client, session):
        tenant, creator, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id), "stage": "published"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id), "stage": "contracted"},
            headers=bearer(tenant.write),
        )
        assert response.json()["stage"] == "contracted"


class TestStageMoves:
    async def _patch(self, client, tenant, collaboration, stage):
        return await client.patch(
            f"/v1/collaborations/{collaboration.id}",
            json={"stage": stage},
            headers=bearer(tenant.write),
        )

    async def test_walks_the_pipeline_one_step_at_a_time(self, client, session):
        tenant, creator, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        pipeline = [
            "contacted",
            "negotiating",
            "contracted",
            "content_submitted",
            "approved",
            "published",
            "completed",
        ]
        for stage in pipeline:
            response = await self._patch(client, tenant, collaboration, stage)
            assert response.status_code == 200, response.text
        assert [e["stage"] for e in response.json()["stage_history"]] == pipeline
        rows = await session.scalar(
            select(func.count()).where(
                CollaborationStageChange.collaboration_id == collaboration.id
            )
        )
        assert rows == len(pipeline)

    async def test_skipping_is_409_naming_the_allowed_moves(self, client, session):
        tenant, creator, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        response = await self._patch(client, tenant, collaboration, "contracted")
        assert response.status_code == 409
        assert "allowed: contacted, declined" in response.json()["detail"]
        backwards = await create_collaboration(
            session,
            tenant.org_id,
            campaign.id,
            (await create_creator(session, tenant.org_id, name="Bo")).id,
            stage="negotiating",
        )
        assert (await self._patch(client, tenant, backwards, "contacted")).status_code == 409
        await session.refresh(collaboration)
        assert collaboration.stage == "prospect"
        assert await _count(session, CollaborationStageChange) == 0

    async def test_declined_only_before_published_and_final(self, client, session):
        tenant, creator, campaign = await _setup(session)
        published = await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, stage="published"
        )
        response = await self._patch(client, tenant, published, "declined")
        assert response.status_code == 409
        assert "allowed: completed" in response.json()["detail"]
        other = await create_creator(session, tenant.org_id, name="Bo")
        approved = await create_collaboration(
            session, tenant.org_id, campaign.id, other.id, stage="approved"
        )
        assert (await self._patch(client, tenant, approved, "declined")).status_code == 200
        again = await self._patch(client, tenant, approved, "prospect")
        assert again.status_code == 409
        assert "declined is final" in again.json()["detail"]

    async def test_same_stage_is_not_a_move(self, client, session):
        tenant, creator, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        response = await self._patch(client, tenant, collaboration, "prospect")
        assert response.status_code == 200
        assert response.json()["stage_history"] == []

    def test_every_stage_before_published_may_decline(self):
        for stage in CollaborationStage:
            moves = allowed_moves(stage)
            before = stage in ("prospect", "contacted", "negotiating", "contracted")
            before = before or stage in ("content_submitted", "approved")
            assert (CollaborationStage.declined in moves) == before, stage
            assert len(moves) <= 2


class TestUpdateCollaboration:
    async def test_patch_replaces_terms_and_null_stage_is_422(self, client, session):
        tenant, creator, campaign = await _setup(session)
        collaboration = await create_collaboration(
            session,
            tenant.org_id,
            campaign.id,
            creator.id,
            compensation_model="flat_fee",
            fee=100,
            notes="keep",
        )
        response = await client.patch(
            f"/v1/collaborations/{collaboration.id}",
            json={"compensation": {"model": "product", "product_value": "49.90"}},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["compensation"] == {
            "model": "product",
            "fee": None,
            "product_value": "49.90",
            "commission_rate": None,
        }
        assert body["notes"] == "keep"
        bad = await client.patch(
            f"/v1/collaborations/{collaboration.id}",
            json={"stage": None, "notes": "changed"},
            headers=bearer(tenant.write),
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "stage"]
        await session.refresh(collaboration)
        assert collaboration.notes == "keep"

    async def test_exclusivity_days_count_only_with_exclusivity(self, client, session):
        tenant, creator, campaign = await _setup(session)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        response = await client.patch(
            f"/v1/collaborations/{collaboration.id}",
            json={"usage_rights": {"exclusivity": False, "exclusivity_days": 30}},
            headers=bearer(tenant.write),
        )
        assert response.json()["usage_rights"]["exclusivity_days"] is None


class TestListCollaborations:
    async def test_filters_and_pages(self, client, session):
        tenant, creator, campaign = await _setup(session)
        others = [await create_creator(session, tenant.org_id, name=f"C{i}") for i in range(3)]
        await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        for other in others:
            await create_collaboration(
                session, tenant.org_id, campaign.id, other.id, stage="contacted"
            )
        elsewhere = await create_campaign(session, tenant.org_id, name="Elsewhere")
        await create_collaboration(session, tenant.org_id, elsewhere.id, creator.id)
        url = f"/v1/campaigns/{campaign.id}/collaborations"
        seen, cursor = [], None
        while True:
            params = {"limit": 2, "stage": "contacted"} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(url, params=params, headers=bearer(tenant.read))).json()
            seen += [item["creator_id"] for item in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert sorted(seen) == sorted(str(o.id) for o in others)
        mine = await client.get(
            url, params={"creator_id": str(creator.id)}, headers=bearer(tenant.read)
        )
        assert [i["campaign_id"] for i in mine.json()["items"]] == [str(campaign.id)]
        bad = await client.get(url, params={"stage": "nope"}, headers=bearer(tenant.read))
        assert bad.status_code == 422
