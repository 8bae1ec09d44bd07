from datetime import UTC, datetime

from shared.platforms import get_adapter
from shared.platforms.base import AccountRef, Platform, PlatformAdapter
from shared.platforms.demo import DemoAdapter, base_followers, published_at

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def adapter() -> DemoAdapter:
    return DemoAdapter(clock=lambda: NOW)


class TestDemoAdapter:
    def test_is_a_platform_adapter(self, http, settings):
        assert isinstance(get_adapter("demo", http, settings), PlatformAdapter)

    async def test_account_grows_from_its_base(self):
        ref = AccountRef(Platform.demo, "ada.lovelace")
        stats = await adapter().fetch_account(ref, None)
        days = (NOW - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds() / 86_400
        assert stats.followers == int(base_followers("ada.lovelace") * 1.002**days)
        assert stats.handle == "ada.lovelace"

    async def test_list_posts_newest_first_since(self):
        since = datetime(2026, 2, 20, tzinfo=UTC)
        posts = await adapter().list_posts(AccountRef(Platform.demo, "ada"), None, since=since)
        assert posts, "a post every two days must land in a nine-day window"
        assert all(p.published_at >= since for p in posts)
        assert [p.published_at for p in posts] == sorted(
            (p.published_at for p in posts), reverse=True
        )

    async def test_post_stats_by_hand(self):
        handle, number = "ada", 10
        age_h = (NOW - published_at(handle, number)).total_seconds() / 3600
        import math

        views = int(base_followers(handle) * 0.6 * (1 - math.exp(-age_h / 18)))
        stats = (await adapter().fetch_post_stats([f"{handle}-{number}"], None))[f"{handle}-10"]
        assert stats.views == views
        assert stats.likes == int(views * 0.06)
        assert stats.clicks is None

    async def test_unknown_and_future_ids_are_gone(self):
        result = await adapter().fetch_post_stats(["ada-999999", "nonsense", "ada-1"], None)
        assert list(result) == ["ada-1"]


class TestGetAdapter:
    EXPECTED_BATCH = {
        "instagram": 50,
        "facebook": 50,
        "youtube": 50,
        "tiktok": 20,
        "x": 100,
        "linkedin": 20,
        "pinterest": 100,
        "demo": 50,
    }

    def test_every_platform_has_an_adapter_keeping_the_protocol(self, http, settings):
        for platform, batch in self.EXPECTED_BATCH.items():
            adapter = get_adapter(platform, http, settings)
            assert isinstance(adapter, PlatformAdapter)
            assert (adapter.platform, adapter.max_batch) == (Platform(platform), batch)

    # One full batch, every post of it also needing its details: what the budget is charged.
    FULL_BATCH_COST = {
        "instagram": 100,  # two Graph sub-requests per post
        "facebook": 100,
        "youtube": 1,  # one call, details in the same answer
        "tiktok": 1,
        "x": 1,
        "linkedin": 2,  # a statistics call and a Posts lookup
        "pinterest": 101,  # an analytics call and a Pin lookup per pin
        "demo": 1,
    }

    def test_quota_cost_of_a_full_batch_with_details(self, http, settings):
        for platform, cost in self.FULL_BATCH_COST.items():
            adapter = get_adapter(platform, http, settings)
            batch = adapter.max_batch
            assert adapter.quota_cost(batch, details=batch) == cost, platform

    def test_unknown_platform(self, http, settings):
        import pytest

        with pytest.raises(ValueError, match="unknown platform"):
            get_adapter("myspace", http, settings)
