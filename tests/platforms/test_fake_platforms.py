import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bench.fake_platforms import base_urls, create_app, post_counts, published_at, running
from bench.fake_platforms.core import page_token
from bench.fake_platforms.pinterest import is_repin
from shared.config import Settings
from shared.platforms import get_adapter
from shared.platforms.base import AccountRef, Credentials, Platform, PostStats, RateLimited
from shared.platforms.x import XAdapter
from shared.platforms.youtube import YouTubeAdapter

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC).timestamp()
ROOT = "http://fake"
VIDEO_IDS = ["dQw4w9WgXcQ", "a-B_c1D2e3F", "zzzzgone123"]
POST_IDS = ["1364275610764201984", "42", "1234gone"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(clock):
    return create_app(clock=clock)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=ROOT) as http:
        yield http


async def control(client: httpx.AsyncClient, **switches) -> dict:
    response = await client.post("/_control", json=switches)
    assert response.status_code == 200, response.text
    return response.json()


class TestBaseUrls:
    def test_every_adapter_setting_points_into_the_fake(self):
        urls = base_urls("http://127.0.0.1:8900/")
        assert urls["SWAY_YOUTUBE_BASE_URL"] == "http://127.0.0.1:8900/youtube/v3"
        assert urls["SWAY_X_BASE_URL"] == "http://127.0.0.1:8900/x/2"
        assert urls["SWAY_INSTAGRAM_BASE_URL"] == urls["SWAY_FACEBOOK_BASE_URL"]
        settings_names = {name.removeprefix("SWAY_").lower() for name in urls}
        assert settings_names == {f"{p}_base_url" for p in Platform if p != Platform.demo}


class TestYouTube:
    async def test_videos_answer_any_ids_with_string_counts(self, client):
        response = await client.get(
            "/youtube/v3/videos",
            params={"part": "statistics,snippet,contentDetails", "id": ",".join(VIDEO_IDS)},
        )
        body = response.json()
        assert response.status_code == 200
        assert body["kind"] == "youtube#videoListResponse"
        assert [item["id"] for item in body["items"]] == VIDEO_IDS[:2]  # the gone id is absent
        stats = body["items"][0]["statistics"]
        assert set(stats) == {"viewCount", "likeCount", "favoriteCount", "commentCount"}
        assert all(isinstance(value, str) and value.isdigit() for value in stats.values())
        assert stats["favoriteCount"] == "0"
        assert stats["viewCount"] == str(post_counts("dQw4w9WgXcQ", NOW).views)
        assert body["items"][0]["contentDetails"]["duration"].startswith("PT")

    async def test_only_requested_parts(self, client):
        params = {"part": "statistics", "id": "dQw4w9WgXcQ"}
        item = (await client.get("/youtube/v3/videos", params=params)).json()["items"][0]
        assert set(item) == {"kind", "etag", "id", "statistics"}

    async def test_more_than_50_ids_is_invalid_filters(self, client):
        ids = ",".join(f"id{n:09d}" for n in range(51))
        response = await client.get("/youtube/v3/videos", params={"part": "id", "id": ids})
        assert response.status_code == 400
        assert response.json()["error"]["errors"][0]["reason"] == "invalidFilters"

    async def test_counts_never_go_backwards(self, client, clock):
        params = {"part": "statistics", "id": "dQw4w9WgXcQ"}
        seen = []
        for hours in (0, 0, 1, 24, 24 * 30):
            clock.now = NOW + hours * 3600
            item = (await client.get("/youtube/v3/videos", params=params)).json()["items"][0]
            seen.append(int(item["statistics"]["viewCount"]))
        assert seen[0] == seen[1]
        assert seen == sorted(seen)

    async def test_channel_by_handle_names_its_uploads_playlist(self, client):
        params = {"part": "snippet,statistics,contentDetails", "forHandle": "@acme"}
        channel = (await client.get("/youtube/v3/channels", params=params)).json()["items"][0]
        assert channel["id"].startswith("UC") and len(channel["id"]) == 24
        assert channel["snippet"]["customUrl"] == "@acme"
        uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]
        assert uploads == "UU" + channel["id"][2:]
        assert channel["statistics"]["subscriberCount"].isdigit()
        assert channel["statistics"]["hiddenSubscriberCount"] is False

    async def test_gone_channel_leaves_out_items(self, client):
        params = {"part": "statistics", "id": "UCgoneXXXXXXXXXXXXXXXXXX"}
        body = (await client.get("/youtube/v3/channels", params=params)).json()
        assert "items" not in body

    async def test_playlist_pages_agree_with_videos(self, client):
        params = {
            "part": "contentDetails",
            "playlistId": "UUabcdefghijklmnopqrstuv",
            "maxResults": 3,
        }
        first = (await client.get("/youtube/v3/playlistItems", params=params)).json()
        second = (
            await client.get(
                "/youtube/v3/playlistItems", params={**params, "pageToken": first["nextPageToken"]}
            )
        ).json()
        details = [item["contentDetails"] for item in first["items"] + second["items"]]
        ids = [detail["videoId"] for detail in details]
        assert len(set(ids)) == 6 and all(len(video_id) == 11 for video_id in ids)
        times = [detail["videoPublishedAt"] for detail in details]
        assert times == sorted(times, reverse=True)
        video = (
            await client.get("/youtube/v3/videos", params={"part": "snippet", "id": ids[0]})
        ).json()["items"][0]
        assert video["snippet"]["publishedAt"] == times[0]

    async def test_unknown_playlist_is_not_found(self, client):
        params = {"part": "contentDetails", "playlistId": "PLnope"}
        response = await client.get("/youtube/v3/playlistItems", params=params)
        assert response.status_code == 404
        assert response.json()["error"]["errors"][0]["reason"] == "playlistNotFound"


class TestX:
    async def test_posts_by_id_with_gone_ones_in_errors(self, client):
        params = {"ids": ",".join(POST_IDS), "tweet.fields": "public_metrics,created_at"}
        response = await client.get("/x/2/tweets", params=params)
        body = response.json()
        assert [post["id"] for post in body["data"]] == POST_IDS[:2]
        metrics = body["data"][0]["public_metrics"]
        assert set(metrics) == {
            "retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count",
            "impression_count",
        }  # fmt: skip
        assert all(isinstance(value, int) for value in metrics.values())
        assert body["data"][0]["created_at"].endswith(".000Z")
        assert body["data"][0]["edit_history_tweet_ids"] == [POST_IDS[0]]
        [error] = body["errors"]
        assert error["resource_id"] == "1234gone"
        assert error["type"].endswith("/2/problems/resource-not-found")
        assert int(response.headers["x-rate-limit-remaining"]) > 0

    async def test_all_gone_answers_only_errors(self, client):
        body = (await client.get("/x/2/tweets", params={"ids": "1gone,2gone"})).json()
        assert "data" not in body
        assert len(body["errors"]) == 2

    async def test_default_fields_only(self, client):
        post = (await client.get("/x/2/tweets", params={"ids": "42"})).json()["data"][0]
        assert set(post) == {"id", "text", "edit_history_tweet_ids"}

    async def test_more_than_100_ids_is_invalid(self, client):
        ids = ",".join(str(n) for n in range(101))
        response = await client.get("/x/2/tweets", params={"ids": ids})
        assert response.status_code == 400
        assert response.json()["type"].endswith("/2/problems/invalid-request")

    async def test_author_expansion_names_each_posts_author(self, client):
        params = {
            "ids": ",".join(POST_IDS),
            "tweet.fields": "public_metrics,created_at,text",
            "expansions": "author_id",
            "user.fields": "username",
        }
        body = (await client.get("/x/2/tweets", params=params)).json()
        authors = {user["id"]: user["username"] for user in body["includes"]["users"]}
        assert all(post["author_id"] in authors for post in body["data"])
        assert all(username.startswith("fake_") for username in authors.values())

    async def test_timeline_without_replies_reaches_800_posts(self, client, clock):
        clock.now = NOW + 200 * 86_400  # long enough for the account to have posted over 800
        params = {"max_results": 100, "pagination_token": page_token(700)}
        without_replies = {**params, "exclude": "retweets,replies"}
        capped = (await client.get("/x/2/users/42/tweets", params=without_replies)).json()
        assert capped["meta"]["result_count"] == 100 and "next_token" not in capped["meta"]
        full = (await client.get("/x/2/users/42/tweets", params=params)).json()
        assert "next_token" in full["meta"]

    async def test_user_by_id_and_by_username_agree(self, client):
        params = {"user.fields": "public_metrics"}
        by_name = (await client.get("/x/2/users/by/username/Acme", params=params)).json()["data"]
        by_id = (await client.get(f"/x/2/users/{by_name['id']}", params=params)).json()["data"]
        assert by_id == by_name
        assert by_id["username"] == "Acme"
        assert set(by_id["public_metrics"]) >= {
            "followers_count", "following_count", "tweet_count", "listed_count",
        }  # fmt: skip

    async def test_gone_user_answers_200_with_errors(self, client):
        response = await client.get("/x/2/users/999gone")
        assert response.status_code == 200
        assert "data" not in response.json()
        assert response.json()["errors"][0]["resource_type"] == "user"

    async def test_timeline_pages_newest_first_and_honours_start_time(self, client):
        start = datetime.fromtimestamp(NOW, UTC) - timedelta(days=7)
        params = {
            "max_results": 5,
            "tweet.fields": "created_at,public_metrics",
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        first = (await client.get("/x/2/users/2244994945/tweets", params=params)).json()
        assert first["meta"]["result_count"] == 5
        params["pagination_token"] = first["meta"]["next_token"]
        second = (await client.get("/x/2/users/2244994945/tweets", params=params)).json()
        posts = first["data"] + second["data"]
        assert len(posts) == 7  # one a day
        created = [post["created_at"] for post in posts]
        assert created == sorted(created, reverse=True)
        assert "next_token" not in second["meta"]
        stamp = published_at(posts[0]["id"], NOW)
        assert created[0] == datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class TestGoneIdsElsewhere:
    async def test_tiktok_query_leaves_them_out(self, client):
        body = {"filters": {"video_ids": ["7390001112223334445", "7390gone"]}}
        response = await client.post("/tiktok/v2/video/query/?fields=id,view_count", json=body)
        assert response.json()["error"]["code"] == "ok"
        assert [video["id"] for video in response.json()["data"]["videos"]] == [
            "7390001112223334445"
        ]

    async def test_meta_batch_answers_error_100_33(self, client):
        batch = [
            {"method": "GET", "relative_url": "17900000000000001/insights?metric=views,reach"},
            {"method": "GET", "relative_url": "v25.0/1790gone?fields=like_count"},
        ]
        form = {"access_token": "t", "batch": json.dumps(batch), "include_headers": "false"}
        answers = (await client.post("/meta/v25.0/", data=form)).json()
        assert [answer["code"] for answer in answers] == [200, 400]
        assert "headers" not in answers[0]
        values = json.loads(answers[0]["body"])["data"]
        assert [item["name"] for item in values] == ["views", "reach"]
        error = json.loads(answers[1]["body"])["error"]
        assert (error["code"], error["error_subcode"]) == (100, 33)

    async def test_linkedin_statistics_leave_them_out(self, client):
        query = (
            "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183"
            "&shares=List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2gone)"
            "&ugcPosts=List(urn%3Ali%3AugcPost%3A3)"
        )
        body = (
            await client.get(f"/linkedin/rest/organizationalEntityShareStatistics?{query}")
        ).json()
        named = [element.get("share") or element.get("ugcPost") for element in body["elements"]]
        assert named == ["urn:li:share:1", "urn:li:ugcPost:3"]

    async def test_pinterest_bulk_leaves_them_out_and_single_is_404(self, client):
        window = {
            "start_date": "2026-09-01",
            "end_date": "2026-11-01",
            "metric_types": "IMPRESSION",
        }
        bulk = await client.get(
            "/pinterest/v5/pins/analytics", params={"pin_ids": "1,2gone", **window}
        )
        assert list(bulk.json()) == ["1"]
        single = await client.get("/pinterest/v5/pins/2gone/analytics", params=window)
        assert (single.status_code, single.json()["code"]) == (404, 50)


class TestPinterest:
    async def test_exclude_repins_leaves_out_pins_saved_from_others(self, client):
        params = {"page_size": 100}
        every = (await client.get("/pinterest/v5/pins", params=params)).json()["items"]
        own = (
            await client.get(
                "/pinterest/v5/pins", params={**params, "pin_filter": "exclude_repins"}
            )
        ).json()["items"]
        repins = [pin for pin in every if pin["parent_pin_id"]]
        assert repins and all(not pin["is_owner"] for pin in repins)
        assert all(is_repin(pin["id"]) for pin in repins)
        owned = [pin["id"] for pin in every if pin["is_owner"]]
        assert [pin["id"] for pin in own][: len(owned)] == owned
        assert len(own) == 100 and all(pin["is_owner"] for pin in own)

    async def test_unknown_pin_filter_is_invalid(self, client):
        response = await client.get("/pinterest/v5/pins", params={"pin_filter": "mine"})
        assert (response.status_code, response.json()["code"]) == (400, 1)


class TestLinkedInPosts:
    URNS = ["urn:li:share:17900000000000000001", "urn:li:ugcPost:2gone"]

    async def test_batch_get_by_ids(self, client):
        ids = "List(" + ",".join(urn.replace(":", "%3A") for urn in self.URNS) + ")"
        body = (
            await client.get(
                f"/linkedin/rest/posts?ids={ids}", headers={"X-RestLi-Method": "BATCH_GET"}
            )
        ).json()
        found = body["results"][self.URNS[0]]
        assert found["id"] == self.URNS[0]
        assert found["publishedAt"] == published_at(self.URNS[0], NOW) * 1000
        assert body["statuses"] == {self.URNS[0]: 200, self.URNS[1]: 404}
        assert body["errors"][self.URNS[1]]["status"] == 404

    async def test_get_by_urn(self, client):
        found = await client.get("/linkedin/rest/posts/urn%3Ali%3Ashare%3A17900000000000000001")
        gone = await client.get("/linkedin/rest/posts/urn%3Ali%3Ashare%3A1gone")
        assert found.json()["id"] == self.URNS[0]
        assert gone.status_code == 404


THROTTLED_CALLS = [
    ("youtube", "GET", "/youtube/v3/videos?part=statistics&id=dQw4w9WgXcQ", 403),
    ("x", "GET", "/x/2/tweets?ids=1", 429),
    ("tiktok", "POST", "/tiktok/v2/video/query/?fields=id", 429),
    ("meta", "GET", "/meta/v25.0/1790/insights?metric=views", 403),
    ("linkedin", "GET", "/linkedin/rest/posts?q=author&author=urn%3Ali%3Aorganization%3A1", 429),
    ("pinterest", "GET", "/pinterest/v5/user_account", 429),
]


class TestFaults:
    @pytest.mark.parametrize(("platform", "method", "url", "status"), THROTTLED_CALLS)
    async def test_throttle_in_each_platforms_shape(self, client, platform, method, url, status):
        await control(client, throttle=True)
        response = await client.request(method, url, json={"filters": {"video_ids": ["1"]}})
        assert response.status_code == status
        body = response.json()
        if platform == "youtube":
            assert body["error"]["errors"][0]["reason"] == "quotaExceeded"
        elif platform == "x":
            assert int(response.headers["x-rate-limit-reset"]) > NOW
            assert response.headers["x-rate-limit-remaining"] == "0"
        elif platform == "tiktok":
            assert body["error"]["code"] == "rate_limit_exceeded"
        elif platform == "meta":
            assert body["error"]["code"] == 4
            usage = json.loads(response.headers["x-business-use-case-usage"])
            [entries] = usage.values()
            assert entries[0]["estimated_time_to_regain_access"] > 0
        elif platform == "linkedin":
            assert body["status"] == 429
        else:
            assert body["code"] == 8

    async def test_throttle_one_platform_only(self, client):
        assert (await control(client, throttle=["x"]))["throttle"] == ["x"]
        assert (await client.get("/x/2/tweets?ids=1")).status_code == 429
        assert (await client.get("/youtube/v3/videos?part=id&id=dQw4w9WgXcQ")).status_code == 200
        await control(client, throttle=False)
        assert (await client.get("/x/2/tweets?ids=1")).status_code == 200

    async def test_latency(self, client):
        await control(client, latency_ms=60)
        began = time.perf_counter()
        await client.get("/x/2/tweets?ids=1")
        assert time.perf_counter() - began >= 0.06

    async def test_error_rate_answers_5xx(self, client):
        await control(client, error_rate=1.0)
        youtube = await client.get("/youtube/v3/videos?part=id&id=dQw4w9WgXcQ")
        meta = await client.get("/meta/v25.0/1790?fields=id")
        assert youtube.status_code == 503
        assert youtube.json()["error"]["errors"][0]["reason"] == "backendError"
        assert meta.status_code == 500 and meta.json()["error"]["is_transient"] is True
        await control(client, error_rate=0)
        assert (await client.get("/x/2/tweets?ids=1")).status_code == 200

    async def test_seed_makes_errors_repeatable(self, client):
        async def statuses() -> list[int]:
            await control(client, error_rate=0.5, seed=7)
            return [(await client.get("/x/2/tweets?ids=1")).status_code for _ in range(20)]

        first = await statuses()
        assert first == await statuses()
        assert {200, 503} == set(first)

    @pytest.mark.parametrize(
        "switches", [{"error_rate": 2}, {"latency_ms": -1}, {"throttle": ["myspace"]}]
    )
    async def test_bad_switches_are_refused(self, client, switches):
        response = await client.post("/_control", json=switches)
        assert response.status_code == 400


class TestStats:
    async def test_counts_requests_paths_and_ids(self, client):
        await client.get("/youtube/v3/videos", params={"part": "statistics", "id": "a,b,c"})
        await client.get("/youtube/v3/videos", params={"part": "statistics", "id": "d"})
        await client.get("/x/2/tweets", params={"ids": "1,2"})
        batch = json.dumps(
            [{"method": "GET", "relative_url": f"{n}/insights?metric=views"} for n in range(3)]
        )
        await client.post("/meta/v25.0/", data={"batch": batch, "access_token": "t"})
        await control(client, throttle=["x"])
        await client.get("/x/2/tweets", params={"ids": "3"})
        stats = (await client.get("/_stats")).json()
        youtube, x, meta = (stats["platforms"][name] for name in ("youtube", "x", "meta"))
        assert youtube == {
            "requests": 2, "paths": {"GET /videos": 2}, "items": 4, "throttled": 0, "errors": 0,
        }  # fmt: skip
        assert (x["requests"], x["items"], x["throttled"]) == (2, 2, 1)
        assert meta["requests"] == 1 and meta["items"] == 3
        assert meta["paths"]["batch GET /{node}/insights"] == 3
        assert stats["total_requests"] == 5

    async def test_reset(self, client):
        await client.get("/x/2/tweets", params={"ids": "1"})
        await control(client, reset_stats=True)
        assert (await client.get("/_stats")).json() == {"total_requests": 0, "platforms": {}}


class TestRealAdapters:
    """The production adapters, pointed at the fake by settings alone, read its answers."""

    @pytest.fixture
    async def http(self, app) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as http:
            yield http

    @pytest.fixture
    def fake_settings(self) -> Settings:
        urls = {name.removeprefix("SWAY_").lower(): url for name, url in base_urls(ROOT).items()}
        return Settings(_env_file=None, env="test", youtube_api_key="fake-key", **urls)

    async def test_youtube(self, http, fake_settings):
        adapter = YouTubeAdapter(http, fake_settings)
        account = await adapter.fetch_account(AccountRef(Platform.youtube, "acme"), None)
        assert account.external_id.startswith("UC") and account.handle == "acme"
        assert account.followers and account.posts_count
        ref = AccountRef(Platform.youtube, "acme", account.external_id)
        since = datetime.fromtimestamp(NOW, UTC) - timedelta(days=3)
        posts = await adapter.list_posts(ref, None, since=since)
        assert len(posts) == 3 and all(post.published_at >= since for post in posts)
        stats = await adapter.fetch_post_stats(VIDEO_IDS, None)
        assert set(stats) == set(VIDEO_IDS[:2])
        assert stats["dQw4w9WgXcQ"].views == post_counts("dQw4w9WgXcQ", NOW).views

    async def test_youtube_throttle_is_rate_limited(self, http, fake_settings, client):
        await control(client, throttle=["youtube"])
        with pytest.raises(RateLimited):
            await YouTubeAdapter(http, fake_settings).fetch_post_stats(["dQw4w9WgXcQ"], None)

    async def test_x(self, http, fake_settings):
        adapter, creds = XAdapter(http, fake_settings), Credentials(access_token="fake")
        account = await adapter.fetch_account(AccountRef(Platform.x, "acme"), creds)
        assert account.handle == "acme" and account.followers
        since = datetime.fromtimestamp(NOW, UTC) - timedelta(days=150)
        posts = await adapter.list_posts(AccountRef(Platform.x, "acme"), creds, since=since)
        assert len(posts) == 150  # two pages of 100, cut at `since`
        ids = [post.external_id for post in posts[:99]] + ["9gone"]
        stats = await adapter.fetch_post_stats(ids, creds)
        assert set(stats) == set(ids[:99])
        expected = post_counts(ids[0], NOW)
        assert stats[ids[0]].likes == expected.likes
        assert stats[ids[0]].impressions == expected.impressions

    async def test_every_adapters_stats_carry_details(self, http, fake_settings):
        """Each platform's stats call, details lookups included, against what the fake serves."""
        creds = {
            "instagram": Credentials(access_token="t"),
            "facebook": Credentials(access_token="t"),
            "youtube": None,
            "tiktok": Credentials(access_token="t"),
            "x": Credentials(access_token="t"),
            "linkedin": Credentials(
                access_token="t", extra={"organization_urn": "urn:li:organization:1"}
            ),
            "pinterest": Credentials(access_token="t"),
        }
        ids = {
            "instagram": ["17900000000000000001", "1790gone"],
            "facebook": ["20531316728_17900000000000000001", "20531316728_1gone"],
            "youtube": VIDEO_IDS,
            "tiktok": ["17900000000000000001", "1790gone"],
            "x": ["17900000000000000001", "1790gone"],
            "linkedin": ["urn:li:share:17900000000000000001", "urn:li:ugcPost:1gone"],
            "pinterest": ["17900000000000000001", "1790gone"],
        }
        for platform, asked in ids.items():
            adapter = get_adapter(platform, http, fake_settings)
            stats = await adapter.fetch_post_stats(asked, creds[platform], details_for=set(asked))
            assert list(stats) == asked[:-1], platform  # the gone id is missing
            found = stats[asked[0]]
            assert isinstance(found, PostStats), platform
            assert found.details and found.details.published_at, platform
            expected = datetime.fromtimestamp(published_at(asked[0], NOW), UTC)
            assert found.details.published_at == expected, platform
            assert found.details.url and found.details.kind, platform

    async def test_x_post_urls_name_their_author(self, http, fake_settings):
        adapter = XAdapter(http, fake_settings)
        creds = Credentials(access_token="t")
        stats = await adapter.fetch_post_stats(["42"], creds, details_for={"42"})
        assert stats["42"].details.url.startswith("https://x.com/fake_")

    async def test_pinterest_lists_the_accounts_own_pins(self, http, fake_settings):
        adapter = get_adapter("pinterest", http, fake_settings)
        since = datetime.fromtimestamp(NOW, UTC) - timedelta(days=60)
        account = AccountRef(Platform.pinterest, "acme")
        posts = await adapter.list_posts(account, Credentials(access_token="t"), since=since)
        assert posts and not any(is_repin(post.external_id) for post in posts)
        assert 40 <= len(posts) < 60  # one a day, about a fifth of them repins left out

    async def test_x_throttle_is_rate_limited_until_the_window_resets(
        self, http, fake_settings, client
    ):
        await control(client, throttle=["x"])
        adapter = XAdapter(http, fake_settings, clock=lambda: datetime.fromtimestamp(NOW, UTC))
        with pytest.raises(RateLimited) as caught:
            await adapter.fetch_post_stats(["1"], Credentials(access_token="t"))
        # x-rate-limit-reset is the end of the fake's current 15-minute window.
        assert caught.value.retry_after_s == 900 - NOW % 900


class TestRunning:
    def test_serves_over_a_real_socket(self):
        with running(0) as root:
            response = httpx.get(f"{root}/x/2/tweets", params={"ids": "1,2gone"}, timeout=5)
            stats = httpx.get(f"{root}/_stats", timeout=5).json()
        assert response.status_code == 200
        assert [post["id"] for post in response.json()["data"]] == ["1"]
        assert stats["platforms"]["x"]["requests"] == 1
