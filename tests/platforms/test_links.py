"""Short and share links followed against a local redirect server (redirect_server.py): real
HTTP over a real socket, the platforms' hosts routed to 127.0.0.1 by the resolver's transport."""

from collections.abc import AsyncIterator, Iterator

import pytest

from shared.platforms.base import Platform
from shared.platforms.links import LinkResolver
from shared.platforms.urls import ParsedPost, UnrecognizedURL
from tests.platforms.redirect_server import LocalTransport, RedirectServer, running

VIDEO = "7234567890123456789"
PIN = "1022106077905927852"
ACTIVITY = "7212345678901234567"


@pytest.fixture
def server() -> Iterator[RedirectServer]:
    with running() as state:
        yield state


@pytest.fixture
async def transport(server: RedirectServer) -> AsyncIterator[LocalTransport]:
    local = LocalTransport(server)
    yield local
    await local.aclose()


@pytest.fixture
def resolver(transport: LocalTransport) -> LinkResolver:
    return LinkResolver(transport, timeout_s=2.0, max_hops=3)


class TestShareLinksThatLandOnAPost:
    @pytest.mark.parametrize(
        ("pasted", "hops", "expected"),
        [
            (
                "https://vm.tiktok.com/ZMhvqKx3E/",
                [f"https://www.tiktok.com/@ada.brews/video/{VIDEO}?_r=1&_t=ZT-8"],
                ParsedPost(Platform.tiktok, VIDEO, "ada.brews", "video"),
            ),
            (
                "https://www.tiktok.com/t/ZTRabc123/",
                [f"https://m.tiktok.com/v/{VIDEO}.html?u_code=x"],
                ParsedPost(Platform.tiktok, VIDEO, None, "video"),
            ),
            (
                "https://pin.it/1a2b3c",
                [
                    "https://api.pinterest.com/url_shortener/1a2b3c/redirect/",
                    f"https://www.pinterest.com/pin/{PIN}/sent/?invite_code=abc&sfo=1",
                ],
                ParsedPost(Platform.pinterest, PIN, None, "pin"),
            ),
            (
                "https://t.co/AbC123",
                ["https://x.com/acme/status/1790000000000000000/photo/1"],
                ParsedPost(Platform.x, "1790000000000000000", "acme", "tweet"),
            ),
            (
                "https://lnkd.in/gAbC123",
                [f"https://www.linkedin.com/posts/acme_launch-activity-{ACTIVITY}-x1Y2/"],
                ParsedPost(Platform.linkedin, f"urn:li:activity:{ACTIVITY}", "acme", "post"),
            ),
            (
                "https://www.facebook.com/share/r/16zSwR7RS8/",
                ["https://www.facebook.com/reel/1750464455755973/?mibextid=UalRPS"],
                ParsedPost(Platform.facebook, "1750464455755973", None, "reel"),
            ),
            (
                "https://fb.watch/abc123/",
                ["https://www.facebook.com/acme/videos/pour-over/425457359591024/"],
                ParsedPost(Platform.facebook, "425457359591024", "acme", "video"),
            ),
            (
                "https://www.instagram.com/share/reel/BAxYz12/",
                ["https://www.instagram.com/reel/C8xYzAbCdEf/?igsh=MWQ1ZGUxMzBkMA=="],
                ParsedPost(Platform.instagram, "C8xYzAbCdEf", None, "reel"),
            ),
        ],
        ids=["vm", "tiktok-t", "pin.it", "t.co", "lnkd.in", "fb-share", "fb.watch", "ig-share"],
    )
    async def test_followed_to_the_post(self, resolver, server, pasted, hops, expected):
        for here, there in zip([pasted, *hops], hops, strict=False):
            server.redirect(here, there)
        assert await resolver.parse_post(pasted) == expected
        # The post page itself is never requested: the walk stops at the first full URL.
        assert len(server.requested) == len(hops)

    async def test_only_https_no_cookies(self, resolver, server, transport):
        server.redirect("https://vm.tiktok.com/ZM1/", "http://vm.tiktok.com/ZM2/")
        server.redirect("https://vm.tiktok.com/ZM2/", f"https://www.tiktok.com/@a.b/video/{VIDEO}")
        await resolver.parse_post("http://vm.tiktok.com/ZM1/")
        assert transport.schemes == ["https", "https"]  # http links and hops are upgraded
        assert [cookie for _, cookie in server.seen] == [False, False]  # Set-Cookie ignored

    async def test_relative_location(self, resolver, server):
        server.redirect("https://www.tiktok.com/t/ZT1/", f"/@a.b/video/{VIDEO}")
        parsed = await resolver.parse_post("https://www.tiktok.com/t/ZT1/")
        assert parsed.external_id == VIDEO

    async def test_login_wall_is_read_through(self, resolver, server):
        server.redirect(
            "https://www.facebook.com/share/v/1AbC/",
            "https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Freel%2F42%2F",
        )
        parsed = await resolver.parse_post("https://www.facebook.com/share/v/1AbC/")
        assert parsed == ParsedPost(Platform.facebook, "42", None, "reel")
        assert server.requested == ["www.facebook.com/share/v/1AbC/"]

    async def test_full_urls_need_no_network(self, resolver, server):
        parsed = await resolver.parse_post("https://youtu.be/dQw4w9WgXcQ?si=AbCdEf")
        assert parsed.external_id == "dQw4w9WgXcQ"
        assert server.requested == []


class TestRefusals:
    async def test_disallowed_host(self, resolver, server):
        server.redirect("https://t.co/AbC123", "https://evil.example/steal")
        with pytest.raises(UnrecognizedURL, match=r"leads outside x \(to evil\.example\)"):
            await resolver.parse_post("https://t.co/AbC123")
        assert server.requested == ["t.co/AbC123"]  # the foreign host is never asked

    async def test_another_platforms_host(self, resolver, server):
        server.redirect("https://pin.it/1a2b", "https://www.tiktok.com/@a.b/video/1")
        with pytest.raises(UnrecognizedURL, match="leads outside pinterest"):
            await resolver.parse_post("https://pin.it/1a2b")

    @pytest.mark.parametrize(
        "location",
        [
            "https://vm.tiktok.com:8443/ZM2/",
            "https://user:pass@vm.tiktok.com/ZM2/",
            "https://127.0.0.1/ZM2/",
            "file:///etc/passwd",
        ],
        ids=["port", "userinfo", "ip", "file"],
    )
    async def test_unsafe_hop(self, resolver, server, location):
        server.redirect("https://vm.tiktok.com/ZM1/", location)
        with pytest.raises(UnrecognizedURL, match="vm.tiktok.com/ZM1/ leads"):
            await resolver.parse_post("https://vm.tiktok.com/ZM1/")
        assert server.requested == ["vm.tiktok.com/ZM1/"]

    async def test_redirect_loop(self, resolver, server):
        server.redirect("https://vm.tiktok.com/A/", "https://vm.tiktok.com/B/")
        server.redirect("https://vm.tiktok.com/B/", "https://vm.tiktok.com/A/")
        with pytest.raises(UnrecognizedURL, match="redirects in a loop"):
            await resolver.parse_post("https://vm.tiktok.com/A/")
        assert server.requested == ["vm.tiktok.com/A/", "vm.tiktok.com/B/"]

    async def test_too_many_hops(self, resolver, server):
        chain = [f"https://vm.tiktok.com/{n}/" for n in range(5)]
        for here, there in zip(chain, chain[1:], strict=False):
            server.redirect(here, there)
        with pytest.raises(UnrecognizedURL, match="redirects more than 3 times"):
            await resolver.parse_post(chain[0])
        assert len(server.requested) == 3

    async def test_timeout(self, transport, server):
        resolver = LinkResolver(transport, timeout_s=0.3, max_hops=3)
        server.answer("https://vm.tiktok.com/slow/", 302, delay_s=1.5)
        with pytest.raises(UnrecognizedURL, match=r"did not answer within 0\.3 s"):
            await resolver.parse_post("https://vm.tiktok.com/slow/")

    async def test_lands_on_a_profile(self, resolver, server):
        server.redirect("https://vm.tiktok.com/ZMp/", "https://www.tiktok.com/@ada.brews?lang=en")
        with pytest.raises(UnrecognizedURL) as refused:
            await resolver.parse_post("https://vm.tiktok.com/ZMp/")
        assert refused.value.reason == (
            "https://vm.tiktok.com/ZMp/ leads to https://www.tiktok.com/@ada.brews?lang=en: "
            "tiktok: this is a profile URL, not a post; paste the link to the post itself"
        )

    async def test_no_redirect(self, resolver, server):
        # lnkd.in shows an interstitial page for links that leave LinkedIn: no Location.
        server.answer("https://lnkd.in/eXt", 200, body=b"<html>" + b"x" * 100_000)
        with pytest.raises(UnrecognizedURL, match=r"did not redirect to a post \(HTTP 200"):
            await resolver.parse_post("https://lnkd.in/eXt")

    async def test_unknown_short_link(self, resolver, server):
        with pytest.raises(UnrecognizedURL, match=r"does not exist \(HTTP 404\)"):
            await resolver.parse_post("https://pin.it/gone")

    async def test_unreachable(self, server):
        closed = RedirectServer(port=1)  # nothing listens on port 1
        resolver = LinkResolver(LocalTransport(closed), timeout_s=2.0, max_hops=3)
        with pytest.raises(UnrecognizedURL, match="could not reach vm.tiktok.com"):
            await resolver.parse_post("https://vm.tiktok.com/ZM1/")
