from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.post import disclosure
from shared.metrics.tiers import tier_for
from shared.platforms import get_adapter
from shared.platforms.base import AccountRef, Platform, PlatformAdapter
from shared.platforms.demo import (
    DemoAdapter,
    base_followers,
    caption,
    followers_at,
    published_at,
)

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

    async def test_listing_and_stats_give_the_same_caption(self):
        ref = AccountRef(Platform.demo, "ada")
        [listed, *_] = await adapter().list_posts(ref, None, since=None)
        stats = (await adapter().fetch_post_stats([listed.external_id], None))[listed.external_id]
        number = int(listed.external_id.rpartition("-")[2])
        assert listed.caption == stats.details.caption == caption("ada", number)
        assert {"sway"} <= disclosure.hashtags(listed.caption)
        assert {"acme.coffee"} <= disclosure.mentions(listed.caption)


class TestNamedFollowerCount:
    @pytest.mark.parametrize(
        ("handle", "base", "tier"),
        [
            ("rio.reads.600", 600, "emerging"),
            ("ada.brews.3k", 3_000, "nano"),
            ("ada_brews_3K", 3_000, "nano"),
            ("luca.trails.20k", 20_000, "micro"),
            ("mina.makes.150k", 150_000, "mid"),
            ("sol.fitness.1m", 1_000_000, "mega"),
        ],
    )
    def test_a_count_ending_the_handle_is_its_base_and_keeps_its_tier(self, handle, base, tier):
        assert base_followers(handle) == base
        assert followers_at(handle, datetime(2026, 1, 1, tzinfo=UTC)) == base
        later = [datetime(year, 6, 1, tzinfo=UTC) for year in (2026, 2027, 2030, 2100)]
        counts = [followers_at(handle, at) for at in later]
        assert counts == sorted(counts) and counts[0] > base
        assert all(count <= base * 1.5 for count in counts)
        assert {tier_for(count) for count in counts} == {tier}

    @pytest.mark.parametrize("handle", ["ada", "ada.lovelace", "page-12", "ada.1234", "ada.brews"])
    def test_other_handles_keep_the_hashed_base(self, handle):
        import hashlib

        seed = int(hashlib.sha256(handle.encode()).hexdigest()[:8], 16)
        assert base_followers(handle) == 2_000 + seed % 398_000


class TestCaptions:
    def test_six_posts_in_a_row_show_every_disclosure_outcome(self):
        for handle in ("ada", "sol.fitness.1m"):
            checks = [
                disclosure.check(caption(handle, n), required=True, platform="demo")
                for n in range(40, 46)
            ]
            assert sorted(str(c["reason"]) for c in checks) == [
                "None",
                "None",
                "after_fold",
                "buried_in_hashtags",
                "missing",
                "shorthand_only",
            ]

    def test_deterministic_and_numbered(self):
        assert caption("ada", 7) == caption("ADA", 7)
        assert "Demo post 7" in caption("ada", 7)
        assert caption("ada", 7) != caption("ada", 8)

    async def test_posts_published_over_a_week_span_at_least_three_outcomes(self):
        since = NOW - timedelta(days=7)
        posts = await adapter().list_posts(AccountRef(Platform.demo, "luca"), None, since=since)
        reasons = {disclosure.check(p.caption, required=True)["reason"] for p in posts}
        assert len(reasons) >= 3


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
