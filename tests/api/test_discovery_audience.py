"""A campaign's target audience, and discovery's audience_fit: the share of each creator's
audience inside it, computed by hand below from the snapshots stored."""

from datetime import UTC, datetime

import pytest

from shared.models import AudienceSnapshot
from tests.factories import bearer, create_account, create_campaign, create_creator, create_tenant

TARGET = {"countries": ["US", "GB"], "age_ranges": ["18-24", "25-34"], "genders": ["female"]}
INSTAGRAM = {  # the follower_demographics fixture's shares
    "country": {"US": 0.4, "GB": 0.22, "DE": 0.18, "FR": 0.2},
    "age": {"18-24": 0.2, "25-34": 0.5, "35-44": 0.2, "45-54": 0.1},
    "gender": {"female": 0.6, "male": 0.35, "other": 0.05},
}
YOUTUBE = {  # the YouTube Analytics fixtures' shares
    "country": {"US": 0.5, "GB": 0.3, "IN": 0.2},
    "age": {"18-24": 0.25, "25-34": 0.45, "35-44": 0.2, "65+": 0.1},
    "gender": {"female": 0.38, "male": 0.52, "other": 0.1},
}


async def _audience(session, account, shares: dict) -> None:
    for dimension, buckets in shares.items():
        session.add(
            AudienceSnapshot(
                org_id=account.org_id,
                account_id=account.id,
                dimension=dimension,
                captured_at=datetime(2026, 12, 1, tzinfo=UTC),
                source=f"{account.platform}.test",
                shares=buckets,
            )
        )
    await session.commit()


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session)
    ada = await create_creator(session, tenant.org_id, name="Ada Brews", niches=["coffee"])
    rio = await create_creator(session, tenant.org_id, name="Rio Reads", niches=["coffee"])
    instagram = await create_account(
        session, tenant.org_id, ada.id, platform="instagram", handle="ada.ig", followers=10_000
    )
    youtube = await create_account(
        session, tenant.org_id, ada.id, platform="youtube", handle="ada.yt", followers=5_000
    )
    await create_account(session, tenant.org_id, rio.id, platform="instagram", handle="rio")
    await _audience(session, instagram, INSTAGRAM)
    await _audience(session, youtube, YOUTUBE)
    return tenant, ada, rio


async def _discover(client, tenant, campaign) -> dict:
    response = await client.get(
        f"/v1/discover/creators?campaign_id={campaign.id}", headers=bearer(tenant.read)
    )
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


class TestAudienceFit:
    async def test_share_of_the_audience_inside_the_target(self, client, session, world):
        tenant, _, _ = world
        campaign = await create_campaign(
            session, tenant.org_id, niches=["coffee"], target_audience=TARGET
        )
        found = await _discover(client, tenant, campaign)
        # Instagram: 0.62 in US, GB x 0.70 aged 18-34 x 0.60 female = 0.2604; YouTube: 0.80 x
        # 0.70 x 0.38 = 0.2128; weighted by followers: (10,000 x 0.2604 + 5,000 x 0.2128) / 15,000
        # = 0.24453 -> 24.5. Reasons: (6,200 + 4,000) / 15,000 = 68 %; 70 %; 7,900 / 15,000 = 53 %.
        assert found["Ada Brews"]["audience_fit"] == {
            "score": 24.5,
            "reasons": [
                "68 % of audience in US, GB",
                "70 % of audience aged 18-24, 25-34",
                "53 % of audience female",
            ],
        }
        assert found["Rio Reads"]["audience_fit"] == {
            "score": None,
            "reasons": ["no_audience_data"],
        }

    async def test_only_the_dimensions_the_target_names(self, client, session, world):
        tenant, _, _ = world
        campaign = await create_campaign(
            session, tenant.org_id, niches=["coffee"], target_audience={"genders": ["male"]}
        )
        found = await _discover(client, tenant, campaign)
        # (10,000 x 0.35 + 5,000 x 0.52) / 15,000 = 0.40667 -> 40.7.
        assert found["Ada Brews"]["audience_fit"] == {
            "score": 40.7,
            "reasons": ["41 % of audience male"],
        }

    async def test_fit_is_the_same_with_or_without_a_target_audience(self, client, session, world):
        tenant, _, _ = world
        plain = await create_campaign(session, tenant.org_id, niches=["coffee"])
        targeted = await create_campaign(
            session, tenant.org_id, niches=["coffee"], target_audience=TARGET
        )
        without = await _discover(client, tenant, plain)
        with_target = await _discover(client, tenant, targeted)
        assert without["Ada Brews"]["audience_fit"] is None
        for name in ("Ada Brews", "Rio Reads"):
            assert (
                without[name]["fit"]
                == with_target[name]["fit"]
                == {
                    "score": 100.0,
                    "reasons": ["niche coffee matches"],
                }
            )


class TestTargetAudience:
    async def test_stored_normalized_and_cleared_with_null(self, client, session):
        tenant = await create_tenant(session)
        body = {
            "name": "Autumn",
            "objective": "awareness",
            "target_audience": {"countries": ["us", "GB", "US"], "genders": ["female"]},
        }
        created = await client.post("/v1/campaigns", json=body, headers=bearer(tenant.write))
        assert created.status_code == 201, created.text
        assert created.json()["target_audience"] == {
            "countries": ["US", "GB"],
            "age_ranges": [],
            "genders": ["female"],
        }
        url = f"/v1/campaigns/{created.json()['id']}"
        cleared = await client.patch(
            url, json={"target_audience": None}, headers=bearer(tenant.write)
        )
        assert cleared.json()["target_audience"] is None

    @pytest.mark.parametrize(
        ("target", "field"),
        [
            ({"age_ranges": ["18-25"]}, ["body", "target_audience", "age_ranges", 0]),
            ({"genders": ["nonbinary"]}, ["body", "target_audience", "genders", 0]),
            ({"countries": ["USA"]}, ["body", "target_audience", "countries", 0]),
            ({"languages": ["en"]}, ["body", "target_audience", "languages"]),
        ],
        ids=["age-range", "gender", "country", "unknown-field"],
    )
    async def test_bad_targets_are_clear_422s(self, client, session, target, field):
        tenant = await create_tenant(session)
        body = {"name": "Autumn", "objective": "awareness", "target_audience": target}
        response = await client.post("/v1/campaigns", json=body, headers=bearer(tenant.write))
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [field]
        listed = await client.get("/v1/campaigns", headers=bearer(tenant.read))
        assert listed.json()["items"] == []
