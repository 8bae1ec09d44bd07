"""YouTube adapter against recorded Data API v3 responses, replayed at the real URLs."""

from datetime import UTC, datetime

import httpx
import pytest
import respx

from shared.platforms import get_adapter
from shared.platforms.base import (
    AccountRef,
    AuthExpired,
    Credentials,
    MalformedResponse,
    NotConfigured,
    NotFound,
    Platform,
    PlatformAdapter,
    PlatformUnavailable,
    PostDetails,
    PostStats,
    RateLimited,
)
from shared.platforms.youtube import YouTubeAdapter, duration_seconds, seconds_until_quota_reset
from tests.platforms.conftest import counts, fixture_json, fixture_text, replay

API = "https://www.googleapis.com/youtube/v3"
CHANNEL_ID = "UCK8sQmJBp8GCxrOtXWBpyEA"
ACME = AccountRef(Platform.youtube, "acme", CHANNEL_ID)
# 07:30 in Los Angeles (PST, UTC-8): the quota resets at 08:00 UTC the next day, 16.5 h later.
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def recorded(name: str) -> httpx.Response:
    return replay("youtube", name)


@pytest.fixture
def adapter(http, settings) -> YouTubeAdapter:
    return YouTubeAdapter(http, settings, clock=lambda: NOW)


class TestFetchAccount:
    def test_is_registered_as_a_platform_adapter(self, http, settings):
        adapter = get_adapter("youtube", http, settings)
        assert isinstance(adapter, PlatformAdapter)
        assert (adapter.platform, adapter.max_batch) == (Platform.youtube, 50)

    @respx.mock
    async def test_channel_statistics_with_the_settings_api_key(self, adapter):
        route = respx.get(f"{API}/channels").mock(return_value=recorded("channels_list.json"))

        stats = await adapter.fetch_account(ACME, None)

        assert stats.external_id == CHANNEL_ID
        assert stats.handle == "acme"
        assert stats.display_name == "Acme"
        assert stats.followers == 10_700_000
        assert stats.following is None
        assert stats.posts_count == 2678
        params = route.calls.last.request.url.params
        assert params["part"] == "snippet,statistics,contentDetails"
        assert params["id"] == CHANNEL_ID
        assert params["key"] == "test-youtube-key"
        assert "authorization" not in route.calls.last.request.headers

    @respx.mock
    async def test_oauth_token_is_sent_as_bearer_instead_of_a_key(self, adapter):
        route = respx.get(f"{API}/channels").mock(return_value=recorded("channels_list.json"))

        await adapter.fetch_account(ACME, Credentials(access_token="ya29.a0AfB_token"))

        request = route.calls.last.request
        assert request.headers["authorization"] == "Bearer ya29.a0AfB_token"
        assert "key" not in request.url.params

    @respx.mock
    async def test_handle_only_account_is_looked_up_for_handle(self, adapter):
        route = respx.get(f"{API}/channels").mock(return_value=recorded("channels_list.json"))

        stats = await adapter.fetch_account(AccountRef(Platform.youtube, "acme"), None)

        assert route.calls.last.request.url.params["forHandle"] == "@acme"
        assert "id" not in route.calls.last.request.url.params
        assert stats.external_id == CHANNEL_ID

    @respx.mock
    async def test_hidden_subscriber_count_is_none_not_zero(self, adapter):
        respx.get(f"{API}/channels").mock(return_value=recorded("channels_hidden_subscribers.json"))

        stats = await adapter.fetch_account(
            AccountRef(Platform.youtube, "quietbench", "UC4R8DWoMoI7CAwX8_LjQHig"), None
        )

        assert stats.followers is None
        assert stats.posts_count == 41

    @respx.mock
    async def test_unknown_channel_is_not_found(self, adapter):
        respx.get(f"{API}/channels").mock(return_value=recorded("channels_empty.json"))

        with pytest.raises(NotFound):
            await adapter.fetch_account(AccountRef(Platform.youtube, "nobody-here"), None)

    @respx.mock
    async def test_no_token_and_no_key_anywhere_is_not_configured_before_any_call(
        self, http, settings
    ):
        keyless = settings.model_copy(update={"youtube_api_key": None})
        route = respx.get(f"{API}/channels")

        # Sway's own setting is missing: an operator, not the account, has to act.
        with pytest.raises(NotConfigured, match="SWAY_YOUTUBE_API_KEY"):
            await YouTubeAdapter(http, keyless).fetch_account(ACME, None)

        assert not route.called

    @respx.mock
    async def test_oauth_token_headers_cannot_carry_is_auth_expired(self, adapter):
        route = respx.get(f"{API}/channels")

        with pytest.raises(AuthExpired, match="cannot carry"):
            await adapter.fetch_account(ACME, Credentials(access_token="ya29.tökén"))

        assert not route.called


class TestListPosts:
    @respx.mock
    async def test_recent_uploads_across_two_pages_stop_at_since(self, adapter):
        playlist = respx.get(f"{API}/playlistItems").mock(
            side_effect=[
                recorded("playlist_items_page_1.json"),
                recorded("playlist_items_page_2.json"),
            ]
        )
        videos = respx.get(f"{API}/videos").mock(return_value=recorded("videos_list_recent.json"))

        posts = await adapter.list_posts(ACME, None, since=datetime(2026, 11, 1, tzinfo=UTC))

        # Page 2 holds an upload older than `since`, so its nextPageToken is not followed.
        assert playlist.call_count == 2
        first, second = (call.request.url.params for call in playlist.calls)
        assert first["playlistId"] == "UUK8sQmJBp8GCxrOtXWBpyEA"
        assert (first["part"], first["maxResults"]) == ("contentDetails", "50")
        assert "pageToken" not in first
        assert second["pageToken"] == "EAAaBlBUOkNESQ"
        # The private upload without a date is skipped; the old one is never asked for.
        assert videos.call_count == 1
        sent = videos.calls.last.request.url.params
        assert sent["id"] == "Xk2QmRz9aB0,pQ7Tr2vNmLs,Lm4Kp8wXq3R,dF5gH6jK7lM"
        assert sent["part"] == "snippet,statistics,contentDetails"
        # dF5gH6jK7lM was deleted between the two calls: it is simply not listed.
        assert [post.external_id for post in posts] == ["Xk2QmRz9aB0", "pQ7Tr2vNmLs", "Lm4Kp8wXq3R"]

        short, video, former_live = posts
        assert short.kind == "short"
        assert short.url == "https://www.youtube.com/watch?v=Xk2QmRz9aB0"
        assert short.caption == (
            "Latte art in 45 seconds\n\n"
            "Pouring a rosetta with the new pitcher #ad #latteart @milkco"
        )
        assert short.published_at == datetime(2026, 11, 19, 17, 0, 4, tzinfo=UTC)
        assert short.stats == PostStats(views=48210, likes=3120, comments=87)
        assert video.kind == "video"
        assert video.caption == "Grinder shootout: 5 burr grinders under $300"
        assert video.stats == PostStats(views=120533, likes=None, comments=412)
        assert former_live.kind == "video"
        assert former_live.stats == PostStats(views=9004, likes=611, comments=None)

    @respx.mock
    async def test_without_since_only_the_newest_page_is_read(self, adapter):
        playlist = respx.get(f"{API}/playlistItems").mock(
            return_value=recorded("playlist_items_page_1.json")
        )
        respx.get(f"{API}/videos").mock(return_value=recorded("videos_list_recent.json"))

        posts = await adapter.list_posts(ACME, None, since=None)

        assert playlist.call_count == 1
        assert len(posts) == 3

    @respx.mock
    async def test_handle_only_account_reads_the_uploads_playlist_from_the_channel(self, adapter):
        channels = respx.get(f"{API}/channels").mock(
            return_value=recorded("channels_content_details.json")
        )
        playlist = respx.get(f"{API}/playlistItems").mock(
            return_value=recorded("playlist_items_page_1.json")
        )
        respx.get(f"{API}/videos").mock(return_value=recorded("videos_list_recent.json"))

        await adapter.list_posts(AccountRef(Platform.youtube, "@acme"), None, since=None)

        assert channels.calls.last.request.url.params["part"] == "contentDetails"
        assert channels.calls.last.request.url.params["forHandle"] == "@acme"
        assert playlist.calls.last.request.url.params["playlistId"] == "UUK8sQmJBp8GCxrOtXWBpyEA"

    @respx.mock
    async def test_channel_without_uploads_has_no_posts(self, adapter):
        respx.get(f"{API}/playlistItems").mock(
            return_value=recorded("error_playlist_not_found.json")
        )
        videos = respx.get(f"{API}/videos")

        assert await adapter.list_posts(ACME, None, since=None) == []
        assert not videos.called


class TestFetchPostStats:
    @respx.mock
    async def test_full_batch_of_fifty_is_one_call_with_details(self, adapter):
        body = fixture_json("youtube", "videos_stats_batch.json")
        ids = [item["id"] for item in body["items"]]
        route = respx.get(f"{API}/videos").mock(return_value=recorded("videos_stats_batch.json"))

        stats = await adapter.fetch_post_stats(ids, None)

        assert route.call_count == 1
        params = route.calls.last.request.url.params
        assert params["id"] == ",".join(ids)
        # The snippet and content details come at no extra quota cost.
        assert params["part"] == "snippet,statistics,contentDetails"
        assert list(stats) == ids
        assert stats["D-lhorsDlUQ"] == PostStats(
            views=8087,
            likes=190,
            comments=32,
            details=PostDetails(
                url="https://www.youtube.com/watch?v=D-lhorsDlUQ",
                kind="video",
                caption=(
                    "What are Actions on Google\n\n"
                    "Learn how to build for the Google Assistant #actionsongoogle"
                ),
                published_at=datetime(2019, 3, 21, 20, 37, 49, tzinfo=UTC),
            ),
        )
        last = body["items"][-1]
        assert stats[ids[-1]].views == int(last["statistics"]["viewCount"])
        assert stats[ids[-1]].details.published_at == datetime.fromisoformat(
            last["snippet"]["publishedAt"]
        )
        assert all(s.saves is None and s.shares is None and s.reach is None for s in stats.values())
        assert all(s.impressions is None for s in stats.values())

    @respx.mock
    async def test_gone_videos_are_absent_and_hidden_counts_are_none(self, adapter):
        respx.get(f"{API}/videos").mock(return_value=recorded("videos_stats_partial.json"))

        stats = await adapter.fetch_post_stats(["D-lhorsDlUQ", "CvTApw9X8aA", "gOnE1234567"], None)

        assert list(stats) == ["D-lhorsDlUQ", "CvTApw9X8aA"]
        espresso = stats["CvTApw9X8aA"]
        assert counts(espresso) == PostStats(views=51240)
        # 30 seconds long: a short; an empty description adds nothing to the caption.
        assert (espresso.details.kind, espresso.details.caption) == (
            "short",
            "Espresso in 30 seconds",
        )

    def test_quota_cost_is_one_unit_per_call(self, adapter):
        # Details ride on the same call: asking for them costs nothing more; no ids, no call.
        assert [adapter.quota_cost(n, details=n) for n in (0, 1, 50)] == [0, 1, 1]

    async def test_more_than_fifty_ids_is_refused(self, adapter):
        with pytest.raises(ValueError, match="at most 50"):
            await adapter.fetch_post_stats([f"id{n:09d}" for n in range(51)], None)

    async def test_no_ids_makes_no_call(self, adapter):
        assert await adapter.fetch_post_stats([], None) == {}


class TestErrors:
    @respx.mock
    async def test_quota_exceeded_waits_until_midnight_pacific(self, adapter):
        respx.get(f"{API}/videos").mock(return_value=recorded("error_quota_exceeded.json"))

        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["D-lhorsDlUQ"], None)

        assert caught.value.retry_after_s == 16.5 * 3600

    def test_quota_reset_counts_real_hours_across_a_dst_change(self):
        # 01:00 PST on 2026-03-08; clocks jump forward at 02:00, so the next midnight is 22 h away.
        assert seconds_until_quota_reset(datetime(2026, 3, 8, 9, tzinfo=UTC)) == 22 * 3600

    @respx.mock
    async def test_short_rate_limit_waits_a_minute(self, adapter):
        respx.get(f"{API}/videos").mock(return_value=recorded("error_rate_limit_exceeded.json"))

        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["D-lhorsDlUQ"], None)

        assert caught.value.retry_after_s == 60.0

    @respx.mock
    async def test_expired_token_is_auth_expired(self, adapter):
        respx.get(f"{API}/channels").mock(return_value=recorded("error_auth.json"))

        with pytest.raises(AuthExpired, match="authError"):
            await adapter.fetch_account(ACME, Credentials(access_token="ya29.expired"))

    @respx.mock
    @pytest.mark.parametrize("name", ["error_key_invalid.json", "error_access_not_configured.json"])
    async def test_refused_key_is_the_operators_only_when_it_is_the_app_key(self, adapter, name):
        route = respx.get(f"{API}/videos").mock(return_value=recorded(name))

        with pytest.raises(NotConfigured, match="SWAY_YOUTUBE_API_KEY was refused"):
            await adapter.fetch_post_stats(["D-lhorsDlUQ"], None)

        # The account's own key (which wins over the app key) or OAuth project: the account's.
        own_key, oauth = Credentials(api_key="AIzaSy-account-key"), Credentials(access_token="ya29")
        for creds in (own_key, oauth):
            with pytest.raises(AuthExpired) as caught:
                await adapter.fetch_post_stats(["D-lhorsDlUQ"], creds)
            assert not isinstance(caught.value, NotConfigured)
        assert route.calls[1].request.url.params["key"] == "AIzaSy-account-key"

    @respx.mock
    async def test_server_error_is_platform_unavailable(self, adapter):
        respx.get(f"{API}/videos").mock(return_value=recorded("error_backend.json"))

        with pytest.raises(PlatformUnavailable):
            await adapter.fetch_post_stats(["D-lhorsDlUQ"], None)

    @respx.mock
    async def test_timeout_is_platform_unavailable(self, adapter):
        respx.get(f"{API}/videos").mock(side_effect=httpx.ReadTimeout("read timed out"))

        with pytest.raises(PlatformUnavailable, match="timed out"):
            await adapter.fetch_post_stats(["D-lhorsDlUQ"], None)

    @respx.mock
    async def test_truncated_body_is_malformed(self, adapter):
        respx.get(f"{API}/videos").mock(
            return_value=httpx.Response(200, text=fixture_text("youtube", "videos_truncated.json"))
        )

        with pytest.raises(MalformedResponse, match="not JSON"):
            await adapter.fetch_post_stats(["D-lhorsDlUQ"], None)

    @respx.mock
    async def test_unexpected_shape_is_malformed_not_a_crash(self, adapter):
        body = fixture_json("youtube", "videos_stats_partial.json")
        body["items"][0]["statistics"]["viewCount"] = "lots"
        del body["items"][1]["id"]
        respx.get(f"{API}/videos").mock(return_value=httpx.Response(200, json=body))

        with pytest.raises(MalformedResponse, match="video statistics"):
            await adapter.fetch_post_stats(["D-lhorsDlUQ", "CvTApw9X8aA"], None)

    @respx.mock
    async def test_channel_without_statistics_is_malformed(self, adapter):
        body = fixture_json("youtube", "channels_list.json")
        del body["items"][0]["statistics"]
        respx.get(f"{API}/channels").mock(return_value=httpx.Response(200, json=body))

        with pytest.raises(MalformedResponse, match="channel"):
            await adapter.fetch_account(ACME, None)


class TestDurations:
    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("PT45S", 45),
            ("PT12M3S", 723),
            ("PT1H2M7S", 3727),
            ("P1DT1S", 86401),
            ("P0D", 0),
            ("1:02", None),
        ],
    )
    def test_iso_8601_durations(self, value, seconds):
        assert duration_seconds(value) == seconds
