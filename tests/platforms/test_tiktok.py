"""TikTok adapter against recorded Display API v2 responses, replayed at the real URLs."""

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from shared.platforms import get_adapter
from shared.platforms.base import (
    AccountRef,
    AdapterError,
    AuthExpired,
    Credentials,
    MalformedResponse,
    Platform,
    PlatformAdapter,
    PlatformUnavailable,
    PostDetails,
    PostStats,
    RateLimited,
)
from shared.platforms.tiktok import TikTokAdapter
from tests.platforms.conftest import counts, fixture_json, fixture_text, replay

API = "https://open.tiktokapis.com/v2"
TOKEN = Credentials(
    access_token="act.1d3f5a7c9e0b2d4f6a8c0e2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f"
)
ACME = AccountRef(Platform.tiktok, "acme", "723f24d7-e717-40f8-a2b6-cb8464cd23b4")
LIST_FIELDS = (
    "id,create_time,title,video_description,share_url,duration,"
    "view_count,like_count,comment_count,share_count"
)


def recorded(name: str) -> httpx.Response:
    return replay("tiktok", name)


def sent_json(call) -> dict:
    return json.loads(call.request.content)


@pytest.fixture
def adapter(http, settings) -> TikTokAdapter:
    return TikTokAdapter(http, settings)


class TestFetchAccount:
    def test_is_registered_as_a_platform_adapter(self, http, settings):
        adapter = get_adapter("tiktok", http, settings)
        assert isinstance(adapter, PlatformAdapter)
        assert (adapter.platform, adapter.max_batch) == (Platform.tiktok, 20)

    @respx.mock
    async def test_profile_counts_of_the_authorizing_user(self, adapter):
        route = respx.get(f"{API}/user/info/").mock(return_value=recorded("user_info.json"))

        stats = await adapter.fetch_account(ACME, TOKEN)

        assert stats.external_id == "723f24d7-e717-40f8-a2b6-cb8464cd23b4"
        assert stats.handle is None
        assert stats.display_name == "acme"
        assert stats.followers == 15234
        assert stats.following == 312
        assert stats.posts_count == 87
        request = route.calls.last.request
        assert request.headers["authorization"] == f"Bearer {TOKEN.access_token}"
        assert request.url.params["fields"] == (
            "open_id,display_name,avatar_url,follower_count,following_count,likes_count,video_count"
        )

    @respx.mock
    async def test_missing_token_is_auth_expired_before_any_call(self, adapter):
        route = respx.get(f"{API}/user/info/")

        with pytest.raises(AuthExpired, match="access token is required"):
            await adapter.fetch_account(ACME, Credentials(api_key="not-a-user-token"))

        assert not route.called


class TestListPosts:
    @respx.mock
    async def test_two_pages_follow_the_cursor_and_stop_at_since(self, adapter):
        route = respx.post(f"{API}/video/list/").mock(
            side_effect=[recorded("video_list_page_1.json"), recorded("video_list_page_2.json")]
        )

        posts = await adapter.list_posts(ACME, TOKEN, since=datetime(2026, 11, 1, tzinfo=UTC))

        # Page 2 still says has_more, but it reached a video older than `since`.
        assert route.call_count == 2
        first, second = route.calls
        assert first.request.url.params["fields"] == LIST_FIELDS
        assert sent_json(first) == {"max_count": 20}
        assert sent_json(second) == {"max_count": 20, "cursor": 1794517205000}
        assert [post.external_id for post in posts] == [
            "7574123456789012481",
            "7573011122233344452",
            "7571999988877766653",
            "7569800011122233344",
        ]
        latest = posts[0]
        assert latest.kind == "video"
        assert latest.caption == "Latte art in 10s #ad #latteart @milkco"
        assert latest.published_at == datetime(2026, 11, 19, 18, 4, 11, tzinfo=UTC)
        assert latest.url == (
            "https://www.tiktok.com/@acme/video/7574123456789012481"
            "?utm_campaign=tt4d_open_api&utm_source=awbx37vxswqcvsf6"
        )
        assert latest.stats == PostStats(views=120533, likes=8120, comments=211, shares=95)
        # A title repeating the description is said once; no text at all is None.
        assert posts[1].caption == "Grinder test"
        assert posts[2].caption is None
        assert posts[3].caption == "Pour-over basics\n\nPour-over basics, part 1 #coffee"

    @respx.mock
    async def test_without_since_only_the_newest_page_is_read(self, adapter):
        route = respx.post(f"{API}/video/list/").mock(
            return_value=recorded("video_list_page_1.json")
        )

        posts = await adapter.list_posts(ACME, TOKEN, since=None)

        assert route.call_count == 1
        assert len(posts) == 3

    @respx.mock
    async def test_last_page_ends_the_listing(self, adapter):
        body = fixture_json("tiktok", "video_list_page_1.json")
        body["data"]["has_more"] = False
        route = respx.post(f"{API}/video/list/").mock(return_value=httpx.Response(200, json=body))

        posts = await adapter.list_posts(ACME, TOKEN, since=datetime(2020, 1, 1, tzinfo=UTC))

        assert route.call_count == 1
        assert len(posts) == 3


class TestFetchPostStats:
    @respx.mock
    async def test_full_batch_of_twenty_is_one_call(self, adapter):
        body = fixture_json("tiktok", "video_query_batch.json")
        ids = [video["id"] for video in body["data"]["videos"]]
        route = respx.post(f"{API}/video/query/").mock(
            return_value=recorded("video_query_batch.json")
        )

        stats = await adapter.fetch_post_stats(ids, TOKEN)

        assert route.call_count == 1
        request = route.calls.last.request
        # The same fields as the listing: details come with the counts, in the same call.
        assert request.url.params["fields"] == LIST_FIELDS
        assert sent_json(route.calls.last) == {"filters": {"video_ids": ids}}
        assert list(stats) == ids
        assert stats["7574123456789012481"] == PostStats(
            views=120533,
            likes=8120,
            comments=211,
            shares=95,
            details=PostDetails(
                url=(
                    "https://www.tiktok.com/@acme/video/7574123456789012481"
                    "?utm_campaign=tt4d_open_api&utm_source=awbx37vxswqcvsf6"
                ),
                kind="video",
                caption="Latte art in 10s #ad #latteart @milkco",
                published_at=datetime.fromtimestamp(1795111451, UTC),
            ),
        )
        last = body["data"]["videos"][-1]
        assert stats[ids[-1]].views == last["view_count"]
        assert all(
            (s.saves, s.reach, s.impressions, s.clicks, s.watch_time_seconds) == (None,) * 5
            for s in stats.values()
        )

    @respx.mock
    async def test_gone_videos_are_absent(self, adapter):
        respx.post(f"{API}/video/query/").mock(return_value=recorded("video_query_partial.json"))
        asked = ["7574123456789012481", "7570000000000000000", "7571999988877766653"]

        stats = await adapter.fetch_post_stats(asked, TOKEN)

        assert list(stats) == ["7574123456789012481", "7571999988877766653"]
        # A real zero stays zero; only unreported counts become None.
        quiet = stats["7571999988877766653"]
        assert counts(quiet) == PostStats(views=3120, likes=180, comments=0, shares=0)
        # Neither a title nor a description: no caption rather than an empty one.
        assert (quiet.details.caption, quiet.details.kind) == (None, "video")

    def test_quota_cost_is_one_per_call(self, adapter):
        assert [adapter.quota_cost(n, details=n) for n in (0, 1, 20)] == [0, 1, 1]

    async def test_more_than_twenty_ids_is_refused(self, adapter):
        with pytest.raises(ValueError, match="at most 20"):
            await adapter.fetch_post_stats([str(n) for n in range(21)], TOKEN)


class TestErrors:
    @respx.mock
    async def test_rate_limit_waits_one_sliding_window(self, adapter):
        respx.post(f"{API}/video/query/").mock(
            return_value=recorded("error_rate_limit_exceeded.json")
        )

        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["7574123456789012481"], TOKEN)

        assert caught.value.retry_after_s == 60.0

    @respx.mock
    async def test_invalid_token_is_auth_expired(self, adapter):
        respx.get(f"{API}/user/info/").mock(
            return_value=recorded("error_access_token_invalid.json")
        )

        with pytest.raises(AuthExpired, match="access_token_invalid"):
            await adapter.fetch_account(ACME, TOKEN)

    @respx.mock
    async def test_missing_scope_is_auth_expired(self, adapter):
        respx.get(f"{API}/user/info/").mock(
            return_value=recorded("error_scope_not_authorized.json")
        )

        with pytest.raises(AuthExpired, match="scope_not_authorized"):
            await adapter.fetch_account(ACME, TOKEN)

    @respx.mock
    async def test_internal_error_is_platform_unavailable(self, adapter):
        respx.post(f"{API}/video/list/").mock(return_value=recorded("error_internal_error.json"))

        with pytest.raises(PlatformUnavailable, match="internal_error"):
            await adapter.list_posts(ACME, TOKEN, since=None)

    @respx.mock
    async def test_bare_gateway_error_is_platform_unavailable(self, adapter):
        respx.post(f"{API}/video/list/").mock(
            return_value=httpx.Response(502, text="<html><body>502 Bad Gateway</body></html>")
        )

        with pytest.raises(PlatformUnavailable):
            await adapter.list_posts(ACME, TOKEN, since=None)

    @respx.mock
    async def test_invalid_params_is_a_plain_adapter_error(self, adapter):
        respx.post(f"{API}/video/query/").mock(return_value=recorded("error_invalid_params.json"))

        with pytest.raises(AdapterError, match="invalid_params") as caught:
            await adapter.fetch_post_stats(["7574123456789012481"], TOKEN)

        assert type(caught.value) is AdapterError

    @respx.mock
    async def test_timeout_is_platform_unavailable(self, adapter):
        respx.post(f"{API}/video/query/").mock(
            side_effect=httpx.ConnectTimeout("connect timed out")
        )

        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter.fetch_post_stats(["7574123456789012481"], TOKEN)

    @respx.mock
    async def test_truncated_body_is_malformed(self, adapter):
        respx.get(f"{API}/user/info/").mock(
            return_value=httpx.Response(
                200, text=fixture_text("tiktok", "user_info_truncated.json")
            )
        )

        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter.fetch_account(ACME, TOKEN)

    @respx.mock
    async def test_body_without_error_object_is_malformed(self, adapter):
        body = fixture_json("tiktok", "user_info.json")
        del body["error"]
        respx.get(f"{API}/user/info/").mock(return_value=httpx.Response(200, json=body))

        with pytest.raises(MalformedResponse, match="no error object"):
            await adapter.fetch_account(ACME, TOKEN)

    @respx.mock
    async def test_unexpected_shape_is_malformed_not_a_crash(self, adapter):
        body = fixture_json("tiktok", "video_list_page_1.json")
        body["data"]["videos"][1]["create_time"] = "yesterday"
        respx.post(f"{API}/video/list/").mock(return_value=httpx.Response(200, json=body))

        with pytest.raises(MalformedResponse, match="video list"):
            await adapter.list_posts(ACME, TOKEN, since=datetime(2026, 11, 1, tzinfo=UTC))

    @respx.mock
    async def test_user_without_user_object_is_malformed(self, adapter):
        body = {"data": {}, "error": {"code": "ok", "message": "", "log_id": "20261120153010AB"}}
        respx.get(f"{API}/user/info/").mock(return_value=httpx.Response(200, json=body))

        with pytest.raises(MalformedResponse, match="user info"):
            await adapter.fetch_account(ACME, TOKEN)
