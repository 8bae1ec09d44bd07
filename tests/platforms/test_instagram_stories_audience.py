"""Instagram stories (the stories edge and their insights) and follower demographics, replayed
from recorded responses at the real Graph URLs."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from shared.platforms.audience import AudienceBreakdown, AudienceSource, get_audience_source
from shared.platforms.base import (
    AccountRef,
    AdapterError,
    AuthExpired,
    Credentials,
    NotFound,
    Platform,
    PostStats,
    RateLimited,
)
from shared.platforms.instagram import InstagramAdapter
from shared.platforms.stories import StorySource
from tests.platforms.conftest import fixture_json, replay

pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)

BASE = "https://graph.facebook.com/v25.0"
USER_ID = "17841405822304914"
ACCOUNT = AccountRef(Platform.instagram, "ada.brews", USER_ID)
CREDS = Credentials(access_token="test-token")
STORY, QUIET = "17861937508009798", "17862253585030136"
STORY_METRICS = "views,reach,replies,shares,total_interactions"


@pytest.fixture
def adapter(http, settings) -> InstagramAdapter:
    return InstagramAdapter(http, settings)


def batch(name: str) -> httpx.Response:
    return httpx.Response(200, json=fixture_json("instagram", name))


def relative_urls(request: httpx.Request) -> list[str]:
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    return [item["relative_url"] for item in json.loads(form["batch"])]


class TestCapabilities:
    def test_instagram_lists_stories_and_reports_its_audience(self, adapter, http, settings):
        assert isinstance(adapter, StorySource)
        assert isinstance(adapter, AudienceSource)
        assert isinstance(get_audience_source("instagram", http, settings), InstagramAdapter)

    @pytest.mark.parametrize("platform", ["tiktok", "x", "pinterest", "linkedin", "facebook"])
    def test_platforms_without_demographics_have_no_source(self, http, settings, platform):
        assert get_audience_source(platform, http, settings) is None


class TestListStories:
    async def test_live_stories_with_their_captions_and_times(self, adapter, respx_mock):
        route = respx_mock.get(f"{BASE}/{USER_ID}/stories").mock(
            return_value=replay("instagram", "stories.json")
        )
        stories = await adapter.list_stories(ACCOUNT, CREDS)
        params = route.calls.last.request.url.params
        assert params["fields"] == "id,caption,media_type,media_product_type,permalink,timestamp"
        assert params["access_token"] == "test-token"
        assert [(s.external_id, s.kind, s.published_at) for s in stories] == [
            (STORY, "story", datetime(2026, 3, 1, 9, tzinfo=UTC)),
            (QUIET, "story", datetime(2026, 3, 1, 10, 30, tzinfo=UTC)),
        ]
        assert stories[0].caption == "Morning pour-over with @acme.coffee #sway"
        assert stories[1].caption is None

    async def test_expired_token(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}/stories").mock(
            return_value=replay("instagram", "expired_token.json")
        )
        with pytest.raises(AuthExpired):
            await adapter.list_stories(ACCOUNT, CREDS)

    async def test_throttled(self, adapter, respx_mock):
        respx_mock.get(f"{BASE}/{USER_ID}/stories").mock(
            return_value=replay("instagram", "throttled.json")
        )
        with pytest.raises(RateLimited):
            await adapter.list_stories(ACCOUNT, CREDS)

    async def test_account_without_its_ig_user_id(self, adapter):
        with pytest.raises(NotFound):
            await adapter.list_stories(AccountRef(Platform.instagram, "ada.brews"), CREDS)


class TestStoryInsights:
    async def test_story_metrics_only(self, adapter, respx_mock):
        route = respx_mock.post(f"{BASE}/").mock(return_value=batch("story_insights_batch.json"))
        stats = await adapter.fetch_story_insights([STORY], CREDS)
        assert relative_urls(route.calls.last.request) == [
            f"{STORY}/insights?metric={STORY_METRICS}"
        ]
        # Replies are the story's conversation: the common model's comments.
        assert stats == {STORY: PostStats(views=1830, reach=1422, comments=7, shares=12)}

    async def test_story_with_too_few_viewers_has_no_insights(self, adapter, respx_mock):
        respx_mock.post(f"{BASE}/").mock(return_value=batch("story_insights_too_few_batch.json"))
        assert await adapter.fetch_story_insights([QUIET], CREDS) == {}

    async def test_cost_is_the_listing_and_one_call_per_story(self, adapter):
        assert adapter.story_cost(3) == 4

    async def test_nothing_asked_nothing_sent(self, adapter):
        assert await adapter.fetch_story_insights([], CREDS) == {}


class TestFollowerDemographics:
    async def test_four_breakdowns_in_one_batch_as_shares(self, adapter, respx_mock):
        route = respx_mock.post(f"{BASE}/").mock(
            return_value=batch("follower_demographics_batch.json")
        )
        found = await adapter.fetch_audience(ACCOUNT, CREDS)
        assert relative_urls(route.calls.last.request) == [
            f"{USER_ID}/insights?metric=follower_demographics&period=lifetime"
            f"&metric_type=total_value&breakdown={breakdown}"
            for breakdown in ("age", "gender", "country", "city")
        ]
        source = "instagram.follower_demographics"
        # By hand from the fixture: 10,000 followers counted by age, gender and country.
        assert found[:3] == [
            AudienceBreakdown(
                "age", source, {"18-24": 0.2, "25-34": 0.5, "35-44": 0.2, "45-54": 0.1}, 10000
            ),
            AudienceBreakdown(
                "gender", source, {"female": 0.6, "male": 0.35, "other": 0.05}, 10000
            ),
            AudienceBreakdown(
                "country", source, {"US": 0.4, "GB": 0.22, "DE": 0.18, "FR": 0.2}, 10000
            ),
        ]
        # The top cities only: 3,500 followers counted.
        assert found[3].shares == {
            "London, England": 0.428571,
            "New York, New York": 0.342857,
            "Berlin, Berlin": 0.228571,
        }
        assert found[3].total == 3500

    async def test_a_breakdown_with_nothing_is_left_out(self, adapter, respx_mock):
        respx_mock.post(f"{BASE}/").mock(
            return_value=batch("follower_demographics_no_city_batch.json")
        )
        found = await adapter.fetch_audience(ACCOUNT, CREDS)
        assert [b.dimension for b in found] == ["age", "gender", "country"]

    async def test_account_too_small_says_why(self, adapter, respx_mock):
        respx_mock.post(f"{BASE}/").mock(
            return_value=batch("follower_demographics_too_small_batch.json")
        )
        with pytest.raises(AdapterError, match="fewer than 100 followers"):
            await adapter.fetch_audience(ACCOUNT, CREDS)

    async def test_no_token(self, adapter):
        with pytest.raises(AuthExpired):
            await adapter.fetch_audience(ACCOUNT, None)
