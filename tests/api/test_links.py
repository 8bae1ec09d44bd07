"""Tracking links through the API, and the /r/{code} redirect that records each click."""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select, text

from shared.domain.link.visitor import SALT_KEY, SALT_TTL_S, DailySalt, visitor_hash
from shared.models import LinkClick, TrackingLink
from tests.factories import bearer, create_campaign, create_creator, create_tenant, utc

HUMAN = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
# What httpx's ASGI transport reports as the client's address.
CLIENT_IP = "127.0.0.1"


async def _setup(session, name="Autumn Café: Launch!"):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    campaign = await create_campaign(session, tenant.org_id, name=name)
    return tenant, creator, campaign


async def _create(client, tenant, campaign, creator, **body):
    body = {"creator_id": str(creator.id), "destination_url": "https://shop.example.com/"} | body
    response = await client.post(
        f"/v1/campaigns/{campaign.id}/links", json=body, headers=bearer(tenant.write)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _clicks(session):
    return (await session.scalars(select(LinkClick).order_by(LinkClick.clicked_at))).all()


class TestCreateLink:
    async def test_created_with_code_short_and_tracked_urls(self, client, session, settings):
        tenant, creator, campaign = await _setup(session)
        destination = "https://shop.example.com/autumn?ref=ig&utm_source=old&utm_term=beans#top"
        body = await _create(
            client, tenant, campaign, creator, destination_url=destination, platform="instagram"
        )
        assert re.fullmatch(r"[A-Za-z0-9]{8}", body["code"])
        assert body["short_url"] == f"{settings.public_url}/r/{body['code']}"
        assert (body["campaign_id"], body["creator_id"]) == (str(campaign.id), str(creator.id))
        assert (body["platform"], body["destination_url"]) == ("instagram", destination)
        assert (body["clicks"], body["unique_clicks"]) == (0, 0)
        tracked = urlsplit(body["tracked_url"])
        assert (tracked.scheme, tracked.netloc, tracked.path) == (
            "https",
            "shop.example.com",
            "/autumn",
        )
        assert tracked.fragment == "top"
        # The destination's own utm_source is replaced; its other parameters are kept.
        assert parse_qsl(tracked.query) == [
            ("ref", "ig"),
            ("utm_term", "beans"),
            ("utm_source", "instagram"),
            ("utm_medium", "influencer"),
            ("utm_campaign", "autumn-cafe-launch"),
            ("utm_content", body["code"]),
        ]
        stored = await session.get(TrackingLink, body["id"])
        assert (stored.org_id, stored.tracked_url) == (tenant.org_id, body["tracked_url"])

    async def test_without_platform_the_source_is_sway(self, client, session):
        tenant, creator, campaign = await _setup(session, name="★★★")
        body = await _create(client, tenant, campaign, creator)
        query = dict(parse_qsl(urlsplit(body["tracked_url"]).query))
        assert query["utm_source"] == "sway" and body["platform"] is None
        # Nothing of the name survives as a slug: the campaign's id stands for it.
        assert query["utm_campaign"] == str(campaign.id)

    async def test_each_link_gets_its_own_code(self, client, session):
        tenant, creator, campaign = await _setup(session)
        codes = {(await _create(client, tenant, campaign, creator))["code"] for _ in range(5)}
        assert len(codes) == 5

    async def test_the_destinations_own_query_is_kept_byte_for_byte(self, client, session):
        tenant, creator, campaign = await _setup(session, name="Go")
        destination = "https://shop.example.com/p?q=a%20b&flag&x=1+2&UTM_SOURCE=kept&utm_content=x"
        body = await _create(client, tenant, campaign, creator, destination_url=destination)
        assert body["tracked_url"] == (
            "https://shop.example.com/p?q=a%20b&flag&x=1+2&UTM_SOURCE=kept&utm_source=sway"
            f"&utm_medium=influencer&utm_campaign=go&utm_content={body['code']}"
        )

    async def test_a_taken_code_is_drawn_again(self, client, session, monkeypatch):
        from shared.domain.link import service as link_service
        from tests.factories_attribution import create_link

        tenant, creator, campaign = await _setup(session)
        other = await create_tenant(session, "Other")
        other_campaign = await create_campaign(session, other.org_id)
        other_creator = await create_creator(session, other.org_id)
        await create_link(session, other.org_id, other_campaign.id, other_creator.id, "Taken123")
        draws = iter(["Taken123", "Fresh456"])
        monkeypatch.setattr(link_service, "new_code", lambda: next(draws))
        body = await _create(client, tenant, campaign, creator)
        assert body["code"] == "Fresh456"
        assert await session.scalar(select(func.count()).select_from(TrackingLink)) == 2

    async def test_archived_campaign_or_creator_takes_no_link(self, client, session):
        tenant, creator, campaign = await _setup(session)
        for archived in (campaign, creator):
            archived.archived_at = datetime.now(UTC)
            await session.commit()
            response = await client.post(
                f"/v1/campaigns/{campaign.id}/links",
                json={"creator_id": str(creator.id), "destination_url": "https://a.example/"},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 409
            archived.archived_at = None
            await session.commit()
        assert await session.scalar(select(func.count()).select_from(TrackingLink)) == 0

    async def test_creator_of_another_org_is_404(self, client, session):
        tenant, _, campaign = await _setup(session)
        other = await create_tenant(session, "Other")
        foreign = await create_creator(session, other.org_id)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/links",
            json={"creator_id": str(foreign.id), "destination_url": "https://shop.example.com/"},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert await session.scalar(select(func.count()).select_from(TrackingLink)) == 0

    @pytest.mark.parametrize(
        "destination",
        [
            "ftp://shop.example.com/",
            "javascript:alert(1)",
            "https://",
            "shop.example.com/autumn",
            "https://shop.example.com/" + "a" * 2000,
            "https://shop .example.com/",
            "https://user@shop.example.com/",
            "https://shop.example.com/\x01",
            "https://shop.example.com/caf\u00e9",
            "https://b\u00fccher.example/",
        ],
    )
    async def test_bad_destination_is_422(self, client, session, destination):
        tenant, creator, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/links",
            json={"creator_id": str(creator.id), "destination_url": destination},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == ["body", "destination_url"]

    @pytest.mark.parametrize(
        "body",
        [
            {"destination_url": "https://shop.example.com/"},
            {
                "creator_id": "{creator}",
                "destination_url": "https://a.example/",
                "platform": "myspace",
            },
            {"creator_id": "{creator}", "destination_url": "https://a.example/", "code": "MINE"},
        ],
    )
    async def test_bad_body_is_422(self, client, session, body):
        tenant, creator, campaign = await _setup(session)
        body = {k: v.format(creator=creator.id) for k, v in body.items()}
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/links", json=body, headers=bearer(tenant.write)
        )
        assert response.status_code == 422

    async def test_read_key_cannot_create(self, client, session):
        tenant, creator, campaign = await _setup(session)
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/links",
            json={"creator_id": str(creator.id), "destination_url": "https://a.example/"},
            headers=bearer(tenant.read),
        )
        assert response.status_code == 403


class TestListLinks:
    async def test_pages_newest_first_with_creator_filter(self, client, session):
        tenant, creator, campaign = await _setup(session)
        other = await create_creator(session, tenant.org_id, name="Bo")
        made = [(await _create(client, tenant, campaign, creator))["id"] for _ in range(3)]
        await _create(client, tenant, campaign, other)
        url = f"/v1/campaigns/{campaign.id}/links?creator_id={creator.id}&limit=2"
        first = (await client.get(url, headers=bearer(tenant.read))).json()
        assert [item["id"] for item in first["items"]] == made[::-1][:2]
        second = (
            await client.get(f"{url}&cursor={first['next_cursor']}", headers=bearer(tenant.read))
        ).json()
        assert [item["id"] for item in second["items"]] == [made[0]]
        assert second["next_cursor"] is None

    async def test_get_one_with_its_counts(self, client, session):
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator)
        for agent in (HUMAN, HUMAN, HUMAN + " other", GOOGLEBOT):
            await client.get(f"/r/{link['code']}", headers={"user-agent": agent})
        body = (await client.get(f"/v1/links/{link['id']}", headers=bearer(tenant.read))).json()
        # Three people's clicks (two from the same visitor), the bot's not counted.
        assert (body["clicks"], body["unique_clicks"]) == (3, 2)
        listed = await client.get(f"/v1/campaigns/{campaign.id}/links", headers=bearer(tenant.read))
        assert listed.json()["items"][0]["clicks"] == 3

    async def test_bad_cursor_is_422(self, client, session):
        tenant, _, campaign = await _setup(session)
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/links?cursor=nope", headers=bearer(tenant.read)
        )
        assert response.status_code == 422


class TestRedirect:
    async def test_302_to_the_tracked_url_and_the_click_recorded(self, client, session):
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator, platform="tiktok")
        before = datetime.now(UTC)
        response = await client.get(
            f"/r/{link['code']}",
            headers={"user-agent": HUMAN, "referer": "https://www.tiktok.com/@ada"},
        )
        assert response.status_code == 302
        assert response.headers["location"] == link["tracked_url"]
        assert response.headers["cache-control"] == "no-store, no-cache, must-revalidate, max-age=0"
        assert response.headers["pragma"] == "no-cache"
        [click] = await _clicks(session)
        assert (str(click.link_id), click.org_id) == (link["id"], tenant.org_id)
        assert before <= click.clicked_at <= datetime.now(UTC)
        assert (click.referrer, click.user_agent, click.is_bot) == (
            "https://www.tiktok.com/@ada",
            HUMAN,
            False,
        )
        assert re.fullmatch(r"[0-9a-f]{64}", click.visitor_hash)

    async def test_no_ip_is_stored_anywhere_in_the_click(self, client, session, redis):
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator)
        await client.get(f"/r/{link['code']}", headers={"user-agent": HUMAN})
        [click] = await _clicks(session)
        # The whole row as Postgres holds it: no column carries the address.
        row = await session.scalar(text("SELECT row_to_json(c)::text FROM link_click c"))
        assert click.visitor_hash in row and CLIENT_IP not in row
        # The hash is the day's salt, the IP and the user agent: reproducible only with the salt.
        day = click.clicked_at.astimezone(UTC).date().isoformat()
        salt = await redis.get(SALT_KEY.format(day=day))
        assert click.visitor_hash == visitor_hash(salt, CLIENT_IP, HUMAN)
        assert click.visitor_hash != visitor_hash(b"", CLIENT_IP, HUMAN)

    async def test_the_visitor_is_the_peer_not_a_forwarded_header(self, client, session):
        # As for rate limiting (deps.client_address): X-Forwarded-For counts only once uvicorn
        # is told to trust the proxy, so a visitor cannot make themselves many by forging it.
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator)
        for forged in ("203.0.113.1", "203.0.113.2"):
            headers = {"user-agent": HUMAN, "x-forwarded-for": forged}
            await client.get(f"/r/{link['code']}", headers=headers)
        first, second = await _clicks(session)
        assert first.visitor_hash == second.visitor_hash
        body = (await client.get(f"/v1/links/{link['id']}", headers=bearer(tenant.read))).json()
        assert (body["clicks"], body["unique_clicks"]) == (2, 1)

    async def test_documented_without_an_api_key(self, client):
        operation = (await client.get("/openapi.json")).json()["paths"]["/r/{code}"]["get"]
        assert set(operation["responses"]) == {"302", "404", "503"}
        assert "Location" in operation["responses"]["302"]["headers"]
        assert not operation.get("security")

    async def test_long_headers_are_cut(self, client, session):
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator)
        agent, referrer = HUMAN + "x" * 1000, "https://ref.example/" + "r" * 3000
        await client.get(f"/r/{link['code']}", headers={"user-agent": agent, "referer": referrer})
        [click] = await _clicks(session)
        assert (click.user_agent, click.referrer) == (agent[:512], referrer[:2048])

    @pytest.mark.parametrize("agent", [GOOGLEBOT, "facebookexternalhit/1.1", "curl/8.5.0", ""])
    async def test_bots_are_recorded_flagged_and_not_counted(self, client, session, agent):
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator)
        response = await client.get(f"/r/{link['code']}", headers={"user-agent": agent})
        assert response.status_code == 302
        [click] = await _clicks(session)
        assert click.is_bot is True
        body = (await client.get(f"/v1/links/{link['id']}", headers=bearer(tenant.read))).json()
        assert (body["clicks"], body["unique_clicks"]) == (0, 0)

    async def test_unknown_code_is_404_and_records_nothing(self, client, session):
        for code in ("nosuchco", "x" * 200, "%00", "caf%C3%A9", "a%20b"):
            response = await client.get(f"/r/{code}", headers={"user-agent": HUMAN})
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "not_found"
        assert await _clicks(session) == []

    async def test_a_code_is_matched_exactly(self, client, session):
        tenant, creator, campaign = await _setup(session)
        link = await _create(client, tenant, campaign, creator)
        response = await client.get(f"/r/{link['code'].swapcase()}")
        assert response.status_code == 404


class TestDailySalt:
    async def test_one_salt_per_day_shared_by_processes_and_then_dropped(self, redis):
        one, two = DailySalt(redis), DailySalt(redis)
        monday, tuesday = utc(2026, 11, 30, 8), utc(2026, 12, 1, 0, 0, 1)
        salt = await one.today(monday)
        assert await two.today(utc(2026, 11, 30, 23, 59)) == salt
        assert 0 < await redis.ttl(SALT_KEY.format(day="2026-11-30")) <= SALT_TTL_S
        assert await one.today(tuesday) != salt
        # The same visitor is another visitor on another day.
        assert visitor_hash(salt, CLIENT_IP, HUMAN) != visitor_hash(
            await one.today(tuesday), CLIENT_IP, HUMAN
        )

    async def test_cached_in_the_process_for_the_day(self, redis):
        salt = DailySalt(redis)
        first = await salt.today(utc(2026, 11, 30, 8))
        await redis.delete(SALT_KEY.format(day="2026-11-30"))
        assert await salt.today(utc(2026, 11, 30, 9)) == first
