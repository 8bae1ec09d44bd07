"""POST /v1/campaigns/{id}/posts with the links people actually paste: share-sheet short links
followed against a local redirect server, and URLs that name no account looked up at the
platform from recorded responses (YouTube videos.list and channels.list, Pinterest GET /pins)."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from shared.crypto import encrypt_credentials
from shared.domain.post.by_url import PostLookups
from shared.models import CreatorAccount, Post
from shared.platforms import get_adapter
from shared.platforms.base import Credentials, Platform
from shared.platforms.links import LinkResolver
from tests.factories import bearer, create_account, create_campaign, create_creator, create_tenant
from tests.platforms.conftest import fixture_json
from tests.platforms.redirect_server import LocalTransport, RedirectServer, running

TIKTOK_VIDEO = "7390001112223334445"
YT_VIDEO = "D-lhorsDlUQ"
YT_CHANNEL = "UCK8sQmJBp8GCxrOtXWBpyEA"  # the channel of videos_owner.json; @acme in channels_list
PIN = "1022106077905927852"
PIN_TOKEN = "pina_ada"


class Platforms:
    """The platforms' APIs as recorded: what each path answers, and every request seen."""

    def __init__(self) -> None:
        self.videos = ("videos_owner.json", 200)
        self.requests: list[httpx.Request] = []
        self.delay_s = 0.0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(self.delay_s)
        path = request.url.path
        if path.endswith("/youtube/v3/videos"):
            name, status = self.videos
            return _recorded("youtube", name, status)
        if path.endswith("/youtube/v3/channels"):
            return _recorded("youtube", "channels_list.json", 200)
        if path == f"/v5/pins/{PIN}":
            if request.headers.get("authorization") == f"Bearer {PIN_TOKEN}":
                return _recorded("pinterest", "pin.json", 200)
            return _recorded("pinterest", "error_401_pin_not_authorized.json", 401)
        return httpx.Response(404, json={"error": "not recorded"})


def _recorded(platform: str, name: str, status: int) -> httpx.Response:
    data = fixture_json(platform, name)
    if isinstance(data, dict) and set(data) == {"status", "headers", "body"}:
        return httpx.Response(data["status"], headers=data["headers"], json=data["body"])
    return httpx.Response(status, json=data)


@pytest.fixture
def server() -> Iterator[RedirectServer]:
    with running() as state:
        yield state


@pytest.fixture
def platforms() -> Platforms:
    return Platforms()


@pytest.fixture
async def lookups(app, settings, server, platforms) -> AsyncIterator[PostLookups]:
    configured = settings.model_copy(
        update={
            "youtube_api_key": SecretStr("test-youtube-key"),
            "youtube_base_url": "https://www.googleapis.com/youtube/v3",
            "pinterest_base_url": "https://api.pinterest.com/v5",
            "link_resolve_timeout_s": 0.5,
        }
    )
    transport = LocalTransport(server)
    client = httpx.AsyncClient(transport=httpx.MockTransport(platforms.handle))
    links = LinkResolver(transport, timeout_s=2.0, max_hops=5)
    adapters = {p: get_adapter(p, client, configured) for p in Platform}
    app.state.post_lookups = PostLookups(links, adapters, configured, closing=(transport,))
    yield app.state.post_lookups
    await app.state.post_lookups.aclose()
    await client.aclose()


async def _setup(session, settings):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id, name="Ada")
    key = settings.secret_key.get_secret_value()
    accounts = {
        "x": await create_account(session, tenant.org_id, creator.id, platform="x", handle="ada"),
        "tiktok": await create_account(
            session, tenant.org_id, creator.id, platform="tiktok", handle="ada.brews"
        ),
        "youtube": await create_account(
            session, tenant.org_id, creator.id, platform="youtube", handle="adabrews",
            external_id=YT_CHANNEL,
        ),
        "pinterest": await create_account(
            session, tenant.org_id, creator.id, platform="pinterest", handle="adabrews",
            credentials_encrypted=encrypt_credentials(Credentials(access_token=PIN_TOKEN), key),
        ),
    }  # fmt: skip
    campaign = await create_campaign(session, tenant.org_id)
    return tenant, accounts, campaign


async def _track(client, tenant, campaign, url: str) -> httpx.Response:
    return await client.post(
        f"/v1/campaigns/{campaign.id}/posts", json={"url": url}, headers=bearer(tenant.write)
    )


async def _rows(session) -> tuple[int, int]:
    posts = await session.scalar(select(func.count()).select_from(Post))
    accounts = await session.scalar(select(func.count()).select_from(CreatorAccount))
    return posts, accounts


class TestShortLinks:
    @pytest.mark.parametrize(
        ("pasted", "hops", "platform", "external_id"),
        [
            (
                "https://vm.tiktok.com/ZMhvqKx3E/",
                [f"https://www.tiktok.com/@ada.brews/video/{TIKTOK_VIDEO}?_r=1"],
                "tiktok",
                TIKTOK_VIDEO,
            ),
            (
                "https://www.tiktok.com/t/ZTRabc123/",
                [f"https://www.tiktok.com/@ada.brews/video/{TIKTOK_VIDEO}"],
                "tiktok",
                TIKTOK_VIDEO,
            ),
            (
                "https://t.co/AbC123",
                ["https://x.com/ada/status/1790000000000000000"],
                "x",
                "1790000000000000000",
            ),
            (
                "https://pin.it/1a2b3c",
                [
                    "https://api.pinterest.com/url_shortener/1a2b3c/redirect/",
                    f"https://www.pinterest.com/pin/{PIN}/sent/?invite_code=abc",
                ],
                "pinterest",
                PIN,
            ),
        ],
        ids=["vm.tiktok", "tiktok-t", "t.co", "pin.it"],
    )
    async def test_followed_and_tracked(
        self, client, session, settings, lookups, server, pasted, hops, platform, external_id
    ):
        tenant, accounts, campaign = await _setup(session, settings)
        for here, there in zip([pasted, *hops], hops, strict=False):
            server.redirect(here, there)
        response = await _track(client, tenant, campaign, pasted)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["platform"], body["external_id"]) == (platform, external_id)
        assert body["account_id"] == str(accounts[platform].id)
        assert body["url"] == pasted  # what the person pasted is kept

    @pytest.mark.parametrize(
        ("pasted", "location", "message"),
        [
            ("https://t.co/Out", "https://shop.example/deal", "leads outside x (to shop.example)"),
            ("https://vm.tiktok.com/Loop/", "https://vm.tiktok.com/Loop/", "redirects in a loop"),
            (
                "https://vm.tiktok.com/Prof/",
                "https://www.tiktok.com/@ada.brews",
                "tiktok: this is a profile URL, not a post",
            ),
        ],
        ids=["disallowed-host", "loop", "profile"],
    )
    async def test_refused_and_nothing_written(
        self, client, session, settings, lookups, server, pasted, location, message
    ):
        tenant, _, campaign = await _setup(session, settings)
        server.redirect(pasted, location)
        before = await _rows(session)
        response = await _track(client, tenant, campaign, pasted)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        (error,) = response.json()["errors"]
        assert message in error["msg"]
        assert await _rows(session) == before

    async def test_without_network_short_links_are_refused(self, client, session, settings):
        tenant, _, campaign = await _setup(session, settings)
        response = await _track(client, tenant, campaign, "https://vm.tiktok.com/ZM1/")
        assert response.status_code == 422
        assert "need a network lookup" in response.json()["errors"][0]["msg"]


class TestUrlsThatNameNoAccount:
    @pytest.mark.parametrize(
        "url",
        [
            f"https://youtu.be/{YT_VIDEO}?si=AbCdEfGh",
            f"https://www.youtube.com/watch?v={YT_VIDEO}&feature=share",
            f"https://youtube.com/shorts/{YT_VIDEO}?si=x",
        ],
        ids=["youtu.be", "watch", "shorts"],
    )
    async def test_youtube_channel_matched_by_external_id(
        self, client, session, settings, lookups, platforms, url
    ):
        tenant, accounts, campaign = await _setup(session, settings)
        response = await _track(client, tenant, campaign, url)
        assert response.status_code == 201, response.text
        assert response.json()["account_id"] == str(accounts["youtube"].id)
        (request,) = platforms.requests  # one videos.list call: 1 quota unit
        assert request.url.params["part"] == "snippet"

    async def test_youtube_channel_matched_by_handle(
        self, client, session, settings, lookups, platforms
    ):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Acme")
        account = await create_account(
            session, tenant.org_id, creator.id, platform="youtube", handle="acme"
        )  # not synced yet: no external_id
        campaign = await create_campaign(session, tenant.org_id)
        response = await _track(client, tenant, campaign, f"https://youtu.be/{YT_VIDEO}")
        assert response.status_code == 201, response.text
        assert response.json()["account_id"] == str(account.id)
        assert [r.url.path.rsplit("/", 1)[-1] for r in platforms.requests] == ["videos", "channels"]

    async def test_youtube_video_gone(self, client, session, settings, lookups, platforms):
        tenant, _, campaign = await _setup(session, settings)
        platforms.videos = ("videos_owner_not_found.json", 200)
        before = await _rows(session)
        response = await _track(client, tenant, campaign, f"https://youtu.be/{YT_VIDEO}")
        assert response.status_code == 422
        message = response.json()["errors"][0]["msg"]
        assert message == (
            "this youtube link does not say whose post it is, and youtube has no public post "
            f"{YT_VIDEO} (private, deleted or mistyped); send "
            f'{{"account_id": <the youtube account\'s id>, "external_id": "{YT_VIDEO}"}}'
        )
        assert await _rows(session) == before

    async def test_youtube_refusing(self, client, session, settings, lookups, platforms):
        tenant, _, campaign = await _setup(session, settings)
        platforms.videos = ("error_quota_exceeded.json", 403)
        response = await _track(client, tenant, campaign, f"https://youtu.be/{YT_VIDEO}")
        assert response.status_code == 422
        message = response.json()["errors"][0]["msg"]
        assert "quotaExceeded" in message and '"external_id": "D-lhorsDlUQ"' in message

    async def test_youtube_too_slow(self, client, session, settings, lookups, platforms):
        tenant, _, campaign = await _setup(session, settings)
        platforms.delay_s = 2.0
        before = await _rows(session)
        response = await _track(client, tenant, campaign, f"https://youtu.be/{YT_VIDEO}")
        assert response.status_code == 422
        assert "youtube did not answer within 0.5 s" in response.json()["errors"][0]["msg"]
        assert await _rows(session) == before

    async def test_youtube_channel_of_no_creator(
        self, client, session, settings, lookups, platforms
    ):
        tenant = await create_tenant(session)
        campaign = await create_campaign(session, tenant.org_id)
        response = await _track(client, tenant, campaign, f"https://youtu.be/{YT_VIDEO}")
        assert response.status_code == 422
        assert response.json()["errors"][0]["msg"] == (
            f"this youtube post belongs to {YT_CHANNEL} (Google Developers), which is no account "
            "of a creator in this organization; add it with POST /v1/creators/{id}/accounts "
            f"(external_id {YT_CHANNEL}), then send the URL again"
        )

    async def test_another_organizations_channel_is_not_matched(
        self, client, session, settings, lookups
    ):
        await _setup(session, settings)  # another organization has the channel
        tenant = await create_tenant(session, name="Other Agency")
        campaign = await create_campaign(session, tenant.org_id)
        before = await _rows(session)
        response = await _track(client, tenant, campaign, f"https://youtu.be/{YT_VIDEO}")
        assert response.status_code == 422
        assert "which is no account of a creator in this organization" in response.text
        assert await _rows(session) == before

    async def test_pinterest_owner_is_the_account_whose_token_sees_it(
        self, client, session, settings, lookups, platforms
    ):
        tenant, accounts, campaign = await _setup(session, settings)
        response = await _track(client, tenant, campaign, f"https://www.pinterest.com/pin/{PIN}/")
        assert response.status_code == 201, response.text
        assert response.json()["account_id"] == str(accounts["pinterest"].id)

    async def test_pinterest_no_token_sees_it(self, client, session, settings, lookups):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Bo")
        key = settings.secret_key.get_secret_value()
        await create_account(
            session, tenant.org_id, creator.id, platform="pinterest", handle="bo_pins",
            credentials_encrypted=encrypt_credentials(Credentials(access_token="pina_bo"), key),
        )  # fmt: skip
        campaign = await create_campaign(session, tenant.org_id)
        response = await _track(client, tenant, campaign, f"https://www.pinterest.com/pin/{PIN}/")
        assert response.status_code == 422
        assert (
            "none of this organization's connected Pinterest accounts owns pin"
            in (response.json()["errors"][0]["msg"])
        )

    @pytest.mark.parametrize(
        ("url", "instead"),
        [
            (
                "https://www.instagram.com/reel/C8xYzAbCdEf/?igsh=MWQ1ZGUxMzBkMA==",
                "paste the link as instagram.com/<username>/reel/C8xYzAbCdEf/ (the author's "
                "username before /reel/)",
            ),
            (
                "https://www.facebook.com/reel/1750464455755973",
                "paste the link as facebook.com/<page>/videos/1750464455755973/, or send "
                '{"account_id": <the facebook account\'s id>, "external_id": "1750464455755973"}',
            ),
            (
                f"https://m.tiktok.com/v/{TIKTOK_VIDEO}.html",
                f"paste the link as tiktok.com/@<username>/video/{TIKTOK_VIDEO}, or send "
                f'{{"account_id": <the tiktok account\'s id>, "external_id": "{TIKTOK_VIDEO}"}}',
            ),
        ],
        ids=["instagram-reel", "facebook-reel", "tiktok-v"],
    )
    async def test_platforms_that_cannot_tell(
        self, client, session, settings, lookups, platforms, url, instead
    ):
        tenant, _, campaign = await _setup(session, settings)
        response = await _track(client, tenant, campaign, url)
        assert response.status_code == 422
        message = response.json()["errors"][0]["msg"]
        assert message.endswith(f"cannot tell; {instead}"), message
        assert platforms.requests == []

    async def test_instagram_link_naming_the_account(self, client, session, settings, lookups):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Ada")
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        campaign = await create_campaign(session, tenant.org_id)
        url = "https://www.instagram.com/ada.brews/reel/C8xYzAbCdEf/?igsh=MWQ1ZGUxMzBkMA=="
        response = await _track(client, tenant, campaign, url)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["account_id"], body["status"]) == (str(account.id), "pending")
