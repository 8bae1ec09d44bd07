"""YouTube's quota as documented (developers.google.com/youtube/v3/determine_quota_cost, checked
2026-12): videos.list, channels.list and playlistItems.list cost 1 unit per call whatever the
parts, out of a default 10,000 units a day per Cloud project (search.list and videos.insert have
buckets of their own, which Sway never calls). What the budget is charged must be what one
statistics call spends."""

import httpx
import respx

from shared.budget import limit_for
from shared.config import Settings
from shared.platforms.base import Credentials
from shared.platforms.youtube import YouTubeAdapter

API = "https://www.googleapis.com/youtube/v3"


def _videos(request: httpx.Request) -> httpx.Response:
    ids = request.url.params["id"].split(",")
    items = [
        {
            "kind": "youtube#video",
            "id": video_id,
            "snippet": {"publishedAt": "2026-11-01T10:00:00Z", "title": "t"},
            "contentDetails": {"duration": "PT5M"},
            "statistics": {"viewCount": "10"},
        }
        for video_id in ids
    ]
    return httpx.Response(200, json={"kind": "youtube#videoListResponse", "items": items})


class TestQuotaCost:
    def test_a_unit_per_50_videos_details_included(self, http, settings):
        cost = YouTubeAdapter(http, settings).quota_cost
        assert [cost(n) for n in (0, 1, 50, 51, 100)] == [0, 1, 1, 2, 2]
        # snippet and contentDetails ride on the same call: details cost nothing more.
        assert cost(50, details=50) == 1

    @respx.mock
    async def test_is_what_a_full_batch_spends(self, http, settings):
        route = respx.get(f"{API}/videos").mock(side_effect=_videos)
        adapter = YouTubeAdapter(http, settings)
        ids = [f"video{n:06d}" for n in range(adapter.max_batch)]
        stats = await adapter.fetch_post_stats(ids, Credentials(api_key="k"), details_for=ids)
        assert len(stats) == 50
        assert route.call_count == adapter.quota_cost(len(ids), len(ids)) == 1
        assert route.calls.last.request.url.params["part"] == "snippet,statistics,contentDetails"

    def test_default_budget_is_the_documented_daily_quota(self):
        limit = limit_for(Settings(_env_file=None, env="test"), "youtube")
        assert (limit.calls, limit.per_s) == (10_000, 86_400)
