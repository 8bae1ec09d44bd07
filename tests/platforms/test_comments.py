"""Comments of a post (CommentSource) from each platform that lists them, against recorded
answers replayed at the real URLs: pagination, comments without text left out, turned-off
comments, refused tokens and throttles; the demo's labelled comments; and the platforms that
give none."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from shared.platforms import demo, get_adapter, linkedin
from shared.platforms.base import (
    AuthExpired,
    Credentials,
    InvalidInput,
    NotConfigured,
    Platform,
    RateLimited,
)
from shared.platforms.comments import NO_COMMENTS, CommentPage, CommentSource, PlatformComment
from shared.platforms.facebook import FacebookAdapter
from shared.platforms.instagram import InstagramAdapter
from shared.platforms.linkedin import LinkedInAdapter
from shared.platforms.x import XAdapter
from shared.platforms.youtube import YouTubeAdapter
from tests.platforms.conftest import fixture_json, replay

GRAPH = "https://graph.facebook.com/v25.0"
META_CREDS = Credentials(access_token="EAAGm0PX4ZCps")
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class TestWhoGivesComments:
    @pytest.mark.parametrize("platform", list(Platform))
    def test_every_platform_either_lists_comments_or_says_why_not(self, platform, http, settings):
        adapter = get_adapter(platform, http, settings)
        assert isinstance(adapter, CommentSource) is (platform not in NO_COMMENTS)

    def test_tiktok_and_pinterest_say_why(self):
        assert set(NO_COMMENTS) == {Platform.tiktok, Platform.pinterest}
        assert "Research API" in NO_COMMENTS[Platform.tiktok]
        assert "v5" in NO_COMMENTS[Platform.pinterest]


class TestYouTube:
    API = "https://www.googleapis.com/youtube/v3/commentThreads"

    @pytest.fixture
    def adapter(self, http, settings):
        return YouTubeAdapter(http, settings, clock=lambda: NOW)

    def test_costs_a_unit_per_hundred(self, adapter):
        assert [adapter.comments_cost(n) for n in (1, 100, 101, 1000)] == [1, 1, 2, 10]

    @respx.mock
    async def test_follows_the_pages_and_leaves_out_comments_without_text(self, adapter):
        route = respx.get(self.API).mock(
            side_effect=[
                replay("youtube", "comments_page_1.json"),
                replay("youtube", "comments_page_2.json"),
            ]
        )

        page = await adapter.list_comments("dQw4w9WgXcQ", None, limit=150)

        assert page == CommentPage(
            comments=[
                PlatformComment(
                    external_id="UgzTh1rd4AaABAg",
                    text="Just ordered the autumn roast from @acme.coffee 🔥",
                    published_at=at("2026-11-19T18:04:51+00:00"),
                    like_count=12,
                    author_id="UCa1b2c3d4e5f6g7h8i9j0kA",
                ),
                PlatformComment(
                    external_id="Ugw5ec0nd4AaABAg",
                    text="Wie lange hält die Bohne?",
                    published_at=at("2026-11-19T16:12:03+00:00"),
                    like_count=0,
                    author_id="UCz9y8x7w6v5u4t3s2r1q0pB",
                ),
                PlatformComment(
                    external_id="UgxF1rst4AaABAg",
                    text="First!",
                    published_at=at("2026-11-19T15:00:09+00:00"),
                    like_count=3,
                    author_id=None,
                ),
            ]
        )
        first, second = (call.request.url.params for call in route.calls)
        assert (first["part"], first["videoId"], first["order"]) == (
            "snippet",
            "dQw4w9WgXcQ",
            "time",
        )
        assert (first["textFormat"], first["maxResults"], first["key"]) == (
            "plainText",
            "100",
            "test-youtube-key",
        )
        assert "pageToken" not in first
        assert second["pageToken"].startswith("Z2V0X25ld2VzdF9maXJzdC0t")

    @respx.mock
    async def test_stops_at_the_limit(self, adapter):
        route = respx.get(self.API).mock(return_value=replay("youtube", "comments_page_1.json"))

        page = await adapter.list_comments("dQw4w9WgXcQ", None, limit=1)

        assert [c.external_id for c in page.comments] == ["UgzTh1rd4AaABAg"]
        assert route.call_count == 1 and route.calls.last.request.url.params["maxResults"] == "1"

    @respx.mock
    async def test_turned_off_comments_are_an_answer(self, adapter):
        respx.get(self.API).mock(return_value=replay("youtube", "comments_disabled.json"))
        assert await adapter.list_comments("dQw4w9WgXcQ", None, limit=100) == CommentPage(
            disabled=True
        )

    @respx.mock
    async def test_the_daily_quota_waits_for_midnight_pacific(self, adapter):
        respx.get(self.API).mock(return_value=replay("youtube", "error_quota_exceeded.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.list_comments("dQw4w9WgXcQ", None, limit=100)
        assert caught.value.retry_after_s == 16.5 * 3600

    @respx.mock
    async def test_a_refused_token_is_the_accounts(self, adapter):
        respx.get(self.API).mock(return_value=replay("youtube", "error_auth.json"))
        with pytest.raises(AuthExpired):
            await adapter.list_comments(
                "dQw4w9WgXcQ", Credentials(access_token="ya29.x"), limit=100
            )


class TestInstagram:
    MEDIA = "17900000000000001"
    URL = f"{GRAPH}/{MEDIA}/comments"

    @pytest.fixture
    def adapter(self, http, settings):
        return InstagramAdapter(http, settings)

    def test_costs_the_pages_and_one_lookup(self, adapter):
        assert [adapter.comments_cost(n) for n in (1, 50, 100)] == [2, 2, 3]

    @respx.mock
    async def test_comments_and_their_replies_over_two_pages(self, adapter):
        route = respx.get(self.URL).mock(
            side_effect=[
                replay("instagram", "comments_page1.json"),
                replay("instagram", "comments_page2.json"),
            ]
        )

        page = await adapter.list_comments(self.MEDIA, META_CREDS, limit=100)

        assert page == CommentPage(
            comments=[
                PlatformComment(
                    "18040000000000011",
                    "Where can I buy this roast? @acme.coffee",
                    at("2026-06-21T09:14:02+00:00"),
                    4,
                    "17841400000000101",
                ),
                PlatformComment(
                    "18040000000000012",
                    "@bean_lover on their site, link in bio",
                    at("2026-06-21T09:30:40+00:00"),
                    1,
                    "17841405822304914",
                    parent_external_id="18040000000000011",
                ),
                PlatformComment(
                    "18040000000000009",
                    "Que delícia 😍",
                    at("2026-06-20T22:45:00+00:00"),
                    9,
                    "17841400000000103",
                ),
                PlatformComment(
                    "18040000000000003", "Latte art goals", at("2026-06-20T10:01:30+00:00"), 2, None
                ),
            ]
        )
        first, second = (call.request.url.params for call in route.calls)
        assert first["fields"] == (
            "id,text,timestamp,like_count,from,parent_id,"
            "replies{id,text,timestamp,like_count,from,parent_id}"
        )
        assert (first["limit"], first["access_token"]) == ("50", "EAAGm0PX4ZCps")
        assert second["after"] == "QVFIUkx5dE"

    @respx.mock
    @pytest.mark.parametrize(
        ("media", "disabled"),
        [("comments_media_disabled.json", True), ("comments_media_enabled.json", False)],
    )
    async def test_an_empty_list_asks_whether_comments_are_on(self, adapter, media, disabled):
        respx.get(self.URL).mock(return_value=replay("instagram", "comments_empty.json"))
        lookup = respx.get(f"{GRAPH}/{self.MEDIA}").mock(return_value=replay("instagram", media))

        assert await adapter.list_comments(self.MEDIA, META_CREDS, limit=100) == CommentPage(
            disabled=disabled
        )
        assert lookup.calls.last.request.url.params["fields"] == "is_comment_enabled"

    @respx.mock
    async def test_a_throttle_says_when_access_returns(self, adapter):
        respx.get(self.URL).mock(return_value=replay("instagram", "throttled.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.list_comments(self.MEDIA, META_CREDS, limit=100)
        assert caught.value.retry_after_s == 7 * 60

    @respx.mock
    async def test_an_expired_token(self, adapter):
        respx.get(self.URL).mock(return_value=replay("instagram", "expired_token.json"))
        with pytest.raises(AuthExpired):
            await adapter.list_comments(self.MEDIA, META_CREDS, limit=100)

    async def test_no_token_is_no_read(self, adapter):
        with pytest.raises(AuthExpired):
            await adapter.list_comments(self.MEDIA, None, limit=100)


class TestFacebook:
    POST = "104616028383841_122101234567890123"
    URL = f"{GRAPH}/{POST}/comments"

    @pytest.fixture
    def adapter(self, http, settings):
        return FacebookAdapter(http, settings)

    @respx.mock
    async def test_newest_first_with_replies_over_two_pages(self, adapter):
        route = respx.get(self.URL).mock(
            side_effect=[
                replay("facebook", "comments_page1.json"),
                replay("facebook", "comments_page2.json"),
            ]
        )

        page = await adapter.list_comments(self.POST, META_CREDS, limit=200)

        assert page == CommentPage(
            comments=[
                PlatformComment(
                    "122101234567890123_1234567890123461",
                    "Great giveaway, count me in!",
                    at("2026-06-21T12:00:05+00:00"),
                    2,
                    "6543210987654321",
                ),
                PlatformComment(
                    "122101234567890123_1234567890123460",
                    "Thanks, we'll pick a winner Friday",
                    at("2026-06-21T11:45:00+00:00"),
                    0,
                    "104616028383841",
                    parent_external_id="122101234567890123_1234567890123459",
                ),
                PlatformComment(
                    "122101234567890123_1234567890123459",
                    "When is the draw?",
                    at("2026-06-21T11:10:00+00:00"),
                    0,
                    None,
                ),
            ]
        )
        first, second = (call.request.url.params for call in route.calls)
        assert first["fields"] == "id,message,created_time,like_count,from{id},parent{id}"
        assert (first["order"], first["filter"], first["limit"]) == (
            "reverse_chronological",
            "stream",
            "100",
        )
        assert second["after"] == "NDMyNzQyODI3OTQw"

    @respx.mock
    async def test_one_page_is_all_a_small_limit_reads(self, adapter):
        route = respx.get(self.URL).mock(return_value=replay("facebook", "comments_page1.json"))
        page = await adapter.list_comments(self.POST, META_CREDS, limit=2)
        assert len(page.comments) == 2 and route.call_count == 1

    @respx.mock
    @pytest.mark.parametrize(
        ("name", "error"), [("expired_token.json", AuthExpired), ("throttled.json", RateLimited)]
    )
    async def test_refusals(self, adapter, name, error):
        respx.get(self.URL).mock(return_value=replay("facebook", name))
        with pytest.raises(error):
            await adapter.list_comments(self.POST, META_CREDS, limit=100)


class TestLinkedIn:
    SHARE = "urn:li:share:7204567890123456789"
    URL = "https://api.linkedin.com/rest/socialActions/urn%3Ali%3Ashare%3A7204567890123456789/comments"
    CREDS = Credentials(
        access_token="AQV-token", extra={"organization_urn": "urn:li:organization:2414183"}
    )

    @pytest.fixture
    def adapter(self, http, settings):
        return LinkedInAdapter(http, settings, clock=lambda: NOW)

    @respx.mock
    async def test_pages_by_start_and_count(self, adapter, monkeypatch):
        monkeypatch.setattr(linkedin, "COMMENT_PAGE_SIZE", 2)
        route = respx.get(url__startswith=self.URL).mock(
            side_effect=[
                httpx.Response(200, json=fixture_json("linkedin", "comments_page1.json")),
                httpx.Response(200, json=fixture_json("linkedin", "comments_page2.json")),
            ]
        )

        page = await adapter.list_comments(self.SHARE, self.CREDS, limit=10)

        activity = "urn:li:activity:7204567890198765432"
        assert page == CommentPage(
            comments=[
                PlatformComment(
                    f"urn:li:comment:({activity},7205000000000000003)",
                    "Congrats to the whole team!",
                    datetime.fromtimestamp(1750500000, UTC),
                    5,
                    "urn:li:person:Xy12Ab34Cd",
                ),
                PlatformComment(
                    f"urn:li:comment:({activity},7205000000000000001)",
                    "Thank you for sharing",
                    datetime.fromtimestamp(1750480000, UTC),
                    1,
                    "urn:li:organization:2414183",
                    parent_external_id=f"urn:li:comment:({activity},7205000000000000003)",
                ),
            ]
        )
        first, second = (call.request for call in route.calls)
        assert first.url.query.decode() == "start=0&count=2"
        assert second.url.query.decode() == "start=2&count=2"
        assert (
            first.headers["linkedin-version"]
            and first.headers["x-restli-protocol-version"] == "2.0.0"
        )

    @respx.mock
    @pytest.mark.parametrize(
        ("status", "name", "error"),
        [(401, "error_401_invalid_token.json", AuthExpired), (429, "error_429.json", RateLimited)],
    )
    async def test_refusals(self, adapter, status, name, error):
        body = fixture_json("linkedin", name)
        respx.get(url__startswith=self.URL).mock(return_value=httpx.Response(status, json=body))
        with pytest.raises(error):
            await adapter.list_comments(self.SHARE, self.CREDS, limit=10)


class TestX:
    POST = "1846987139428634858"
    URL = "https://api.x.com/2/tweets/search/recent"
    CREDS = Credentials(access_token="x-bearer")

    @pytest.fixture
    def adapter(self, http, settings):
        return XAdapter(http, settings, clock=lambda: NOW)

    @respx.mock
    async def test_replies_of_the_conversation_without_the_post_itself(self, adapter):
        route = respx.get(self.URL).mock(
            side_effect=[
                replay("x", "comments_search_page_1.json"),
                replay("x", "comments_search_page_2.json"),
            ]
        )

        page = await adapter.list_comments(self.POST, self.CREDS, limit=150)

        assert page == CommentPage(
            comments=[
                PlatformComment(
                    "1847000000000000003",
                    "@acme can't wait to try it",
                    at("2026-11-19T10:02:44+00:00"),
                    3,
                    "1500000000000000001",
                    parent_external_id=self.POST,
                ),
                PlatformComment(
                    "1847000000000000002",
                    "@fan @acme same here!",
                    at("2026-11-19T09:40:10+00:00"),
                    1,
                    "1500000000000000002",
                    parent_external_id="1847000000000000001",
                ),
                PlatformComment(
                    "1847000000000000001",
                    "@acme too expensive for me",
                    at("2026-11-19T08:15:00+00:00"),
                    0,
                    "1500000000000000003",
                    parent_external_id=self.POST,
                ),
            ]
        )
        first, second = (call.request for call in route.calls)
        assert first.url.params["query"] == f"conversation_id:{self.POST}"
        assert first.url.params["max_results"] == "100"
        assert first.url.params["tweet.fields"] == (
            "created_at,public_metrics,author_id,in_reply_to_user_id,referenced_tweets"
        )
        assert first.headers["authorization"] == "Bearer x-bearer"
        assert second.url.params["next_token"] == "b26v89c19zqg8o3frr3m9y7trpvahv2sg3r3ywgxmdzx"

    @respx.mock
    async def test_a_page_asks_for_at_least_ten(self, adapter):
        route = respx.get(self.URL).mock(return_value=replay("x", "comments_search_page_2.json"))
        page = await adapter.list_comments(self.POST, self.CREDS, limit=1)
        assert route.calls.last.request.url.params["max_results"] == "10"
        assert [c.external_id for c in page.comments] == ["1847000000000000001"]

    @respx.mock
    async def test_an_access_tier_without_search_is_a_configuration_problem(self, adapter):
        respx.get(self.URL).mock(return_value=replay("x", "comments_search_not_enrolled.json"))
        with pytest.raises(
            NotConfigured, match="does not include recent search.*client-not-enrolled"
        ):
            await adapter.list_comments(self.POST, self.CREDS, limit=100)

    @respx.mock
    async def test_a_throttle_waits_for_the_window(self, adapter):
        respx.get(self.URL).mock(return_value=replay("x", "error_rate_limited.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.list_comments(self.POST, self.CREDS, limit=100)
        assert caught.value.retry_after_s == 1795189350 - NOW.timestamp()

    @respx.mock
    async def test_a_refused_token(self, adapter):
        respx.get(self.URL).mock(
            return_value=httpx.Response(401, json=fixture_json("x", "error_unauthorized.json"))
        )
        with pytest.raises(AuthExpired):
            await adapter.list_comments(self.POST, self.CREDS, limit=100)

    async def test_an_id_that_is_no_post_id(self, adapter):
        with pytest.raises(InvalidInput):
            await adapter.list_comments("12 OR from:someone", self.CREDS, limit=100)


class TestDemo:
    POST = "ada.brews.3k-20"

    def test_the_labelled_mix(self):
        mix = Counter((c.language, c.sentiment) for c in demo.DEMO_COMMENTS)
        # Every language, and emoji alone, carries every sentiment.
        for language in ("en", "es", "de", "fr", "pt", None):
            assert all(mix[(language, s)] for s in ("positive", "neutral", "negative")), language
        assert Counter(c.sentiment for c in demo.DEMO_COMMENTS) == {
            "positive": 11,
            "neutral": 7,
            "negative": 9,
        }
        assert sum("@acme.coffee" in c.text for c in demo.DEMO_COMMENTS) == 5
        assert sum("@rivalroasters" in c.text for c in demo.DEMO_COMMENTS) == 1

    async def test_comments_appear_as_the_post_ages(self):
        published = demo.published_at("ada.brews.3k", 20)
        before = demo.DemoAdapter(
            clock=lambda: published + demo.comment_delay(0) - timedelta(seconds=1)
        )
        later = demo.DemoAdapter(clock=lambda: published + demo.comment_delay(3))

        assert await before.list_comments(self.POST, None, limit=100) == CommentPage()
        page = await later.list_comments(self.POST, None, limit=100)

        assert [c.external_id for c in page.comments] == [f"{self.POST}-c{k}" for k in (3, 2, 1, 0)]
        assert [c.text for c in page.comments] == [
            demo.demo_comment(self.POST, k).text for k in (3, 2, 1, 0)
        ]
        assert page.comments[0].published_at == published + timedelta(seconds=round(1800 * 4**1.5))
        assert page.comments[0].parent_external_id == f"{self.POST}-c2"
        assert {c.parent_external_id for c in page.comments[1:]} == {None}
        assert len((await later.list_comments(self.POST, None, limit=2)).comments) == 2

    async def test_all_of_a_posts_comments_are_up_within_thirty_hours(self):
        published = demo.published_at("ada.brews.3k", 20)
        adapter = demo.DemoAdapter(clock=lambda: published + timedelta(hours=30))
        page = await adapter.list_comments(self.POST, None, limit=100)
        assert len(page.comments) == demo.comment_count(self.POST)
        assert 6 <= demo.comment_count(self.POST) <= 15

    async def test_an_unknown_post_has_none(self):
        adapter = demo.DemoAdapter(clock=lambda: NOW)
        assert await adapter.list_comments("not-a-post", None, limit=100) == CommentPage()
