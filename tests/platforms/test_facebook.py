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
from shared.platforms.facebook import FacebookAdapter
from tests.platforms.conftest import counts, fixture_json, fixture_text, replay

pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)

BASE = "https://graph.facebook.com/v25.0"
BATCH_URL = f"{BASE}/"
PAGE_ID = "20531316728"
PAGE = AccountRef(Platform.facebook, "acme", PAGE_ID)
CREDS = Credentials(access_token="page-token")
P1, P2, P3 = (
    f"{PAGE_ID}_10158347294088553",
    f"{PAGE_ID}_10158340011223344",
    f"{PAGE_ID}_10158331234567890",
)
GONE = f"{PAGE_ID}_10158299999999999"
COUNT_FIELDS = (
    "shares,reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count)"
)
POST_FIELDS = f"id,created_time,message,permalink_url,status_type,{COUNT_FIELDS}"
P1_DETAILS = PostDetails(
    url=f"https://www.facebook.com/{PAGE_ID}/posts/10158347294088553",
    kind="post",
    caption="Summer menu is here",
    published_at=datetime(2026, 6, 8, 15, 30, 19, tzinfo=UTC),
)


@pytest.fixture
def adapter(http, settings) -> FacebookAdapter:
    return FacebookAdapter(http, settings)


def ok(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture_json("facebook", name))


def recorded(name: str) -> httpx.Response:
    return replay("facebook", name)


def batch_form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def relative_urls(request: httpx.Request) -> list[str]:
    batch = json.loads(batch_form(request)["batch"])
    assert all(item["method"] == "GET" for item in batch)
    return [item["relative_url"] for item in batch]


class TestAdapter:
    def test_is_a_platform_adapter(self, http, settings):
        adapter = get_adapter("facebook", http, settings)
        assert isinstance(adapter, FacebookAdapter)
        assert isinstance(adapter, PlatformAdapter)
        assert adapter.max_batch == 50


class TestFetchAccount:
    async def test_page_stats(self, adapter, respx_mock):
        route = respx_mock.get(f"{BASE}/{PAGE_ID}").mock(return_value=ok("page.json"))
        stats = await adapter.fetch_account(PAGE, CREDS)
        assert stats.external_id == PAGE_ID
        assert stats.display_name == "Acme"
        assert stats.followers == 215000311  # followers_count, never fan_count (Page likes)
        assert (stats.handle, stats.following, stats.posts_count) == (None, None, None)
        params = route.calls.last.request.url.params
        assert params["fields"] == "id,name,followers_count,fan_count"
        assert params["access_token"] == "page-token"

    async def test_missing_page_id_is_not_found(self, adapter):
        with pytest.raises(NotFound, match="Page id"):
            await adapter.fetch_account(AccountRef(Platform.facebook, "acme"), CREDS)

    async def test_no_credentials_is_auth_expired(self, adapter):
        with pytest.raises(AuthExpired, match="access token"):
            await adapter.fetch_account(PAGE, Credentials())

    async def test_expired_token(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{PAGE_ID}").mock(return_value=recorded("expired_token.json"))
        with pytest.raises(AuthExpired, match="190/463"):
            await adapter.fetch_account(PAGE, CREDS)

    async def test_throttled_reads_regain_time_from_header(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{PAGE_ID}").mock(return_value=recorded("throttled.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_account(PAGE, CREDS)
        assert caught.value.retry_after_s == 12 * 60

    async def test_bad_gateway_html(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{PAGE_ID}").mock(return_value=recorded("bad_gateway.json"))
        with pytest.raises(PlatformUnavailable, match="HTTP 502"):
            await adapter.fetch_account(PAGE, CREDS)

    async def test_timeout(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{PAGE_ID}").mock(side_effect=httpx.ConnectTimeout("slow"))
        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter.fetch_account(PAGE, CREDS)

    async def test_truncated_body_is_malformed(self, adapter, respx_mock):
        text = fixture_text("facebook", "page_truncated.txt")
        respx_mock.get(f"{BASE}/{PAGE_ID}").mock(return_value=httpx.Response(200, text=text))
        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter.fetch_account(PAGE, CREDS)


class TestListPosts:
    async def test_two_pages_until_since(self, adapter, respx_mock):
        url = f"{BASE}/{PAGE_ID}/posts"
        second = respx_mock.get(url, params={"until": "1780642484"}).mock(
            return_value=ok("posts_page2.json")
        )
        first = respx_mock.get(url).mock(return_value=ok("posts_page1.json"))
        since = datetime(2026, 6, 1, tzinfo=UTC)

        posts = await adapter.list_posts(PAGE, CREDS, since=since)

        assert [(p.external_id, p.kind) for p in posts] == [
            (P1, "post"),
            (P2, "video"),
            (P3, "post"),
        ]
        assert posts[0].url == f"https://www.facebook.com/{PAGE_ID}/posts/10158347294088553"
        assert posts[0].caption == "Summer menu is here"
        assert posts[0].published_at == datetime(2026, 6, 8, 15, 30, 19, tzinfo=UTC)
        assert posts[0].stats == PostStats(likes=340, comments=27, shares=12)
        assert posts[1].stats == PostStats(likes=95, comments=4, shares=None)  # no `shares` key
        assert first.call_count == 1 and second.call_count == 1
        # The feed pages by time: the `next` link's paging token is followed, with our token.
        params = second.calls.last.request.url.params
        assert params["__paging_token"] == "enc_AdBZ7nextTokEn"
        assert params["access_token"] == "page-token"

    async def test_data_not_a_list_is_malformed(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{PAGE_ID}/posts").mock(return_value=ok("posts_not_a_list.json"))
        with pytest.raises(MalformedResponse, match="post list"):
            await adapter.list_posts(PAGE, CREDS, since=None)


class TestFetchPostStats:
    async def test_full_batch(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("stats_fields_batch.json"), ok("stats_insights_batch.json")]
        )
        stats = await adapter.fetch_post_stats([P1, P2, P3], CREDS)
        assert stats[P1] == PostStats(
            views=3350,
            reach=2100,
            likes=340,
            comments=27,
            shares=12,
            clicks=88,
            details=P1_DETAILS,
        )
        p2, p3 = stats[P2], stats[P3]
        assert counts(p2) == PostStats(
            views=2950, reach=1400, likes=95, comments=4, shares=None, clicks=31
        )
        assert counts(p3) == PostStats(
            views=702, reach=610, likes=51, comments=9, shares=3, clicks=5
        )
        assert (p2.details.kind, p2.details.caption) == ("video", "Watch: cold brew in 60 seconds")
        assert p3.details.published_at == datetime(2026, 6, 2, 7, 45, 10, tzinfo=UTC)

    async def test_batch_form_body(self, adapter, respx_mock):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("stats_fields_batch.json"), ok("stats_insights_batch.json")]
        )
        await adapter.fetch_post_stats([P1, P2, P3], CREDS)

        first, second = (call.request for call in route.calls)
        assert batch_form(first)["access_token"] == "page-token"
        assert batch_form(first)["include_headers"] == "false"
        # Round one reads the listing's fields: the counts and the details.
        assert relative_urls(first) == [f"{p}?fields={POST_FIELDS}" for p in (P1, P2, P3)]
        metrics = "post_total_media_view_unique,post_media_view,post_clicks"
        assert relative_urls(second) == [f"{p}/insights?metric={metrics}" for p in (P1, P2, P3)]

    async def test_partial_batch(self, adapter, respx_mock):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("partial_fields_batch.json"), ok("partial_insights_batch.json")]
        )
        stats = await adapter.fetch_post_stats([P1, GONE, P2], CREDS)
        assert list(stats) == [P1, P2]
        assert stats[P1].reach == 2100
        assert [u.split("/")[0] for u in relative_urls(route.calls.last.request)] == [P1, P2]

    async def test_empty_insights_are_none_not_zero(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("partial_fields_batch.json"), ok("partial_insights_batch.json")]
        )
        stats = await adapter.fetch_post_stats([P1, GONE, P2], CREDS)
        assert counts(stats[P2]) == PostStats(likes=95, comments=4)

    async def test_insights_refused_for_a_reason_of_its_own_refuse_that_post_only(
        self, adapter, respx_mock
    ):
        respx_mock.post(BATCH_URL).mock(
            side_effect=[ok("stats_fields_batch.json"), ok("insights_item_refused_batch.json")]
        )
        stats = await adapter.fetch_post_stats([P1, P2, P3], CREDS)

        assert stats[P2] == PostRefused(
            "facebook: Graph error 368/None: (#368) The action attempted has been deemed abusive "
            "or is otherwise disallowed"
        )
        assert stats[P1].reach == 2100 and stats[P3].reach == 610

    async def test_rejected_view_metric_falls_back_for_those_posts(self, adapter, respx_mock):
        route = respx_mock.post(BATCH_URL).mock(
            side_effect=[
                ok("partial_fields_batch.json"),
                ok("insights_invalid_metric_batch.json"),
                ok("insights_fallback_batch.json"),
            ]
        )
        stats = await adapter.fetch_post_stats([P1, GONE, P2], CREDS)

        assert stats[P1] == PostStats(
            reach=2100, likes=340, comments=27, shares=12, clicks=88, details=P1_DETAILS
        )
        assert stats[P2].views == 2950
        assert relative_urls(route.calls.last.request) == [
            f"{P1}/insights?metric=post_total_media_view_unique,post_clicks"
        ]

    async def test_sub_request_throttle_fails_the_whole_call(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("batch_item_throttled.json"))
        with pytest.raises(RateLimited, match="Page request limit") as caught:
            await adapter.fetch_post_stats([P1, P2], CREDS)
        assert caught.value.retry_after_s == 300  # X-App-Usage gives no time estimate

    async def test_batch_throttled(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("throttled.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats([P1], CREDS)
        assert caught.value.retry_after_s == 720

    async def test_batch_with_expired_token(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("expired_token.json"))
        with pytest.raises(AuthExpired):
            await adapter.fetch_post_stats([P1], CREDS)

    async def test_batch_timeout(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter.fetch_post_stats([P1], CREDS)

    async def test_bad_gateway(self, adapter, respx_mock):
        respx_mock.post(BATCH_URL).mock(return_value=recorded("bad_gateway.json"))
        with pytest.raises(PlatformUnavailable, match="HTTP 502"):
            await adapter.fetch_post_stats([P1], CREDS)

    async def test_more_than_max_batch_is_refused(self, adapter):
        ids = [f"{PAGE_ID}_{n}" for n in range(51)]
        with pytest.raises(ValueError, match="at most 50"):
            await adapter.fetch_post_stats(ids, CREDS)

    async def test_no_credentials_is_auth_expired(self, adapter):
        with pytest.raises(AuthExpired):
            await adapter.fetch_post_stats([P1], None)
