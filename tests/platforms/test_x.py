"""X adapter against recorded API v2 responses, replayed at the real URLs."""

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
    InvalidInput,
    MalformedResponse,
    NotFound,
    Platform,
    PlatformAdapter,
    PlatformUnavailable,
    PostDetails,
    PostStats,
    RateLimited,
)
from shared.platforms.x import XAdapter, problem_slug
from tests.platforms.conftest import counts, fixture_json, fixture_text, replay

API = "https://api.x.com/2"
TOKEN = Credentials(access_token="AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI")
ACME = AccountRef(Platform.x, "acme", "2244994945")
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def recorded(name: str) -> httpx.Response:
    return replay("x", name)


@pytest.fixture
def adapter(http, settings) -> XAdapter:
    return XAdapter(http, settings, clock=lambda: NOW)


class TestFetchAccount:
    def test_is_registered_as_a_platform_adapter(self, http, settings):
        adapter = get_adapter("x", http, settings)
        assert isinstance(adapter, PlatformAdapter)
        assert (adapter.platform, adapter.max_batch) == (Platform.x, 100)

    @respx.mock
    async def test_public_metrics_by_user_id(self, adapter):
        route = respx.get(f"{API}/users/2244994945").mock(return_value=recorded("user.json"))

        stats = await adapter.fetch_account(ACME, TOKEN)

        assert stats.external_id == "2244994945"
        assert stats.handle == "acme"
        assert stats.display_name == "Acme"
        assert stats.followers == 583423
        assert stats.following == 2048
        assert stats.posts_count == 14052
        request = route.calls.last.request
        assert request.headers["authorization"] == f"Bearer {TOKEN.access_token}"
        assert request.url.params["user.fields"] == "public_metrics,created_at,verified"

    @respx.mock
    async def test_handle_only_account_is_looked_up_by_username(self, adapter):
        route = respx.get(f"{API}/users/by/username/acme").mock(return_value=recorded("user.json"))

        stats = await adapter.fetch_account(AccountRef(Platform.x, "@acme"), TOKEN)

        assert route.called
        assert stats.external_id == "2244994945"

    @pytest.mark.parametrize("handle", ["acme\nevil", "acme/../../tweets", "a" * 16, ""])
    async def test_handle_that_cannot_be_a_username_is_invalid_input(self, adapter, handle):
        with respx.mock(assert_all_called=False) as mock:
            with pytest.raises(InvalidInput, match="cannot be an X username"):
                await adapter.fetch_account(AccountRef(Platform.x, handle), TOKEN)
            assert not mock.calls

    @respx.mock
    async def test_stored_user_id_is_escaped_into_one_path_segment(self, adapter):
        route = respx.get(url__startswith=f"{API}/users/").mock(return_value=recorded("user.json"))

        await adapter.fetch_account(AccountRef(Platform.x, "acme", "22449/94945"), TOKEN)

        assert route.calls.last.request.url.raw_path.startswith(b"/2/users/22449%2F94945?")

    @respx.mock
    async def test_unknown_user_is_not_found(self, adapter):
        respx.get(f"{API}/users/by/username/nobody_here_42").mock(
            return_value=recorded("user_not_found.json")
        )

        with pytest.raises(NotFound, match="Could not find user"):
            await adapter.fetch_account(AccountRef(Platform.x, "nobody_here_42"), TOKEN)

    @respx.mock
    async def test_missing_token_is_auth_expired_before_any_call(self, adapter):
        route = respx.get(f"{API}/users/2244994945")

        with pytest.raises(AuthExpired, match="Bearer token"):
            await adapter.fetch_account(ACME, None)

        assert not route.called


class TestListPosts:
    @respx.mock
    async def test_two_pages_follow_next_token_from_since(self, adapter):
        route = respx.get(f"{API}/users/2244994945/tweets").mock(
            side_effect=[recorded("timeline_page_1.json"), recorded("timeline_page_2.json")]
        )

        posts = await adapter.list_posts(
            ACME, TOKEN, since=datetime(2026, 11, 1, 6, 30, 15, 500_000, tzinfo=UTC)
        )

        assert route.call_count == 2
        first, second = (call.request.url.params for call in route.calls)
        assert first["max_results"] == "100"
        assert first["tweet.fields"] == "created_at,public_metrics"
        assert first["exclude"] == "retweets,replies"
        assert first["start_time"] == "2026-11-01T06:30:15Z"
        assert "pagination_token" not in first
        assert second["pagination_token"] == "7140dibdnow9c7btw3w3itbygz8uu5pbs45oy6erjc2ls"
        assert second["start_time"] == "2026-11-01T06:30:15Z"
        assert [post.external_id for post in posts] == [
            "1991234567890123456",
            "1990112233445566778",
            "1988800011122233344",
        ]
        latest = posts[0]
        assert latest.kind == "tweet"
        assert latest.url == "https://x.com/acme/status/1991234567890123456"
        assert (
            latest.caption
            == "Latte art in 10 seconds. #ad #latteart @milkco https://t.co/AbC123xYz"
        )
        assert latest.published_at == datetime(2026, 11, 19, 18, 7, 7, tzinfo=UTC)
        assert latest.stats == PostStats(
            views=None, impressions=5432, likes=37, comments=2, shares=11, saves=4
        )

    @respx.mock
    async def test_without_since_only_the_newest_page_is_read(self, adapter):
        route = respx.get(f"{API}/users/2244994945/tweets").mock(
            return_value=recorded("timeline_page_1.json")
        )

        posts = await adapter.list_posts(ACME, TOKEN, since=None)

        assert route.call_count == 1
        assert "start_time" not in route.calls.last.request.url.params
        assert len(posts) == 2

    @respx.mock
    async def test_paging_stops_at_the_800_posts_a_timeline_without_replies_reaches(self, adapter):
        route = respx.get(f"{API}/users/2244994945/tweets").mock(
            return_value=recorded("timeline_page_1.json")
        )

        await adapter.list_posts(ACME, TOKEN, since=datetime(2020, 1, 1, tzinfo=UTC))

        assert route.call_count == 8  # 8 pages of 100, however long next_token keeps coming

    @respx.mock
    async def test_handle_only_account_resolves_its_id_first(self, adapter):
        respx.get(f"{API}/users/by/username/acme").mock(return_value=recorded("user.json"))
        timeline = respx.get(f"{API}/users/2244994945/tweets").mock(
            return_value=recorded("timeline_page_2.json")
        )

        posts = await adapter.list_posts(AccountRef(Platform.x, "acme"), TOKEN, since=None)

        assert timeline.called
        assert posts[0].url == "https://x.com/acme/status/1988800011122233344"

    @respx.mock
    async def test_unknown_user_id_is_not_found(self, adapter):
        body = fixture_json("x", "user_not_found.json")
        body["errors"][0]["type"] = "https://api.twitter.com/2/problems/resource-not-found"
        respx.get(f"{API}/users/2244994945/tweets").mock(
            return_value=httpx.Response(200, json=body)
        )

        with pytest.raises(NotFound):
            await adapter.list_posts(ACME, TOKEN, since=None)

    @respx.mock
    async def test_account_without_posts_has_none(self, adapter):
        body = {"meta": {"result_count": 0}}
        respx.get(f"{API}/users/2244994945/tweets").mock(
            return_value=httpx.Response(200, json=body)
        )

        assert await adapter.list_posts(ACME, TOKEN, since=NOW) == []


class TestFetchPostStats:
    @respx.mock
    async def test_full_batch_of_a_hundred_is_one_call(self, adapter):
        body = fixture_json("x", "tweets_batch.json")
        ids = [post["id"] for post in body["data"]]
        route = respx.get(f"{API}/tweets").mock(return_value=recorded("tweets_batch.json"))

        stats = await adapter.fetch_post_stats(ids, TOKEN, details_for=ids[:1])

        assert route.call_count == 1
        params = route.calls.last.request.url.params
        assert params["ids"] == ",".join(ids)
        assert params["tweet.fields"] == "public_metrics,created_at,text"
        # One post still needs its URL, so the authors come along.
        assert (params["expansions"], params["user.fields"]) == ("author_id", "username")
        assert list(stats) == ids
        assert stats["1991234567890123456"] == PostStats(
            impressions=5432,
            likes=37,
            comments=2,
            shares=11,
            saves=4,
            details=PostDetails(
                url="https://x.com/acme/status/1991234567890123456",
                kind="tweet",
                caption="Latte art in 10 seconds. #ad #latteart @milkco https://t.co/AbC123xYz",
                published_at=datetime(2026, 11, 19, 18, 7, 7, tzinfo=UTC),
            ),
        )
        last = body["data"][-1]["public_metrics"]
        assert stats[ids[-1]].impressions == last["impression_count"]
        assert all(s.views is None and s.reach is None for s in stats.values())

    @respx.mock
    async def test_deleted_and_protected_posts_are_absent(self, adapter):
        respx.get(f"{API}/tweets").mock(return_value=recorded("tweets_partial.json"))
        asked = ["1991234567890123456", "456", "1234", "1987000000000000001"]

        stats = await adapter.fetch_post_stats(asked, TOKEN, details_for=asked)

        assert list(stats) == ["1991234567890123456", "1234"]
        # quote_count is optional: shares are the retweets alone when it is missing.
        assert counts(stats["1234"]) == PostStats(
            impressions=210, likes=3, comments=1, shares=0, saves=0
        )
        # Each post's URL is its own author's, from includes.users.
        assert stats["1234"].details.url == "https://x.com/X/status/1234"

    @respx.mock
    async def test_authors_are_not_read_when_every_posts_details_are_known(self, adapter):
        # Each expanded author is billed as a user read; without it a post still gets a link.
        body = fixture_json("x", "tweets_partial.json")
        del body["includes"]
        route = respx.get(f"{API}/tweets").mock(return_value=httpx.Response(200, json=body))

        stats = await adapter.fetch_post_stats(["1234"], TOKEN)

        assert "expansions" not in route.calls.last.request.url.params
        assert stats["1234"].details.url == "https://x.com/i/web/status/1234"
        assert stats["1234"].details.published_at == datetime(2026, 10, 2, 10, tzinfo=UTC)

    def test_quota_cost_is_one_per_call(self, adapter):
        assert [adapter.quota_cost(n, details=n) for n in (0, 1, 100)] == [0, 1, 1]

    @respx.mock
    async def test_only_errors_means_all_gone(self, adapter):
        respx.get(f"{API}/tweets").mock(return_value=recorded("tweets_all_gone.json"))

        assert await adapter.fetch_post_stats(["456", "789"], TOKEN) == {}

    async def test_more_than_a_hundred_ids_is_refused(self, adapter):
        with pytest.raises(ValueError, match="at most 100"):
            await adapter.fetch_post_stats([str(n) for n in range(101)], TOKEN)


class TestErrors:
    @respx.mock
    async def test_throttle_waits_until_the_reset_header(self, adapter):
        respx.get(f"{API}/tweets").mock(return_value=recorded("error_rate_limited.json"))

        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

        # x-rate-limit-reset is 15:42:30 UTC; the clock says 15:30:00.
        assert caught.value.retry_after_s == 750.0

    @respx.mock
    async def test_throttle_without_headers_waits_a_whole_window(self, adapter):
        body = fixture_json("x", "error_rate_limited.json")["body"]
        respx.get(f"{API}/tweets").mock(return_value=httpx.Response(429, json=body))

        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

        assert caught.value.retry_after_s == 900.0

    @respx.mock
    async def test_daily_usage_cap_waits_until_midnight_utc(self, adapter):
        respx.get(f"{API}/tweets").mock(return_value=recorded("error_usage_capped_daily.json"))

        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

        assert caught.value.retry_after_s == 8.5 * 3600

    @respx.mock
    async def test_monthly_usage_cap_is_checked_again_daily(self, adapter):
        respx.get(f"{API}/tweets").mock(return_value=recorded("error_usage_capped_monthly.json"))

        with pytest.raises(RateLimited, match="UsageCapExceeded") as caught:
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

        assert caught.value.retry_after_s == 86_400.0

    @respx.mock
    async def test_expired_token_is_auth_expired(self, adapter):
        respx.get(f"{API}/users/2244994945").mock(return_value=recorded("error_unauthorized.json"))

        with pytest.raises(AuthExpired, match="Unauthorized"):
            await adapter.fetch_account(ACME, TOKEN)

    @respx.mock
    async def test_server_error_is_platform_unavailable(self, adapter):
        respx.get(f"{API}/tweets").mock(return_value=recorded("error_service_unavailable.json"))

        with pytest.raises(PlatformUnavailable):
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

    @respx.mock
    async def test_timeout_is_platform_unavailable(self, adapter):
        respx.get(f"{API}/tweets").mock(side_effect=httpx.ReadTimeout("read timed out"))

        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

    @respx.mock
    async def test_other_client_errors_are_plain_adapter_errors(self, adapter):
        problem = {
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }
        respx.get(f"{API}/tweets").mock(return_value=httpx.Response(400, json=problem))

        with pytest.raises(AdapterError, match="Invalid Request") as caught:
            await adapter.fetch_post_stats(["not-an-id"], TOKEN)

        assert type(caught.value) is AdapterError

    @respx.mock
    async def test_truncated_body_is_malformed(self, adapter):
        respx.get(f"{API}/tweets").mock(
            return_value=httpx.Response(200, text=fixture_text("x", "tweets_truncated.json"))
        )

        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter.fetch_post_stats(["1991234567890123456"], TOKEN)

    @respx.mock
    async def test_post_without_public_metrics_is_malformed(self, adapter):
        body = fixture_json("x", "tweets_partial.json")
        del body["data"][0]["public_metrics"]
        respx.get(f"{API}/tweets").mock(return_value=httpx.Response(200, json=body))

        with pytest.raises(MalformedResponse, match="posts"):
            await adapter.fetch_post_stats(["1991234567890123456", "1234"], TOKEN)


class TestProblemTypes:
    @pytest.mark.parametrize(
        ("uri", "slug"),
        [
            ("https://api.twitter.com/2/problems/resource-not-found", "resource-not-found"),
            ("https://api.x.com/2/problems/usage-capped", "usage-capped"),
            ("about:blank", None),
            ("https://example.com/2/problems/usage-capped", None),
        ],
    )
    def test_both_hosts_name_a_problem(self, uri, slug):
        assert problem_slug({"type": uri}) == slug
