"""Bad input answers 4xx problem+json naming the field, and writes nothing."""

import pytest
from sqlalchemy import func, select

from shared.models import Campaign, Creator, CreatorAccount
from tests.factories import bearer, create_campaign, create_creator, create_tenant

CAMPAIGN = {"name": "Launch", "objective": "awareness"}

CREATE_CASES = [
    # (path, body, field named in errors[].loc)
    ("/v1/creators", {"name": 42}, "name"),
    ("/v1/creators", {"name": ""}, "name"),
    ("/v1/creators", {"name": "x" * 201}, "name"),
    ("/v1/creators", {"name": "Ada", "notes": "x" * 10_001}, "notes"),
    ("/v1/creators", {"name": "Ada", "email": "not-an-email"}, "email"),
    ("/v1/creators", {"name": "Ada", "country": "USA"}, "country"),
    ("/v1/creators", {"name": "Ada", "language": "english please"}, "language"),
    ("/v1/creators", {"name": "Ada", "niches": "coffee"}, "niches"),
    ("/v1/creators", {"name": "Ada", "niches": ["x" * 61]}, "niches"),
    ("/v1/creators", {"name": "Ada", "favourite_colour": "red"}, "favourite_colour"),
    ("/v1/creators", {}, "name"),
    ("/v1/creators", {"name": "   "}, "name"),
    ("/v1/creators", {"name": " " * 100 + "x" * 201}, "name"),
    ("/v1/creators", {"name": "Ada", "tags": ["  "]}, "tags"),
    ("/v1/campaigns", CAMPAIGN | {"objective": "world_domination"}, "objective"),
    ("/v1/campaigns", CAMPAIGN | {"status": "paused-ish"}, "status"),
    ("/v1/campaigns", CAMPAIGN | {"starts_on": "2026-12-01", "ends_on": "2026-11-01"}, "ends_on"),
    ("/v1/campaigns", CAMPAIGN | {"budget": "-5.00"}, "budget"),
    ("/v1/campaigns", CAMPAIGN | {"budget": "12.345"}, "budget"),
    ("/v1/campaigns", CAMPAIGN | {"budget": "lots"}, "budget"),
    ("/v1/campaigns", CAMPAIGN | {"currency": "EURO"}, "currency"),
    ("/v1/campaigns", CAMPAIGN | {"platforms": ["myspace"]}, "platforms"),
    ("/v1/campaigns", CAMPAIGN | {"hashtags": ["two words"]}, "hashtags"),
    ("/v1/campaigns", CAMPAIGN | {"platforms": ["x", "x"]}, "platforms"),
    (
        "/v1/campaigns",
        CAMPAIGN | {"goals": [{"metric": "cpm", "target": 1}, {"metric": "cpm", "target": 9}]},
        "goals",
    ),
    ("/v1/campaigns", CAMPAIGN | {"starts_on": "2026-13-45"}, "starts_on"),
    ("/v1/campaigns", CAMPAIGN | {"goals": [{"metric": "vibes", "target": 1}]}, "metric"),
    ("/v1/campaigns", CAMPAIGN | {"goals": [{"metric": "views", "target": -1}]}, "target"),
    (
        "/v1/campaigns",
        CAMPAIGN | {"goals": [{"metric": "views", "target": 1, "direction": "sideways"}]},
        "direction",
    ),
    ("/v1/api-keys", {"name": "k", "scopes": ["superuser"]}, "scopes"),
    ("/v1/api-keys", {"name": "k", "scopes": []}, "scopes"),
]


async def _rows(session) -> tuple[int, int, int]:
    counts = []
    for model in (Creator, Campaign, CreatorAccount):
        counts.append(await session.scalar(select(func.count()).select_from(model)))
    return tuple(counts)


def _assert_problem(response, field: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == response.status_code
    locations = [loc for error in body.get("errors", []) for loc in error["loc"]]
    assert field in locations or field in body["detail"], body


class TestCreateBadInput:
    @pytest.mark.parametrize(("path", "body", "field"), CREATE_CASES)
    async def test_refused_and_nothing_written(self, client, session, path, body, field):
        tenant = await create_tenant(session)
        before = await _rows(session)
        response = await client.post(path, json=body, headers=bearer(tenant.admin))
        _assert_problem(response, field)
        assert await _rows(session) == before

    @pytest.mark.parametrize("raw", [b"{", b"not json", b'{"name": "Ada",}', b"\xff\xfe"])
    async def test_malformed_json(self, client, session, raw):
        tenant = await create_tenant(session)
        before = await _rows(session)
        response = await client.post(
            "/v1/creators",
            content=raw,
            headers=bearer(tenant.admin) | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][0] == "body"
        assert await _rows(session) == before

    async def test_json_array_instead_of_object(self, client, session):
        tenant = await create_tenant(session)
        response = await client.post(
            "/v1/creators", json=[{"name": "Ada"}], headers=bearer(tenant.admin)
        )
        _assert_problem(response, "body")


class TestPatchBadInput:
    async def test_unknown_field_on_creator_patch(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Ada")
        response = await client.patch(
            f"/v1/creators/{creator.id}",
            json={"name": "Bob", "shoe_size": 44},
            headers=bearer(tenant.admin),
        )
        _assert_problem(response, "shoe_size")
        await session.refresh(creator)
        assert creator.name == "Ada"

    async def test_unknown_field_on_campaign_patch(self, client, session):
        tenant = await create_tenant(session)
        campaign = await create_campaign(session, tenant.org_id, name="Launch")
        response = await client.patch(
            f"/v1/campaigns/{campaign.id}",
            json={"name": "New", "owner": "me"},
            headers=bearer(tenant.admin),
        )
        _assert_problem(response, "owner")
        await session.refresh(campaign)
        assert campaign.name == "Launch"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": None}, "name"),
            ({"objective": None}, "objective"),
            ({"currency": None}, "currency"),
            ({"budget": "-1"}, "budget"),
        ],
    )
    async def test_invalid_campaign_patch(self, client, session, body, field):
        tenant = await create_tenant(session)
        campaign = await create_campaign(session, tenant.org_id, name="Launch")
        response = await client.patch(
            f"/v1/campaigns/{campaign.id}", json=body, headers=bearer(tenant.admin)
        )
        _assert_problem(response, field)


class TestQueryBadInput:
    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("cursor=garbage!", "cursor"),
            ("cursor=WzEsMl0", "cursor"),  # valid base64, wrong content
            (
                "cursor=WyJub3QtYS1kYXRlIiwiMDE5MGYwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAwIl0",
                "cursor",
            ),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=ten", "limit"),
            ("sort=height", "sort"),
            ("sort=--followers", "sort"),
            ("platform=myspace", "platform"),
            ("tier=giga", "tier"),
            ("min_followers=-1", "min_followers"),
            ("colour=red", "colour"),
        ],
    )
    async def test_list_creators(self, client, session, query, field):
        tenant = await create_tenant(session)
        response = await client.get(f"/v1/creators?{query}", headers=bearer(tenant.read))
        _assert_problem(response, field)

    async def test_sorted_cursor_with_wrong_type(self, client, session):
        tenant = await create_tenant(session)
        # A created_at cursor replayed against a numeric sort must be refused, not crash.
        for i in range(3):
            await create_creator(session, tenant.org_id, name=f"c{i}")
        page = (await client.get("/v1/creators?limit=1", headers=bearer(tenant.read))).json()
        response = await client.get(
            f"/v1/creators?sort=-followers&cursor={page['next_cursor']}",
            headers=bearer(tenant.read),
        )
        _assert_problem(response, "cursor")

    async def test_snapshot_bad_cursor(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        from tests.factories import create_account

        account = await create_account(session, tenant.org_id, creator.id)
        response = await client.get(
            f"/v1/accounts/{account.id}/snapshots?cursor=%%%", headers=bearer(tenant.read)
        )
        _assert_problem(response, "cursor")


HOSTILE = [
    ("GET", "/v1/creators?min_followers=99999999999999999999999", None),
    ("GET", "/v1/creators?min_engagement_rate=nan", None),
    ("GET", "/v1/creators?q=a%00b", None),
    ("POST", "/v1/creators", {"name": "a\u0000b"}),
    ("POST", "/v1/campaigns", {"name": "x", "objective": "sales", "budget": "1e13"}),
    (
        "POST",
        "/v1/campaigns",
        {"name": "x", "objective": "sales", "goals": [{"metric": "views", "target": "1e19"}]},
    ),
    (
        "POST",
        "/v1/campaigns",
        {"name": "x", "objective": "sales", "goals": [{"metric": "views", "target": 1e300}]},
    ),
    ("POST", "/v1/campaigns/{campaign}/posts", {"url": "https://x.com/ada/status/" + "1" * 300}),
    ("POST", "/v1/campaigns/{campaign}/posts", {"url": "https://x.com/" + "a" * 300 + "/status/1"}),
    (
        "POST",
        "/v1/campaigns/{campaign}/posts",
        {"url": "https://www.tiktok.com/@" + "b" * 250 + "/video/1"},
    ),
    ("POST", "/v1/campaigns/{campaign}/posts", {"url": "\u0000"}),
    ("POST", "/v1/creators/{creator}/accounts", {"platform": "x", "handle": "a\u0000"}),
]


class TestHostileInput:
    """Inputs the schemas let through to Postgres still end as 4xx problems, never a 500."""

    @pytest.mark.parametrize(("method", "path", "body"), HOSTILE)
    async def test_never_a_server_error(self, client, session, method, path, body):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        from tests.factories import create_account

        account = await create_account(
            session, tenant.org_id, creator.id, platform="x", handle="ada"
        )
        campaign = await create_campaign(session, tenant.org_id)
        before = await _rows(session)
        url = path.format(campaign=campaign.id, creator=creator.id, account=account.id)
        response = await client.request(method, url, json=body, headers=bearer(tenant.admin))
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert await _rows(session) == before
