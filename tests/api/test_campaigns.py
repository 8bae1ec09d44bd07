import pytest

from tests.factories import bearer, create_campaign, create_tenant

CAMPAIGN = {
    "name": "Autumn Roast",
    "objective": "awareness",
    "status": "active",
    "starts_on": "2026-11-01",
    "ends_on": "2026-11-30",
    "currency": "eur",
    "budget": "1250.5",
    "hashtags": ["#AutumnRoast"],
    "mentions": ["@acme.coffee"],
    "platforms": ["instagram", "tiktok"],
    "brief": "Two reels each",
    "goals": [
        {"metric": "views", "target": 100000},
        {"metric": "cpm", "target": "12.5", "direction": "at_most"},
    ],
}


class TestCreateCampaign:
    async def test_created_with_goals(self, client, session):
        tenant = await create_tenant(session)
        response = await client.post("/v1/campaigns", json=CAMPAIGN, headers=bearer(tenant.write))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["currency"] == "EUR"
        assert body["budget"] == "1250.50"
        assert body["hashtags"] == ["autumnroast"]
        assert body["mentions"] == ["acme.coffee"]
        assert [(g["metric"], g["direction"]) for g in body["goals"]] == [
            ("views", "at_least"),
            ("cpm", "at_most"),
        ]
        assert [g["target"] for g in body["goals"]] == ["100000", "12.5"]


class TestUpdateCampaign:
    async def test_patch_replaces_goals_and_checks_dates_against_stored(self, client, session):
        tenant = await create_tenant(session)
        created = (
            await client.post("/v1/campaigns", json=CAMPAIGN, headers=bearer(tenant.write))
        ).json()
        response = await client.patch(
            f"/v1/campaigns/{created['id']}",
            json={"goals": [{"metric": "engagements", "target": 5}]},
            headers=bearer(tenant.write),
        )
        assert [g["metric"] for g in response.json()["goals"]] == ["engagements"]
        bad = await client.patch(
            f"/v1/campaigns/{created['id']}",
            json={"ends_on": "2026-10-01"},
            headers=bearer(tenant.write),
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "ends_on"]
        got = (
            await client.get(f"/v1/campaigns/{created['id']}", headers=bearer(tenant.read))
        ).json()
        assert got["ends_on"] == "2026-11-30"

    async def test_clear_budget(self, client, session):
        tenant = await create_tenant(session)
        campaign = await create_campaign(session, tenant.org_id, budget=100)
        response = await client.patch(
            f"/v1/campaigns/{campaign.id}", json={"budget": None}, headers=bearer(tenant.write)
        )
        assert response.json()["budget"] is None


class TestListAndArchiveCampaigns:
    async def test_archived_hidden_unless_asked(self, client, session):
        tenant = await create_tenant(session)
        kept = await create_campaign(
            session, tenant.org_id, name="Kept", status="active", platforms=["x"]
        )
        gone = await create_campaign(session, tenant.org_id, name="Gone")
        assert (
            await client.delete(f"/v1/campaigns/{gone.id}", headers=bearer(tenant.write))
        ).status_code == 204
        listed = (await client.get("/v1/campaigns", headers=bearer(tenant.read))).json()
        assert [c["id"] for c in listed["items"]] == [str(kept.id)]
        archived = (
            await client.get("/v1/campaigns?status=archived", headers=bearer(tenant.read))
        ).json()
        assert [c["id"] for c in archived["items"]] == [str(gone.id)]
        by_platform = (
            await client.get("/v1/campaigns?platform=x", headers=bearer(tenant.read))
        ).json()
        assert [c["name"] for c in by_platform["items"]] == ["Kept"]


class TestCampaignLists:
    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"goals": [{"metric": "views", "target": 1}, {"metric": "views", "target": 2}]},
             "goals"),
            ({"platforms": ["instagram", "tiktok", "instagram"]}, "platforms"),
        ],
    )  # fmt: skip
    async def test_repeats_are_422_on_create_and_patch(self, client, session, extra, field):
        tenant = await create_tenant(session)
        body = {"name": "Launch", "objective": "awareness"} | extra
        created = await client.post("/v1/campaigns", json=body, headers=bearer(tenant.write))
        assert created.status_code == 422, created.text
        assert created.json()["errors"][0]["loc"] == ["body", field]
        campaign = await create_campaign(session, tenant.org_id, name="Launch")
        patched = await client.patch(
            f"/v1/campaigns/{campaign.id}", json=extra, headers=bearer(tenant.write)
        )
        assert patched.status_code == 422, patched.text
        assert patched.json()["errors"][0]["loc"] == ["body", field]

    async def test_hashtags_and_mentions_deduplicated_after_normalizing(self, client, session):
        tenant = await create_tenant(session)
        response = await client.post(
            "/v1/campaigns",
            json={
                "name": "Launch",
                "objective": "awareness",
                "hashtags": ["#Ad", "ad", "#Roast"],
                "mentions": ["@Acme", "acme"],
            },
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        assert response.json()["hashtags"] == ["ad", "roast"]
        assert response.json()["mentions"] == ["acme"]


class TestValidationTheDocumentStates:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"goals": [{"metric": "views", "target": ""}]}, "target"),
            ({"goals": [{"metric": "cpm", "target": 12.5}]}, "target"),
            ({"budget": 0.3}, "budget"),
            ({"starts_on": 0}, "starts_on"),
            ({"starts_on": "1700000000"}, "starts_on"),
        ],
    )
    async def test_refused_naming_the_field(self, client, session, body, field):
        tenant = await create_tenant(session)
        response = await client.post(
            "/v1/campaigns",
            json={"name": "Launch", "objective": "sales"} | body,
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422, response.text
        assert field in response.json()["errors"][0]["loc"]

    async def test_integral_numbers_and_decimal_text_are_accepted(self, client, session):
        tenant = await create_tenant(session)
        goals = [{"metric": "views", "target": 5.0}, {"metric": "cpm", "target": "12.5"}]
        response = await client.post(
            "/v1/campaigns",
            json={"name": "Launch", "objective": "sales", "budget": 100, "goals": goals},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 201, response.text
        assert [g["target"] for g in response.json()["goals"]] == ["5", "12.5"]

    async def test_patch_null_goals_is_422(self, client, session):
        tenant = await create_tenant(session)
        campaign = await create_campaign(session, tenant.org_id)
        response = await client.patch(
            f"/v1/campaigns/{campaign.id}", json={"goals": None}, headers=bearer(tenant.write)
        )
        assert response.status_code == 422, response.text


class TestCampaignTargets:
    async def test_niches_and_countries_normalized_and_patched(self, client, session):
        tenant = await create_tenant(session)
        created = await client.post(
            "/v1/campaigns",
            json={
                "name": "Launch",
                "objective": "awareness",
                "niches": [" Coffee ", "coffee", "Specialty Coffee"],
                "countries": ["gb", "GB", "it"],
            },
            headers=bearer(tenant.write),
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["niches"] == ["coffee", "specialty coffee"]
        assert body["countries"] == ["GB", "IT"]
        patched = await client.patch(
            f"/v1/campaigns/{body['id']}", json={"countries": []}, headers=bearer(tenant.write)
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["niches"] == ["coffee", "specialty coffee"]
        assert patched.json()["countries"] == []
        default = await client.post(
            "/v1/campaigns",
            json={"name": "Plain", "objective": "sales"},
            headers=bearer(tenant.write),
        )
        assert (default.json()["niches"], default.json()["countries"]) == ([], [])

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"countries": ["GBR"]}, "countries"),
            ({"countries": ["1A"]}, "countries"),
            ({"countries": None}, "countries"),
            ({"niches": ["  "]}, "niches"),
            ({"niches": ["x" * 61]}, "niches"),
            ({"niches": None}, "niches"),
            ({"niches": ["a"] * 51}, "niches"),
        ],
    )
    async def test_bad_targets_are_422_and_change_nothing(self, client, session, body, field):
        tenant = await create_tenant(session)
        campaign = await create_campaign(
            session, tenant.org_id, name="Steady", niches=["tea"], countries=["FR"]
        )
        for method, url in (("POST", "/v1/campaigns"), ("PATCH", f"/v1/campaigns/{campaign.id}")):
            response = await client.request(
                method,
                url,
                json={"name": "Launch", "objective": "sales"} | body,
                headers=bearer(tenant.write),
            )
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert field in response.json()["errors"][0]["loc"]
        await session.refresh(campaign)
        assert (campaign.name, campaign.niches, campaign.countries) == ("Steady", ["tea"], ["FR"])
