"""GET /v1/discover/creators and GET /v1/creators/{id}/similar on a seeded set: filters, text
matches, fit ranking with its reasons, pagination, lookalikes (docs/discovery.md)."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.discovery import documents
from shared.models import AccountRecentPost
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_creator,
    create_post,
    create_tenant,
)

NOW = datetime.now(UTC)


async def _captions(session, account, *captions: str) -> None:
    for i, caption in enumerate(captions):
        session.add(
            AccountRecentPost(
                org_id=account.org_id,
                account_id=account.id,
                external_id=f"{account.handle}-{i}",
                published_at=NOW - timedelta(days=i + 1),
                caption=caption,
                seen_at=NOW,
            )
        )
    await session.commit()


@pytest.fixture
async def seeded(session):
    """Six creators and a campaign after coffee and travel, #sway, instagram and tiktok, GB."""
    tenant = await create_tenant(session)
    org = tenant.org_id
    ada = await create_creator(
        session, org, name="Ada Brews", niches=["coffee", "travel"], country="GB",
        influence_score=70.0, last_posted_at=NOW - timedelta(days=1),
    )  # fmt: skip
    insta = await create_account(
        session, org, ada.id, platform="instagram", handle="ada.brews", tier="mid",
        followers=60_000, engagement_rate=0.031, authenticity_score=88.0,
    )  # fmt: skip
    await create_account(session, org, ada.id, platform="tiktok", handle="ada_brews_tt")
    await _captions(
        session, insta,
        "Flat white morning #sway #coffee", "Cupping notes #Sway", "Latte art #sway in Lisbon",
    )  # fmt: skip
    bea = await create_creator(
        session, org, name="Bea Roast", niches=["coffee"], country="US", influence_score=90.0,
        last_posted_at=NOW - timedelta(days=40),
    )  # fmt: skip
    bea_insta = await create_account(
        session, org, bea.id, platform="instagram", handle="bearoasts", tier="micro",
        followers=20_000, authenticity_score=40.0,
    )  # fmt: skip
    await _captions(session, bea_insta, "Espresso day #sway", "Roasting beans")
    cal = await create_creator(
        session, org, name="Cal Trails", niches=["travel"], country="GB", influence_score=50.0
    )
    await create_account(session, org, cal.id, platform="youtube", handle="caltrails", tier="macro")
    dan = await create_creator(session, org, name="Dan Eats", niches=["food"], country="FR")
    await create_account(session, org, dan.id, platform="youtube", handle="daneats")
    eve = await create_creator(
        session, org, name="Eve Pour", niches=["coffee"], country="GB", influence_score=80.0
    )
    await create_account(session, org, eve.id, platform="tiktok", handle="evepour")
    fay = await create_creator(
        session, org, name="Fay Filter", niches=["coffee"], country="GB", influence_score=60.0
    )
    await create_account(session, org, fay.id, platform="tiktok", handle="fayfilter")
    archived = await create_creator(
        session, org, name="Old Coffee", niches=["coffee", "travel"], country="GB",
        archived_at=NOW,
    )  # fmt: skip
    creators = {c.name.split()[0]: c for c in (ada, bea, cal, dan, eve, fay, archived)}
    await documents.refresh_creators(session, org, [c.id for c in creators.values()])
    campaign = await create_campaign(
        session, org, hashtags=["sway"], platforms=["instagram", "tiktok"],
        niches=["coffee", "travel"], countries=["GB"],
    )  # fmt: skip
    await session.commit()
    return tenant, creators, campaign


async def _discover(client, tenant, query: str = "") -> dict:
    response = await client.get(f"/v1/discover/creators{query}", headers=bearer(tenant.read))
    assert response.status_code == 200, response.text
    return response.json()


def _names(page: dict) -> list[str]:
    return [item["name"].split()[0] for item in page["items"]]


class TestFitRanking:
    async def test_ranked_by_fit_with_exact_scores_and_reasons(self, client, seeded):
        tenant, _, campaign = seeded
        page = await _discover(client, tenant, f"?campaign_id={campaign.id}")
        # Weights niches 40, hashtags 25, platforms 20, countries 15 (all four stated: /100).
        # Ada: 2/2 niches 40 + 1/1 hashtag 25 + 2/2 platforms 20 + GB 15         = 100
        # Bea: 1/2 niches 20 + 25 + 1/2 platforms 10 + US 0                       =  55
        # Eve: 20 + no #sway 0 + tiktok 10 + GB 15                                =  45
        # Fay: the same 45; Eve first by influence score (80 > 60)
        # Cal: travel 20 + 0 + youtube 0 + GB 15                                  =  35
        # Dan: 0; the archived creator is not found
        fits = [
            (name, item["fit"]["score"])
            for name, item in zip(_names(page), page["items"], strict=True)
        ]
        assert fits == [
            ("Ada", 100.0), ("Bea", 55.0), ("Eve", 45.0), ("Fay", 45.0), ("Cal", 35.0),
            ("Dan", 0.0),
        ]  # fmt: skip
        reasons = {
            name: item["fit"]["reasons"]
            for name, item in zip(_names(page), page["items"], strict=True)
        }
        assert reasons["Ada"] == [
            "niche coffee matches",
            "niche travel matches",
            "#sway in 3 recent captions",
            "has an instagram account",
            "has a tiktok account",
            "country GB",
        ]
        assert reasons["Bea"] == [
            "niche coffee matches",
            "#sway in 1 recent caption",
            "has an instagram account",
        ]
        assert reasons["Cal"] == ["niche travel matches", "country GB"]
        assert reasons["Dan"] == []

    async def test_result_carries_summary_and_accounts(self, client, seeded):
        tenant, creators, campaign = seeded
        page = await _discover(client, tenant, f"?campaign_id={campaign.id}&limit=1")
        (ada,) = page["items"]
        assert ada["id"] == str(creators["Ada"].id)
        assert ada["influence_score"] == 70.0
        assert ada["niches"] == ["coffee", "travel"]
        assert [
            (a["platform"], a["tier"], a["engagement_rate"], a["authenticity_score"])
            for a in ada["accounts"]
        ] == [("instagram", "mid", 0.031, 88.0), ("tiktok", None, None, None)]

    async def test_pages_walk_the_ranked_order_once(self, client, seeded):
        tenant, _, campaign = seeded
        seen, cursor, pages = [], None, 0
        while True:
            query = f"?campaign_id={campaign.id}&limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = await _discover(client, tenant, query)
            seen += _names(page)
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == ["Ada", "Bea", "Eve", "Fay", "Cal", "Dan"]

    async def test_campaign_with_no_targets_ranks_by_influence(self, client, session, seeded):
        tenant, _, _ = seeded
        bare = await create_campaign(session, tenant.org_id, name="Anything")
        page = await _discover(client, tenant, f"?campaign_id={bare.id}")
        # Every fit is 0 with no reason; ties go by influence score (unknown last), then id.
        assert {item["fit"]["score"] for item in page["items"]} == {0.0}
        assert _names(page)[:5] == ["Bea", "Eve", "Ada", "Fay", "Cal"]

    async def test_filters_apply_before_ranking(self, client, seeded):
        tenant, _, campaign = seeded
        page = await _discover(client, tenant, f"?campaign_id={campaign.id}&country=GB&q=coffee")
        # Text "coffee" is a niche of Ada, Eve and Fay (and Bea, who is not in GB).
        assert _names(page) == ["Ada", "Eve", "Fay"]

    async def test_explicit_sort_keeps_the_fit(self, client, seeded):
        tenant, _, campaign = seeded
        page = await _discover(client, tenant, f"?campaign_id={campaign.id}&sort=-influence_score")
        assert _names(page) == ["Bea", "Eve", "Ada", "Fay", "Cal", "Dan"]
        assert page["items"][0]["fit"]["score"] == 55.0
        second = await _discover(
            client, tenant, f"?campaign_id={campaign.id}&sort=-influence_score&limit=4"
        )
        rest = await _discover(
            client,
            tenant,
            f"?campaign_id={campaign.id}&sort=-influence_score&limit=4"
            f"&cursor={second['next_cursor']}",
        )
        assert _names(second) + _names(rest) == ["Bea", "Eve", "Ada", "Fay", "Cal", "Dan"]


class TestDiscoverWithoutCampaign:
    async def test_sorted_like_the_list_with_no_fit(self, client, seeded):
        tenant, *_ = seeded
        page = await _discover(client, tenant)
        assert _names(page) == ["Fay", "Eve", "Dan", "Cal", "Bea", "Ada"]  # newest first
        assert {item["fit"] is None for item in page["items"]} == {True}
        by_influence = await _discover(client, tenant, "?sort=-influence_score&limit=3")
        assert _names(by_influence) == ["Bea", "Eve", "Ada"]

    @pytest.mark.parametrize(
        ("query", "names"),
        [
            ("?q=ada.br", ["Ada"]),  # a partial handle
            ("?q=ada_brews_t", ["Ada"]),  # a partial handle the parser cuts at '_'
            ("?q=%40bearoast", ["Bea"]),  # @ is ignored, the prefix matches
            ("?q=cupping", ["Ada"]),  # a caption word
            ("?q=espress", ["Bea"]),  # a caption word's prefix
            ("?q=%23sway", ["Bea", "Ada"]),  # a hashtag of captions
            ("?q=%22flat+white%22", ["Ada"]),  # a phrase
            ("?q=coffee+-sway", ["Fay", "Eve"]),  # a niche, minus a caption word
            ("?q=trails+or+eats", ["Dan", "Cal"]),
            ("?q=coffee+travel", ["Ada"]),  # every word must match
            ("?q=%27%27", []),  # no word at all matches no creator
            ("?platform=instagram&min_authenticity=50", ["Ada"]),
            ("?tier=macro", ["Cal"]),
            ("?posted_within_days=7", ["Ada"]),
            ("?posted_within_days=60", ["Bea", "Ada"]),
            ("?min_followers=30000", ["Ada"]),
            ("?niche=travel&country=gb", ["Cal", "Ada"]),
        ],
    )
    async def test_filters_and_text(self, client, seeded, query, names):
        tenant, *_ = seeded
        assert _names(await _discover(client, tenant, query)) == names


class TestDiscoverRefusals:
    async def test_another_organizations_campaign_is_404(self, client, session, seeded):
        tenant, _, campaign = seeded
        other = await create_tenant(session, "Other")
        response = await client.get(
            f"/v1/discover/creators?campaign_id={campaign.id}", headers=bearer(other.read)
        )
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("?sort=-fit", "sort"),  # fit needs a campaign
            ("?sort=fit", "sort"),
            ("?campaign_id=nope", "campaign_id"),
            ("?min_authenticity=101", "min_authenticity"),
            ("?min_authenticity=nan", "min_authenticity"),
            ("?posted_within_days=0", "posted_within_days"),
            ("?limit=201", "limit"),
            ("?cursor=garbage", "cursor"),
            ("?q=a%00b", "q"),
            ("?colour=red", "colour"),
        ],
    )
    async def test_bad_input_is_422_on_the_field(self, client, seeded, query, field):
        tenant, *_ = seeded
        response = await client.get(f"/v1/discover/creators{query}", headers=bearer(tenant.read))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"][-1] == field

    async def test_a_list_cursor_is_not_a_fit_cursor(self, client, seeded):
        tenant, _, campaign = seeded
        listed = await _discover(client, tenant, "?limit=1")
        response = await client.get(
            f"/v1/discover/creators?campaign_id={campaign.id}&cursor={listed['next_cursor']}",
            headers=bearer(tenant.read),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


class TestDocumentsFollowChanges:
    async def test_created_renamed_and_new_account_are_searchable(self, client, session):
        tenant = await create_tenant(session)
        created = await client.post(
            "/v1/creators",
            json={"name": "Mina Matcha", "niches": ["Tea"]},
            headers=bearer(tenant.write),
        )
        creator_id = created.json()["id"]
        assert _names(await _discover(client, tenant, "?q=matc")) == ["Mina"]
        assert _names(await _discover(client, tenant, "?q=tea")) == ["Mina"]
        await client.patch(
            f"/v1/creators/{creator_id}", json={"name": "Mina Sencha"}, headers=bearer(tenant.write)
        )
        assert _names(await _discover(client, tenant, "?q=matcha")) == []
        assert _names(await _discover(client, tenant, "?q=sench")) == ["Mina"]
        added = await client.post(
            f"/v1/creators/{creator_id}/accounts",
            json={"platform": "instagram", "handle": "mina.leaf"},
            headers=bearer(tenant.write),
        )
        assert added.status_code == 201, added.text
        assert _names(await _discover(client, tenant, "?q=mina.le")) == ["Mina"]

    async def test_tracked_post_captions_are_searchable(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Noa")
        account = await create_account(session, tenant.org_id, creator.id, handle="noa")
        await create_post(session, account, caption="Sunrise hike with #trailmix")
        await documents.refresh_creators(session, tenant.org_id, [creator.id])
        await session.commit()
        assert _names(await _discover(client, tenant, "?q=sunrise")) == ["Noa"]


class TestSimilar:
    async def test_lookalikes_by_weighted_jaccard_with_shared_terms(self, client, session):
        tenant = await create_tenant(session)
        org = tenant.org_id
        source = await create_creator(
            session, org, name="Src", niches=["coffee", "latte"], tags=["vegan"]
        )
        close = await create_creator(session, org, name="Close", niches=["coffee", "latte"])
        some = await create_creator(session, org, name="Some", niches=["coffee"], tags=["travel"])
        worded = await create_creator(session, org, name="Worded", niches=[])
        account = await create_account(session, org, worded.id, handle="worded")
        await _captions(session, account, "Oat latte #vegan")
        unrelated = await create_creator(session, org, name="Far", niches=["food"])
        archived = await create_creator(
            session, org, name="Gone", niches=["coffee", "latte"], tags=["vegan"], archived_at=NOW
        )
        ids = [c.id for c in (source, close, some, worded, unrelated, archived)]
        await documents.refresh_creators(session, org, ids)
        await session.commit()
        response = await client.get(
            f"/v1/creators/{source.id}/similar", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["creator_id"] == str(source.id)
        assert body["terms"] == ["coffee", "latte", "vegan"]
        found = [
            (item["name"], item["similarity"]["score"], item["similarity"]["reasons"])
            for item in body["items"]
        ]
        # The organization is smaller than the sample: N = its 5 unarchived creators, every
        # term compared (exact). weight = ln((N + 1) / (df + 1)):
        #   coffee (Src, Close, Some) and latte (Src, Close, Worded): df 3, ln(6/4) = 0.405465
        #   vegan, travel, #vegan, oat, food: df 1, ln(6/2) = 1.098612
        # Src's weight: 0.405465 + 0.405465 + 1.098612 = 1.909543. score = shared / (Src + other
        # - shared):
        # Close {coffee, latte}: 0.810930 / (1.909543 + 0.810930 - 0.810930) = 0.424670
        # Some {coffee, travel}: 0.405465 / (1.909543 + 1.504077 - 0.405465) = 0.134789
        # Worded {#vegan, latte, oat} ("#vegan" is not "vegan": a hashtag and a tag stay
        #   apart): 0.405465 / (1.909543 + 2.602689 - 0.405465) = 0.098731
        # Far shares nothing; Gone is archived.
        assert found == [
            ("Close", 0.4247, ["coffee", "latte"]),
            ("Some", 0.1348, ["coffee"]),
            ("Worded", 0.0987, ["latte"]),
        ]
        limited = await client.get(
            f"/v1/creators/{source.id}/similar?limit=1", headers=bearer(tenant.read)
        )
        assert [item["name"] for item in limited.json()["items"]] == ["Close"]

    async def test_weights_are_counted_again_once_a_sampled_creator_changes(self, client, session):
        # The app keeps the organization's term counts between requests; a creator whose terms
        # change must change the next answer, not one a while later.
        tenant = await create_tenant(session)
        org = tenant.org_id
        source = await create_creator(session, org, name="Src", niches=["coffee", "latte"])
        close = await create_creator(session, org, name="Close", niches=["coffee", "latte"])
        other = await create_creator(session, org, name="Other", niches=["tea"])
        await documents.refresh_creators(session, org, [source.id, close.id, other.id])
        await session.commit()

        async def scores():
            response = await client.get(
                f"/v1/creators/{source.id}/similar", headers=bearer(tenant.read)
            )
            assert response.status_code == 200, response.text
            return [(i["name"], i["similarity"]["score"]) for i in response.json()["items"]]

        # N = 3: coffee and latte in 2 each, ln(4/3) = 0.287682: Close has the same terms.
        assert await scores() == [("Close", 1.0)]
        assert await scores() == [("Close", 1.0)]  # from the kept counts
        other.niches = ["tea", "coffee"]
        await documents.refresh_creators(session, org, [other.id])
        await session.commit()
        # Counted again: coffee is now in all 3 and weighs 0, so Other, sharing only coffee, is
        # not listed. With the old counts it would be, at 0.287682 / (0.575364 + 0.980829 -
        # 0.287682) = 0.2268 (tea in 1 weighing ln(4/2) = 0.693147).
        assert await scores() == [("Close", 1.0)]
        close.tags = ["vegan"]
        await documents.refresh_creators(session, org, [close.id])
        await session.commit()
        # vegan in 1 weighs 0.693147: 0.287682 / (0.287682 + 0.980829 - 0.287682) = 0.2933
        assert await scores() == [("Close", 0.2933)]

    async def test_a_term_every_creator_has_weighs_nothing(self, client, session):
        tenant = await create_tenant(session)
        org = tenant.org_id
        # Both have "coffee", so it tells them from no one: weight ln(3/3) = 0, nothing shared.
        source = await create_creator(session, org, name="Src", niches=["coffee", "rare"])
        same = await create_creator(session, org, name="Same", niches=["coffee"])
        await documents.refresh_creators(session, org, [source.id, same.id])
        await session.commit()
        response = await client.get(
            f"/v1/creators/{source.id}/similar", headers=bearer(tenant.read)
        )
        assert response.json()["items"] == []

    async def test_no_terms_is_an_empty_list(self, client, session):
        tenant = await create_tenant(session)
        lone = await create_creator(session, tenant.org_id, name="Lone", niches=[])
        await create_creator(session, tenant.org_id, name="Other", niches=["coffee"])
        await documents.refresh_creators(session, tenant.org_id, [lone.id])
        await session.commit()
        response = await client.get(f"/v1/creators/{lone.id}/similar", headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        assert response.json() == {"creator_id": str(lone.id), "terms": [], "items": []}

    async def test_archived_or_unknown_creator_is_404(self, client, session):
        tenant = await create_tenant(session)
        gone = await create_creator(session, tenant.org_id, archived_at=NOW)
        for creator_id in (gone.id, "0192f9d0-0000-7000-8000-000000000000"):
            response = await client.get(
                f"/v1/creators/{creator_id}/similar", headers=bearer(tenant.read)
            )
            assert response.status_code == 404, response.text

    @pytest.mark.parametrize("limit", ["0", "101", "x"])
    async def test_bad_limit_is_422(self, client, session, limit):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        response = await client.get(
            f"/v1/creators/{creator.id}/similar?limit={limit}", headers=bearer(tenant.read)
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]
