"""Brand listening over HTTP: the brand profile, a campaign's brand, mentions, a post's comments
and a creator's brand history; bad input is a 4xx that changes nothing."""

import pytest
from sqlalchemy import select

from shared.models import AccountRecentPost, BrandProfile, Campaign, ListeningScan
from tests.factories import bearer, create_account, create_creator, create_tenant, utc
from tests.factories_listening import BRAND, listening_world, scan_all

BRAND_URL = "/v1/organization/brand"


@pytest.fixture
async def tenant(session):
    return await create_tenant(session)


@pytest.fixture
async def scanned(session, sessionmaker, settings, tenant):
    world = await listening_world(session, tenant.org_id)
    await scan_all(sessionmaker, tenant.org_id, settings)
    return world


class TestBrandProfile:
    async def test_empty_until_set(self, client, tenant):
        response = await client.get(BRAND_URL, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "handles": [], "keywords": [], "products": [], "competitors": [], "updated_at": None,
        }  # fmt: skip

    async def test_put_stores_normalized_terms_and_restarts_the_scan(
        self, client, session, redis, tenant
    ):
        body = {
            "handles": ["@BlueBottle", "bluebottle", "bluebottle.jp"],
            "keywords": ["Blue Bottle", "  blue bottle ", "Café Bleu"],
            "products": ["Bella Donovan"],
        }
        response = await client.put(BRAND_URL, json=body, headers=bearer(tenant.admin))
        assert response.status_code == 200, response.text
        stored = response.json()
        assert stored["handles"] == ["bluebottle", "bluebottle.jp"]
        assert stored["keywords"] == ["Blue Bottle", "Café Bleu"]
        assert stored["competitors"] == [] and stored["updated_at"] is not None
        assert (await client.get(BRAND_URL, headers=bearer(tenant.read))).json() == stored
        state = await session.get(ListeningScan, tenant.org_id)
        assert state.captions_scanned_at is None and state.comments_after is not None
        assert await redis.exists(f"arq:job:listening.scan:{tenant.org_id}")

    @pytest.mark.parametrize(
        "body",
        [
            {"handles": ["blue bottle"]},  # a handle has no spaces
            {"keywords": [""]},
            {"keywords": ["x" * 101]},
            {"keywords": ["nul\u0000"]},
            {"keywords": ["k"] * 101},
            {"keywords": "Blue Bottle"},
            {"competitors": [3]},
            {"brands": ["Blue Bottle"]},
        ],
    )
    async def test_bad_profiles_are_422_and_change_nothing(self, client, session, tenant, body):
        response = await client.put(BRAND_URL, json=body, headers=bearer(tenant.admin))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert await session.get(BrandProfile, tenant.org_id) is None

    async def test_only_admin_keys_replace_it(self, client, session, tenant):
        for key in (tenant.read, tenant.write):
            response = await client.put(BRAND_URL, json=BRAND, headers=bearer(key))
            assert response.status_code == 403, response.text
        assert await session.get(BrandProfile, tenant.org_id) is None


class TestCampaignBrand:
    async def test_a_campaign_keeps_its_override(self, client, session, tenant):
        body = {"name": "Spring", "objective": "awareness", "brand": {"keywords": ["Spring Pour"]}}
        created = await client.post("/v1/campaigns", json=body, headers=bearer(tenant.write))
        assert created.status_code == 201, created.text
        brand = created.json()["brand"]
        assert brand == {
            "handles": None,
            "keywords": ["Spring Pour"],
            "products": None,
            "competitors": None,
        }
        campaign_id = created.json()["id"]
        patched = await client.patch(
            f"/v1/campaigns/{campaign_id}", json={"brand": None}, headers=bearer(tenant.write)
        )
        assert patched.status_code == 200 and patched.json()["brand"] is None
        assert (await session.get(Campaign, campaign_id, populate_existing=True)).brand is None

    async def test_a_bad_override_is_422(self, client, tenant):
        body = {"name": "Spring", "objective": "awareness", "brand": {"keywords": "one"}}
        response = await client.post("/v1/campaigns", json=body, headers=bearer(tenant.write))
        assert response.status_code == 422, response.text


class TestMentions:
    async def test_a_campaigns_brand_mentions_newest_first(self, client, tenant, scanned):
        response = await client.get(
            f"/v1/campaigns/{scanned.campaign_id}/mentions", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [(m["term"], m["source"]) for m in items] == [
            ("Bella Donovan", "comment"),  # c6, 12:05
            ("Blue Bottle", "comment"),  # c4, 12:03
            ("Blue Bottle", "comment"),  # c1, 12:00
            ("bluebottle", "caption"),  # p1, 09:00
        ]
        first = items[0]
        assert first["text"] == "Where can I buy Bella Donovan?"
        assert first["sentiment"] == {"label": "neutral", "score": 0.0, "language": "en"}
        assert first["kind"] == "product" and first["creator_id"] == str(scanned.bo)
        assert items[-1]["text"] == "Loving my morning latte with @bluebottle #ad"

    async def test_competitors_are_listed_apart(self, client, tenant, scanned):
        url = f"/v1/campaigns/{scanned.campaign_id}/mentions?competitors=true"
        items = (await client.get(url, headers=bearer(tenant.read))).json()["items"]
        assert [(m["term"], m["text"]) for m in items] == [("Stumptown", "Stumptown is better")]

    @pytest.mark.parametrize(
        ("query", "terms"),
        [
            ("sentiment=unanalysed", ["Blue Bottle"]),
            ("sentiment=positive", ["Blue Bottle", "bluebottle"]),
            ("term=blue%20bottle", ["Blue Bottle", "Blue Bottle"]),
            ("kind=handle", ["bluebottle"]),
            ("platform=youtube", ["Bella Donovan"]),
            ("since=2026-11-20T12:02:00Z", ["Bella Donovan", "Blue Bottle"]),
        ],
    )
    async def test_filters(self, client, tenant, scanned, query, terms):
        url = f"/v1/campaigns/{scanned.campaign_id}/mentions?{query}"
        response = await client.get(url, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        assert [m["term"] for m in response.json()["items"]] == terms

    async def test_creator_filter(self, client, tenant, scanned):
        url = f"/v1/campaigns/{scanned.campaign_id}/mentions?creator_id={scanned.ada}"
        items = (await client.get(url, headers=bearer(tenant.read))).json()["items"]
        assert {m["creator_id"] for m in items} == {str(scanned.ada)} and len(items) == 3

    async def test_pages_follow_the_cursor(self, client, tenant, scanned):
        url = f"/v1/campaigns/{scanned.campaign_id}/mentions?limit=3"
        first = (await client.get(url, headers=bearer(tenant.read))).json()
        assert len(first["items"]) == 3 and first["next_cursor"]
        second = (
            await client.get(f"{url}&cursor={first['next_cursor']}", headers=bearer(tenant.read))
        ).json()
        assert [m["term"] for m in second["items"]] == ["bluebottle"]
        assert second["next_cursor"] is None

    async def test_the_organizations_mentions_include_those_of_no_campaign(
        self, client, tenant, scanned
    ):
        items = (await client.get("/v1/mentions", headers=bearer(tenant.read))).json()["items"]
        assert len(items) == 6
        # p3's caption, of no campaign, names the handle and the keyword (#bluebottle).
        assert sum(1 for m in items if m["campaign_id"] is None) == 2
        rivals = (
            await client.get("/v1/mentions?competitors=true", headers=bearer(tenant.read))
        ).json()["items"]
        assert [m["text"] for m in rivals] == ["Stumptown is better", "Sponsored by Stumptown #ad"]

    @pytest.mark.parametrize(
        "query",
        [
            "sentiment=happy",
            "limit=0",
            "limit=201",
            "since=yesterday",
            "since=0.5",  # Unix seconds: not RFC 3339
            "cursor=not-a-cursor",
            "kind=brand",
            "creator_id=nope",
            "platform=myspace",
            "competitors=maybe",
            "unknown=1",
        ],
    )
    async def test_bad_queries_are_422(self, client, tenant, scanned, query):
        url = f"/v1/campaigns/{scanned.campaign_id}/mentions?{query}"
        response = await client.get(url, headers=bearer(tenant.read))
        assert response.status_code == 422, response.text

    async def test_an_unknown_campaign_is_404(self, client, tenant):
        url = "/v1/campaigns/0190f000-0000-7000-8000-000000000000/mentions"
        assert (await client.get(url, headers=bearer(tenant.read))).status_code == 404


class TestKpis:
    async def test_the_campaign_kpis_carry_listening(self, client, tenant, scanned):
        url = f"/v1/campaigns/{scanned.campaign_id}/kpis"
        response = await client.get(url, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        totals = response.json()["totals"]
        assert (totals["mentions"], totals["competitor_mentions"]) == (4, 1)
        assert totals["sentiment_net"] == pytest.approx(1 / 3)
        assert totals["sentiment"] == {
            "positive": 3, "neutral": 2, "negative": 1, "unanalysed": 1, "pending": 0,
            "analysed": 6, "coverage": pytest.approx(6 / 7), "net": pytest.approx(1 / 3),
        }  # fmt: skip
        by_platform = {row["platform"]: row for row in response.json()["by_platform"]}
        assert by_platform["youtube"]["sentiment_net"] == 0.0


class TestComments:
    async def test_a_posts_comments_with_sentiment_and_terms(self, client, tenant, scanned):
        url = f"/v1/posts/{scanned.posts['p1'].id}/comments"
        response = await client.get(url, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [c["external_id"] for c in items] == ["c4", "c3", "c2", "c1"]
        by_id = {c["external_id"]: c for c in items}
        assert by_id["c1"]["terms"] == ["Blue Bottle"] and by_id["c2"]["terms"] == []
        assert by_id["c2"]["sentiment"]["label"] == "negative"
        assert by_id["c4"]["sentiment"] == {"label": "unanalysed", "score": None, "language": "es"}
        assert by_id["c1"]["author_hash"] == "a" * 64
        assert "author" not in by_id["c1"]

    @pytest.mark.parametrize(
        ("query", "ids"),
        [
            ("sentiment=positive", ["c3", "c1"]),
            ("term=Stumptown", ["c3"]),
            ("since=2026-11-20T12:02:00Z", ["c4", "c3"]),
            ("limit=1", ["c4"]),
        ],
    )
    async def test_filters(self, client, tenant, scanned, query, ids):
        url = f"/v1/posts/{scanned.posts['p1'].id}/comments?{query}"
        response = await client.get(url, headers=bearer(tenant.read))
        assert [c["external_id"] for c in response.json()["items"]] == ids

    async def test_not_analysed_yet_is_null(self, client, session, tenant):
        world = await listening_world(session, tenant.org_id)
        url = f"/v1/posts/{world.posts['p2'].id}/comments"
        items = (await client.get(url, headers=bearer(tenant.read))).json()["items"]
        assert [c["sentiment"] for c in items] == [None, None]

    async def test_bad_input(self, client, tenant, scanned):
        url = f"/v1/posts/{scanned.posts['p1'].id}/comments"
        for query in ("sentiment=meh", "limit=-1", "cursor=%%%", "term=" + "t" * 101):
            response = await client.get(f"{url}?{query}", headers=bearer(tenant.read))
            assert response.status_code == 422, (query, response.text)
        missing = "/v1/posts/0190f000-0000-7000-8000-000000000000/comments"
        assert (await client.get(missing, headers=bearer(tenant.read))).status_code == 404


class TestBrandHistory:
    @pytest.fixture
    async def creator(self, session, tenant):
        session.add(BrandProfile(org_id=tenant.org_id, **BRAND))
        creator = await create_creator(session, tenant.org_id, name="Cy Roast")
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="cy.roast"
        )
        captions = {
            "a": ("Morning ritual with @stumptown #ad", utc(2026, 11, 1)),
            "b": ("Paid partnership with @acmemugs. Thanks @cy.roast fam", utc(2026, 10, 1)),
            "c": ("Stumptown beans again #sponsored", utc(2026, 9, 1)),
            "d": ("Just @stumptown on a Sunday", utc(2026, 8, 1)),  # no disclosure
            "e": ("#ad for @oldbrand", utc(2025, 6, 1)),  # outside 12 months
            "f": ("I love Blue Bottle #ad", utc(2026, 7, 1)),
        }
        for name, (caption, published_at) in captions.items():
            session.add(
                AccountRecentPost(
                    org_id=tenant.org_id, account_id=account.id, external_id=name,
                    caption=caption, published_at=published_at, seen_at=utc(2026, 11, 2),
                )
            )  # fmt: skip
        await session.commit()
        return creator

    async def test_sponsored_brands_and_competitor_conflicts(self, client, tenant, creator):
        url = f"/v1/creators/{creator.id}/brand-history?months=12"
        response = await client.get(url, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["sponsored_posts"], body["months"]) == (4, 12)
        brands = {b["brand"]: b for b in body["brands"]}
        assert set(brands) == {"@stumptown", "@acmemugs", "Blue Bottle"}
        stumptown = brands["@stumptown"]
        assert (stumptown["posts"], stumptown["competitor"], stumptown["own_brand"]) == (
            2,
            True,
            False,
        )
        assert stumptown["last_posted_at"] == "2026-11-01T00:00:00Z"
        assert stumptown["examples"] == ["instagram:a", "instagram:c"]
        assert brands["Blue Bottle"]["own_brand"] is True
        assert body["competitor_conflicts"] == ["@stumptown"]
        assert body["brands"][0]["brand"] == "@stumptown"  # most posts first

    async def test_a_longer_window_reaches_older_posts(self, client, tenant, creator):
        url = f"/v1/creators/{creator.id}/brand-history?months=36"
        body = (await client.get(url, headers=bearer(tenant.read))).json()
        assert "@oldbrand" in {b["brand"] for b in body["brands"]}

    @pytest.mark.parametrize("query", ["months=0", "months=37", "months=x", "since=1"])
    async def test_bad_queries_are_422(self, client, tenant, creator, query):
        url = f"/v1/creators/{creator.id}/brand-history?{query}"
        assert (await client.get(url, headers=bearer(tenant.read))).status_code == 422

    async def test_an_unknown_creator_is_404(self, client, tenant):
        url = "/v1/creators/0190f000-0000-7000-8000-000000000000/brand-history"
        assert (await client.get(url, headers=bearer(tenant.read))).status_code == 404


async def test_scan_state_is_per_organization(session, sessionmaker, settings):
    a, b = await create_tenant(session, "A"), await create_tenant(session, "B")
    await listening_world(session, a.org_id)
    await scan_all(sessionmaker, a.org_id, settings)
    states = (await session.scalars(select(ListeningScan.org_id))).all()
    assert states == [a.org_id]
    assert b.org_id not in states
