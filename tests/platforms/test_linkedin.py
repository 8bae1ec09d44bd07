import copy
from datetime import UTC, datetime

import httpx
import pytest

from shared.platforms import get_adapter
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    MalformedResponse,
    NotFound,
    Platform,
    PlatformAdapter,
    PlatformUnavailable,
    PostDetails,
    PostInfo,
    PostRefused,
    PostStats,
    RateLimited,
)
from shared.platforms.linkedin import LinkedInAdapter
from tests.platforms.conftest import counts, fixture_json, fixture_text

BASE = "https://api.linkedin.com/rest"
ORG = "urn:li:organization:2414183"
ORG_ENCODED = "urn%3Ali%3Aorganization%3A2414183"
TOKEN = "AQXdSP_W41_1K7dGZ3kE5j2bG8vVg"
CREDS = Credentials(access_token=TOKEN, extra={"organization_urn": ORG})
ACCOUNT = AccountRef(Platform.linkedin, "acme-coffee", external_id="2414183")
NOW = datetime(2026, 7, 1, 18, 30, tzinfo=UTC)

SHARE_1 = "urn:li:share:7212345678901234567"
SHARE_2 = "urn:li:share:7212345678899234561"
UGC_POST = "urn:li:ugcPost:7212345678900234564"
NETWORK_SIZE_URL = f"{BASE}/networkSizes/{ORG_ENCODED}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
POSTS_URL = f"{BASE}/posts?author={ORG_ENCODED}&q=author&count=50&sortBy=LAST_MODIFIED&start="
STATS_URL = (
    f"{BASE}/organizationalEntityShareStatistics"
    f"?q=organizationalEntity&organizationalEntity={ORG_ENCODED}"
)
SHARE_1_ENCODED = "urn%3Ali%3Ashare%3A7212345678901234567"
SHARE_2_ENCODED = "urn%3Ali%3Ashare%3A7212345678899234561"
UGC_ENCODED = "urn%3Ali%3AugcPost%3A7212345678900234564"
SHARE_1_STATS = PostStats(impressions=1020, reach=812, likes=20, comments=6, shares=3, clicks=51)
SHARE_1_DETAILS = PostDetails(
    url=f"https://www.linkedin.com/feed/update/{SHARE_1}/",
    kind="post",
    caption="We're hiring baristas in Lisbon! #hiring #acmecoffee",
    published_at=datetime(2026, 6, 30, 12, tzinfo=UTC),
)
POST_REFUSED = (
    "linkedin: HTTP 403 ACCESS_DENIED (serviceErrorCode 100): Unpermitted fields present in "
    "PARAMETER: Data Processing Exception while processing fields [/shares[0]]"
)


def stats_for(*encoded_shares: str) -> str:
    return STATS_URL + f"&shares=List({','.join(encoded_shares)})"


def adapter(http: httpx.AsyncClient, settings) -> LinkedInAdapter:
    return LinkedInAdapter(http, settings, clock=lambda: NOW)


def linkedin(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, json=fixture_json("linkedin", name))


def assert_linkedin_request(request: httpx.Request, url: str) -> None:
    assert str(request.url) == url
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["LinkedIn-Version"] == "202610"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"


class TestLinkedInAdapter:
    def test_is_a_platform_adapter(self, http, settings):
        chosen = get_adapter("linkedin", http, settings)
        assert isinstance(chosen, PlatformAdapter)
        assert chosen.max_batch == 20


class TestFetchAccount:
    async def test_followers_from_network_size(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            return_value=linkedin(200, "network_size.json")
        )
        stats = await adapter(http, settings).fetch_account(ACCOUNT, CREDS)
        assert stats == AccountStats(
            external_id=ORG,
            handle="acme-coffee",
            display_name=None,
            followers=219145,
            following=None,
            posts_count=None,
        )
        assert_linkedin_request(route.calls.last.request, NETWORK_SIZE_URL)

    async def test_full_urn_is_accepted_as_id(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            return_value=linkedin(200, "network_size.json")
        )
        account = AccountRef(Platform.linkedin, "acme-coffee", external_id=ORG)
        stats = await adapter(http, settings).fetch_account(account, CREDS)
        assert stats.external_id == ORG
        assert str(route.calls.last.request.url) == NETWORK_SIZE_URL

    async def test_vanity_name_without_id_is_refused(self, http, settings, respx_mock):
        account = AccountRef(Platform.linkedin, "acme-coffee")
        with pytest.raises(AdapterError, match="neither an organization id"):
            await adapter(http, settings).fetch_account(account, CREDS)
        assert not respx_mock.calls

    async def test_unknown_organization_is_not_found(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            return_value=linkedin(404, "error_404.json")
        )
        with pytest.raises(NotFound):
            await adapter(http, settings).fetch_account(ACCOUNT, CREDS)

    async def test_missing_token_is_auth_expired(self, http, settings, respx_mock):
        with pytest.raises(AuthExpired, match="no access token"):
            await adapter(http, settings).fetch_account(ACCOUNT, None)
        assert not respx_mock.calls


class TestListPosts:
    async def test_two_pages_until_a_short_page(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=f"{BASE}/posts?").mock(
            side_effect=[linkedin(200, "posts_page1.json"), linkedin(200, "posts_page2.json")]
        )
        posts = await adapter(http, settings).list_posts(ACCOUNT, CREDS, since=None)

        assert_linkedin_request(route.calls[0].request, POSTS_URL + "0")
        assert_linkedin_request(route.calls[1].request, POSTS_URL + "50")
        assert len(posts) == 53
        assert posts[0] == PostInfo(
            external_id=SHARE_1,
            url=f"https://www.linkedin.com/feed/update/{SHARE_1}/",
            kind="post",
            caption="We're hiring baristas in Lisbon! #hiring #acmecoffee",
            published_at=datetime(2026, 6, 30, 12, tzinfo=UTC),
            stats=None,
        )
        assert (posts[1].external_id, posts[1].kind) == (UGC_POST, "post")
        assert (posts[2].external_id, posts[2].kind) == (SHARE_2, "article")
        assert posts[-1].published_at == datetime(2026, 4, 2, 9, tzinfo=UTC)

    async def test_stops_at_since_without_a_second_page(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=f"{BASE}/posts?").mock(
            return_value=linkedin(200, "posts_page1.json")
        )
        since = datetime(2026, 6, 20, tzinfo=UTC)
        posts = await adapter(http, settings).list_posts(ACCOUNT, CREDS, since=since)
        assert route.call_count == 1
        # Page one runs every 12 hours from 2026-06-30 12:00 down to 2026-06-06.
        assert len(posts) == 22
        assert posts[-1].published_at == datetime(2026, 6, 20, tzinfo=UTC)

    async def test_old_post_edited_lately_does_not_end_paging(self, http, settings, respx_mock):
        page1 = copy.deepcopy(fixture_json("linkedin", "posts_page1.json"))
        page1["elements"][10]["publishedAt"] = 1768003200000  # 2026-01-10, edited in June
        route = respx_mock.get(url__startswith=f"{BASE}/posts?").mock(
            side_effect=[httpx.Response(200, json=page1), linkedin(200, "posts_page2.json")]
        )
        since = datetime(2026, 6, 1, tzinfo=UTC)
        posts = await adapter(http, settings).list_posts(ACCOUNT, CREDS, since=since)
        assert route.call_count == 2
        assert len(posts) == 49 + 2
        assert page1["elements"][10]["id"] not in {post.external_id for post in posts}

    async def test_no_next_link_ends_paging(self, http, settings, respx_mock):
        page1 = copy.deepcopy(fixture_json("linkedin", "posts_page1.json"))
        page1["paging"]["links"] = []
        route = respx_mock.get(url__startswith=f"{BASE}/posts?").mock(
            return_value=httpx.Response(200, json=page1)
        )
        posts = await adapter(http, settings).list_posts(ACCOUNT, CREDS, since=None)
        assert route.call_count == 1
        assert len(posts) == 50


class TestFetchPostStats:
    async def test_full_batch_in_one_call(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics.json")
        )
        stats = await adapter(http, settings).fetch_post_stats([SHARE_1, UGC_POST, SHARE_2], CREDS)

        assert_linkedin_request(
            route.calls.last.request,
            STATS_URL
            + "&shares=List(urn%3Ali%3Ashare%3A7212345678901234567,"
            + "urn%3Ali%3Ashare%3A7212345678899234561)"
            + "&ugcPosts=List(urn%3Ali%3AugcPost%3A7212345678900234564)",
        )
        assert stats == {
            SHARE_1: PostStats(
                impressions=1020, reach=812, likes=20, comments=6, shares=3, clicks=51
            ),
            SHARE_2: PostStats(
                impressions=6577, reach=4310, likes=88, comments=7, shares=17, clicks=160
            ),
            UGC_POST: PostStats(
                impressions=2731, reach=2250, likes=0, comments=0, shares=0, clicks=0
            ),
        }
        assert stats[SHARE_1].views is None and stats[SHARE_1].saves is None

    async def test_posts_missing_from_elements_are_gone(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics_partial.json")
        )
        stats = await adapter(http, settings).fetch_post_stats([SHARE_1, UGC_POST, SHARE_2], CREDS)
        assert list(stats) == [SHARE_1]

    async def test_ids_that_are_not_post_urns_are_gone(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics_partial.json")
        )
        ids = [SHARE_1, "urn:li:activity:7212345678901234567", "urn:li:share:", "12345"]
        stats = await adapter(http, settings).fetch_post_stats(ids, CREDS)
        assert list(stats) == [SHARE_1]
        assert str(route.calls.last.request.url) == (
            STATS_URL + "&shares=List(urn%3Ali%3Ashare%3A7212345678901234567)"
        )

    async def test_more_than_max_batch_takes_two_calls(self, http, settings, respx_mock):
        route = respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics_partial.json")
        )
        ids = [SHARE_1] + [f"urn:li:share:72000000000000000{n:02d}" for n in range(24)]
        stats = await adapter(http, settings).fetch_post_stats(ids, CREDS)
        assert route.call_count == 2
        assert [call.request.url.query.count(b"urn%3Ali%3Ashare") for call in route.calls] == [
            20,
            5,
        ]
        assert list(stats) == [SHARE_1]

    async def test_a_refused_post_in_a_chunk_is_found_by_asking_one_at_a_time(
        self, http, settings, respx_mock
    ):
        # A chunk's 403 names no URN LinkedIn would let us trust, so each post is asked alone.
        both = respx_mock.get(stats_for(SHARE_1_ENCODED, SHARE_2_ENCODED)).mock(
            return_value=linkedin(403, "error_403_access_denied.json")
        )
        alone_1 = respx_mock.get(stats_for(SHARE_1_ENCODED)).mock(
            return_value=linkedin(200, "share_statistics_partial.json")
        )
        alone_2 = respx_mock.get(stats_for(SHARE_2_ENCODED)).mock(
            return_value=linkedin(403, "error_403_access_denied.json")
        )
        stats = await adapter(http, settings).fetch_post_stats([SHARE_1, SHARE_2], CREDS)

        assert stats == {SHARE_1: SHARE_1_STATS, SHARE_2: PostRefused(POST_REFUSED)}
        assert both.call_count == alone_1.call_count == alone_2.call_count == 1

    async def test_a_single_refused_post_is_refused_without_a_second_call(
        self, http, settings, respx_mock
    ):
        route = respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(403, "error_403_access_denied.json")
        )
        stats = await adapter(http, settings).fetch_post_stats([SHARE_1], CREDS)
        assert stats == {SHARE_1: PostRefused(POST_REFUSED)}
        assert route.call_count == 1

    async def test_credential_without_organization_is_auth_expired(
        self, http, settings, respx_mock
    ):
        creds = Credentials(access_token=TOKEN)
        with pytest.raises(AuthExpired, match="organization_urn"):
            await adapter(http, settings).fetch_post_stats([SHARE_1], creds)
        assert not respx_mock.calls

    async def test_nothing_to_ask_makes_no_call(self, http, settings, respx_mock):
        assert await adapter(http, settings).fetch_post_stats([], CREDS) == {}
        assert not respx_mock.calls

    def test_quota_cost_is_a_call_per_20_posts_and_per_20_lookups(self, http, settings):
        cost = adapter(http, settings).quota_cost
        sizes = [(0, 0), (1, 0), (20, 1), (21, 20), (25, 21)]
        assert [cost(posts, details) for posts, details in sizes] == [0, 1, 2, 3, 4]


class TestDetails:
    async def test_posts_whose_details_are_unknown_are_batch_got(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics.json")
        )
        lookup = respx_mock.get(url__startswith=f"{BASE}/posts?ids=").mock(
            return_value=linkedin(200, "posts_batch_get.json")
        )
        stats = await adapter(http, settings).fetch_post_stats(
            [SHARE_1, UGC_POST, SHARE_2], CREDS, details_for={SHARE_1, UGC_POST, SHARE_2}
        )

        request = lookup.calls.last.request
        assert_linkedin_request(
            request, f"{BASE}/posts?ids=List({SHARE_1_ENCODED},{UGC_ENCODED},{SHARE_2_ENCODED})"
        )
        assert request.headers["X-RestLi-Method"] == "BATCH_GET"
        assert stats[SHARE_1] == PostStats(
            impressions=1020,
            reach=812,
            likes=20,
            comments=6,
            shares=3,
            clicks=51,
            details=SHARE_1_DETAILS,
        )
        assert (stats[SHARE_2].details.kind, stats[SHARE_2].details.caption) == (
            "article",
            "Why we switched to direct trade",
        )
        # The lookup's per-post error leaves that post's stats standing, without details.
        assert stats[UGC_POST].details is None and stats[UGC_POST].impressions == 2731

    async def test_one_post_is_a_plain_get(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics.json")
        )
        lookup = respx_mock.get(f"{BASE}/posts/{SHARE_1_ENCODED}").mock(
            return_value=linkedin(200, "post_single.json")
        )
        stats = await adapter(http, settings).fetch_post_stats(
            [SHARE_1, SHARE_2], CREDS, details_for={SHARE_1}
        )

        assert "X-RestLi-Method" not in lookup.calls.last.request.headers
        assert stats[SHARE_1].details == SHARE_1_DETAILS
        assert stats[SHARE_2].details is None  # not asked for
        assert counts(stats[SHARE_1]) == SHARE_1_STATS

    async def test_only_posts_with_stats_are_looked_up(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics_partial.json")
        )
        lookup = respx_mock.get(url__startswith=f"{BASE}/posts/").mock(
            return_value=linkedin(200, "post_single.json")
        )
        stats = await adapter(http, settings).fetch_post_stats(
            [SHARE_1, SHARE_2], CREDS, details_for={SHARE_1, SHARE_2}
        )
        assert list(stats) == [SHARE_1]
        assert str(lookup.calls.last.request.url) == f"{BASE}/posts/{SHARE_1_ENCODED}"

    async def test_lookup_the_token_may_not_make_is_auth_expired(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics_partial.json")
        )
        respx_mock.get(url__startswith=f"{BASE}/posts/").mock(
            return_value=linkedin(403, "error_403_not_enough_permissions.json")
        )
        with pytest.raises(AuthExpired, match="Not enough permissions"):
            await adapter(http, settings).fetch_post_stats([SHARE_1], CREDS, details_for={SHARE_1})


class TestErrors:
    async def test_throttled_until_midnight_utc(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(return_value=linkedin(429, "error_429.json"))
        with pytest.raises(RateLimited) as caught:
            await adapter(http, settings).fetch_post_stats([SHARE_1], CREDS)
        assert caught.value.retry_after_s == 5.5 * 3600  # 18:30 UTC until midnight

    @pytest.mark.parametrize("name", ["error_401_revoked.json", "error_401_invalid_token.json"])
    async def test_expired_or_revoked_token_is_auth_expired(self, http, settings, respx_mock, name):
        respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            return_value=linkedin(401, name)
        )
        with pytest.raises(AuthExpired, match="HTTP 401"):
            await adapter(http, settings).fetch_account(ACCOUNT, CREDS)

    async def test_a_403_is_the_tokens_only_when_it_names_a_missing_permission(
        self, http, settings, respx_mock
    ):
        route = respx_mock.get(url__startswith=STATS_URL).mock(
            side_effect=[
                linkedin(403, "error_403_not_enough_permissions.json"),
                linkedin(403, "error_403_access_denied.json"),
            ]
        )
        with pytest.raises(AuthExpired, match="Not enough permissions to access"):
            await adapter(http, settings).fetch_post_stats([SHARE_1, SHARE_2], CREDS)
        assert route.call_count == 1  # the token's problem: no post is asked on its own

        stats = await adapter(http, settings).fetch_post_stats([SHARE_1], CREDS)
        assert stats == {SHARE_1: PostRefused(POST_REFUSED)}

    async def test_server_error_is_unavailable(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/posts?").mock(
            return_value=linkedin(500, "error_500.json")
        )
        with pytest.raises(PlatformUnavailable):
            await adapter(http, settings).list_posts(ACCOUNT, CREDS, since=None)

    async def test_timeout_is_unavailable(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            side_effect=httpx.ReadTimeout("read timed out")
        )
        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter(http, settings).fetch_account(ACCOUNT, CREDS)

    async def test_truncated_body_is_malformed(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/posts?").mock(
            return_value=httpx.Response(200, text=fixture_text("linkedin", "posts_truncated.json"))
        )
        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter(http, settings).list_posts(ACCOUNT, CREDS, since=None)

    async def test_html_page_is_malformed(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            return_value=httpx.Response(200, html="<html><body>Request could not be processed")
        )
        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter(http, settings).fetch_account(ACCOUNT, CREDS)

    async def test_count_that_is_not_a_number_is_malformed(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=STATS_URL).mock(
            return_value=linkedin(200, "share_statistics_unexpected.json")
        )
        with pytest.raises(MalformedResponse, match="organizationalEntityShareStatistics"):
            await adapter(http, settings).fetch_post_stats([SHARE_1], CREDS)

    async def test_body_without_followers_is_malformed(self, http, settings, respx_mock):
        respx_mock.get(url__startswith=f"{BASE}/networkSizes/").mock(
            return_value=httpx.Response(200, json={"elements": []})
        )
        with pytest.raises(MalformedResponse, match="firstDegreeSize"):
            await adapter(http, settings).fetch_account(ACCOUNT, CREDS)
