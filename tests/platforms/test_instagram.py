import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from shared.platforms import get_adapter
from shared.platforms.base import (
    AccountRef,
    AuthExpired,
    Credentials,
    MalformedResponse,
    NotFound,
    Platform,
    PlatformAdapter,
    PlatformUnavailable,
    PostDetails,
    PostRefused,
    PostStats,
    RateLimited,
)
from shared.platforms.instagram import InstagramAdapter
from tests.platforms.conftest import counts, fixture_json, fixture_text, replay

pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)

BASE = "https://graph.facebook.com/v25.0"
BATCH_URL = f"{BASE}/"
USER_ID = "17841405822304914"
ACCOUNT = AccountRef(Platform.instagram, "acme.coffee", USER_ID)
CREDS = Credentials(access_token="test-token")
REEL, FEED, STORY, GONE = (
    "17900000000000001",
    "17900000000000003",
    "17900000000000004",
    "17900000000000009",
)
FEED_METRICS = "views,reach,likes,comments,shares,saved,total_interactions"
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)
REEL_DETAILS = PostDetails(
    url="https://www.instagram.com/reel/C8xYzAbCdEf/",
    kind="reel",
    caption="New roast is live",
    published_at=datetime(2026, 6, 20, 8, 25, 28, tzinfo=UTC),
)


@pytest.fixture
def adapter(http, settings) -> InstagramAdapter:
    return InstagramAdapter(http, settings)


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture_json("instagram", name))


def recorded(name: str) -> httpx.Response:
    return replay("instagram", name)


def batch_form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def relative_urls(request: httpx.Request) -> list[str]:
    batch = json.loads(batch_form(request)["batch"])
    assert all(item["method"] == "GET" for item in batch)
    return [item["relative_url"] for item in batch]


class TestAdapter:
    def test_is_a_platform_adapter(self, http, settings):
        adapter = get_adapter("instagram", http, settings)
        assert isinstance(adapter, InstagramAdapter)
        assert isinstance(adapter, PlatformAdapter)
        assert adapter.max_batch == 50


class TestFetchAccount:
    async def test_account_stats(self, adapter, respx_mock):
        route = respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=ok("account.json"))
        stats = await adapter.fetch_account(ACCOUNT, CREDS)
        assert stats.external_id == USER_ID
        assert stats.handle == "acme.coffee"
        assert stats.display_name == "Acme Coffee"
        assert (stats.followers, stats.following, stats.posts_count) == (64363, 512, 427)
        params = route.calls.last.request.url.params
        assert params["fields"] == "id,username,name,followers_count,follows_count,media_count"
        assert params["access_token"] == "test-token"

    async def test_stored_user_id_is_one_path_segment(self, adapter, respx_mock):
        route = respx_mock.get(url__startswith=BASE).mock(return_value=ok("account.json"))
        await adapter.fetch_account(AccountRef(Platform.instagram, "acme", "1784/../me"), CREDS)
        assert route.calls.last.request.url.raw_path.startswith(b"/v25.0/1784%2F..%2Fme?")

    async def test_missing_ig_user_id_is_not_found(self, adapter):
        with pytest.raises(NotFound, match="IG user id"):
            await adapter.fetch_account(AccountRef(Platform.instagram, "acme.coffee"), CREDS)

    async def test_no_credentials_is_auth_expired(self, adapter):
        with pytest.raises(AuthExpired, match="access token"):
            await adapter.fetch_account(ACCOUNT, None)

    async def test_unknown_user_is_not_found(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=recorded("unknown_user.json"))
        with pytest.raises(NotFound, match="does not exist"):
            await adapter.fetch_account(ACCOUNT, CREDS)

    async def test_expired_token(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=recorded("expired_token.json"))
        with pytest.raises(AuthExpired, match="190/463"):
            await adapter.fetch_account(ACCOUNT, CREDS)

    async def test_throttled_waits_the_longest_regain_estimate(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=recorded("throttled.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_account(ACCOUNT, CREDS)
        assert caught.value.retry_after_s == 7 * 60  # max(7, 3) minutes from the BUC header

    async def test_app_throttle_on_403_without_estimate(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=recorded("throttled_app.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_account(ACCOUNT, CREDS)
        assert caught.value.retry_after_s == 300

    async def test_server_error(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=recorded("server_error.json"))
        with pytest.raises(PlatformUnavailable, match="HTTP 500"):
            await adapter.fetch_account(ACCOUNT, CREDS)

    async def test_timeout(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter.fetch_account(ACCOUNT, CREDS)

    async def test_account_without_id_is_malformed(self, adapter, respx_mock):
        body = {"username": "acme.coffee", "followers_count": 64363}
        respx_mock.get(f"{BASE}/{USER_ID}").mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(MalformedResponse, match="IG user"):
            await adapter.fetch_account(ACCOUNT, CREDS)


class TestListPosts:
    async def test_two_pages_until_since(self, adapter, respx_mock):
        url = f"{BASE}/{USER_ID}/media"
        second = respx_mock.get(url, params={"after": "QVFIUkZAzV3FwN2xz"}).mock(
            return_value=ok("media_page2.json")
        )
        first = respx_mock.get(url).mock(return_value=ok("media_page1.json"))
        since = datetime(2026, 6, 1, tzinfo=UTC)

        posts = await adapter.list_posts(ACCOUNT, CREDS, since=since)

        assert [(p.external_id, p.kind) for p in posts] == [
            (REEL, "reel"),
            (FEED, "post"),
            ("17900000000000005", "video"),
            ("17900000000000002", "post"),
        ]
        reel = posts[0]
        assert reel.url == "https://www.instagram.com/reel/C8xYzAbCdEf/"
        assert reel.caption == "New roast is live"
        assert reel.published_at == datetime(2026, 6, 20, 8, 25, 28, tzinfo=UTC)
        assert reel.stats == PostStats(likes=702, comments=41)
        # Page two ends before `since`, so its `next` link is not followed (no third request).
        assert first.call_count == 1 and second.call_count == 1
        params = second.calls.last.request.url.params
        assert params["access_token"] == "test-token"  # ours, not the one embedded in `next`
        assert params["limit"] == "25"
        assert "media_product_type" in params["fields"]

    async def test_truncated_body_is_malformed(self, adapter, respx_mock):
        text = fixture_text("instagram", "media_truncated.txt")
        respx_mock.get(f"{BASE}/{USER_ID}/media").mock(return_value=httpx.Response(200, text=text))
        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter.list_posts(ACCOUNT, CREDS, since=None)


class TestFetchPostStats:
    async def test_full_batch_per_media_type(self, adapter, respx_mock):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("stats_fields_batch.json"), ok("stats_insights_batch.json")]
        )
        stats = await adapter.fetch_post_stats([REEL, FEED, STORY], CREDS)

        assert stats == {
            REEL: PostStats(
                views=18540,
                reach=12110,
                likes=702,  # live like_count, not the lagging insights value (700)
                comments=41,
                shares=57,
                saves=95,
                watch_time_seconds=65073.5,  # 65,073,500 ms
                details=REEL_DETAILS,
            ),
            FEED: PostStats(
                views=9021,
                reach=6544,
                likes=1288,
                comments=64,
                shares=18,
                saves=140,
                details=PostDetails(
                    url="https://www.instagram.com/p/C8tQwErTyUi/",
                    kind="post",
                    caption="Latte art Tuesday #acme",
                    published_at=datetime(2026, 6, 18, 17, 2, 11, tzinfo=UTC),
                ),
            ),
            STORY: PostStats(
                views=2310,
                reach=2004,
                comments=14,
                shares=6,
                details=PostDetails(
                    url="https://www.instagram.com/stories/acme.coffee/3391234567890123456/",
                    kind="story",
                    caption="Roasting day",
                    published_at=datetime(2026, 6, 21, 6, tzinfo=UTC),
                ),
            ),
        }
        assert route.call_count == 2

    async def test_batch_form_body(self, adapter, respx_mock):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("stats_fields_batch.json"), ok("stats_insights_batch.json")]
        )
        await adapter.fetch_post_stats([REEL, FEED, STORY], CREDS)

        first, second = (call.request for call in route.calls)
        form = batch_form(first)
        assert form["access_token"] == "test-token"
        assert form["include_headers"] == "false"
        assert "access_token" not in first.url.params
        # Round one reads the listing's fields: the type, the live counts and the details.
        assert relative_urls(first) == [f"{i}?fields={MEDIA_FIELDS}" for i in (REEL, FEED, STORY)]
        assert relative_urls(second) == [
            f"{REEL}/insights?metric={FEED_METRICS},ig_reels_video_view_total_time",
            f"{FEED}/insights?metric={FEED_METRICS}",
            f"{STORY}/insights?metric=views,reach,replies,shares,total_interactions",
        ]

    async def test_partial_batch(self, adapter, respx_mock):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("partial_fields_batch.json"), ok("partial_insights_batch.json")]
        )
        stats = await adapter.fetch_post_stats([REEL, GONE, STORY, FEED], CREDS)

        assert list(stats) == [REEL, STORY, FEED]  # the deleted media is simply absent
        assert stats[REEL].views == 18540
        # "(#10) Not enough viewers": no counts to report, but the story's details still stand.
        assert counts(stats[STORY]) == PostStats()
        assert stats[STORY].details.kind == "story"
        assert GONE not in "".join(relative_urls(route.calls.last.request))

    async def test_empty_insights_are_none_not_zero(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("partial_fields_batch.json"), ok("partial_insights_batch.json")]
        )
        stats = await adapter.fetch_post_stats([REEL, GONE, STORY, FEED], CREDS)
        # `{"data": []}`: insights not there yet; the live field counts still stand.
        assert counts(stats[FEED]) == PostStats(likes=1288, comments=64)

    async def test_item_refused_for_a_reason_of_its_own_does_not_fail_the_batch(
        self, adapter, respx_mock
    ):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("fields_batch_item_refused.json"), ok("insights_reel_only_batch.json")]
        )
        stats = await adapter.fetch_post_stats([REEL, FEED], CREDS)

        assert stats[REEL].views == 18540 and stats[REEL].details == REEL_DETAILS
        assert stats[FEED] == PostRefused(
            "instagram: Graph error 10/None: (#10) Application does not have permission for "
            "this action"
        )
        # The refused media is not asked for insights.
        assert relative_urls(route.calls.last.request) == [
            f"{REEL}/insights?metric={FEED_METRICS},ig_reels_video_view_total_time"
        ]

    async def test_sub_request_throttle_fails_the_whole_call(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("batch_item_throttled.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats([REEL, FEED], CREDS)
        assert caught.value.retry_after_s == 12 * 60

    async def test_sub_request_expired_token(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=ok("batch_item_expired.json"))
        with pytest.raises(AuthExpired):
            await adapter.fetch_post_stats([REEL, FEED], CREDS)

    async def test_batch_with_expired_token(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("expired_token.json"))
        with pytest.raises(AuthExpired, match="Session has expired"):
            await adapter.fetch_post_stats([REEL], CREDS)

    async def test_unfinished_sub_request_is_unavailable_not_gone(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=ok("batch_item_null.json"))
        with pytest.raises(PlatformUnavailable, match="did not finish"):
            await adapter.fetch_post_stats([REEL, FEED], CREDS)

    async def test_sub_response_not_json_is_malformed(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=ok("batch_item_not_json.json"))
        with pytest.raises(MalformedResponse, match="sub-response"):
            await adapter.fetch_post_stats([REEL, FEED], CREDS)

    async def test_answer_count_mismatch_is_malformed(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=ok("stats_fields_batch.json"))
        with pytest.raises(MalformedResponse, match="list of 2"):
            await adapter.fetch_post_stats([REEL, FEED], CREDS)

    async def test_server_error(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("server_error.json"))
        with pytest.raises(PlatformUnavailable):
            await adapter.fetch_post_stats([REEL], CREDS)

    async def test_more_than_max_batch_is_refused(self, adapter):
        ids = [f"179000000000{n:05d}" for n in range(51)]
        with pytest.raises(ValueError, match="at most 50"):
            await adapter.fetch_post_stats(ids, CREDS)

    async def test_no_ids_no_call(self, adapter):
        assert await adapter.fetch_post_stats([], CREDS) == {}
