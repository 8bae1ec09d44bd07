"""Vetting signals and scores as pure functions (docs/vetting.md): crafted engagement and
follower histories that trip each signal and ones that must not, every number worked by hand
in the comments."""

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.metrics import vetting
from shared.metrics.vetting import Component, Gain, PostFigures

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
IG = vetting.COMMENT_LIKE_BANDS["instagram"]  # 0.002-0.2 comments per like


def _history(counts: list[int], start: date = date(2026, 11, 1)) -> list[tuple[date, int]]:
    return [(start + timedelta(days=i), count) for i, count in enumerate(counts)]


def _steady(days: int, start: int = 10_000, per_day: int = 100) -> list[tuple[date, int]]:
    return _history([start + per_day * i for i in range(days)])


def _posts(*rates_and_comments: tuple[int, int], followers: int = 10_000) -> list[PostFigures]:
    """Posts of (likes, comments) on `followers` followers, a day apart, settled."""
    return [
        PostFigures(NOW - timedelta(days=2 + i), likes, comments, 0, 0, followers)
        for i, (likes, comments) in enumerate(rates_and_comments)
    ]


class TestEngagementSignal:
    def test_below_a_third_of_the_benchmark_is_low(self):
        # 0.2 % against 1.2 %: 1/6 of it, under the third (0.4 %). Severity 1 - 3 x 1/6 = 0.5,
        # penalty 15 + 15 x 0.5 = 22.5.
        fired = vetting.engagement_signal(0.002, 0.012, "instagram/micro")
        assert fired == vetting.Fired(
            "low_engagement_for_tier",
            "engagement rate 0.20 % is 0.17 x the instagram/micro benchmark 1.20 %, below a "
            "third of it (0.40 %)",
            0.002,
            pytest.approx(0.004),
            22.5,
        )

    def test_above_five_times_is_implausible(self):
        # 9 % against 1.2 %: 7.5 x. Severity (7.5 - 5) / (10 - 5) = 0.5, penalty 25 + 12.5.
        fired = vetting.engagement_signal(0.09, 0.012, "instagram/micro")
        assert fired is not None
        assert (fired.code, fired.value, fired.penalty) == ("implausible_engagement", 0.09, 37.5)
        assert fired.threshold == pytest.approx(0.06)
        assert fired.detail == (
            "engagement rate 9.00 % is 7.50 x the instagram/micro benchmark 1.20 %, above five "
            "times it (6.00 %)"
        )

    def test_severity_stops_at_ten_times(self):
        # 30 % against 1.2 % is 25 x: severity capped at 1, penalty 25 + 25 = 50.
        assert vetting.engagement_signal(0.3, 0.012, "x").penalty == 50.0

    @pytest.mark.parametrize("rate", [0.0041, 0.012, 0.059])
    def test_within_a_third_and_five_times_is_quiet(self, rate):
        # 0.0041 / 0.012 = 0.342 > 1/3; 0.059 / 0.012 = 4.92 < 5.
        assert vetting.engagement_signal(rate, 0.012, "instagram/micro") is None


class TestFollowerSpike:
    def test_a_bought_day_stands_out(self):
        # Gains 100, 110, 90, 100, 105, 95, 100, 2000, 100: median 100; deviations 0, 10, 10,
        # 0, 5, 5, 0, 1900, 0, whose median (the MAD) is 5. The 2,000 day: z = 0.6745 x 1900 /
        # 5 = 256.31, and 2,000 / 10,700 = 18.69 % > 2 %. Severity (0.18692 - 0.02) / 0.18 =
        # 0.9273, penalty 30 + 30 x 0.9273 = 57.8.
        history = _history(
            [10_000, 10_100, 10_210, 10_300, 10_400, 10_505, 10_600, 10_700, 12_700, 12_800]
        )
        fired = vetting.follower_spike(vetting.daily_gains(history))
        assert fired is not None
        assert (fired.code, fired.threshold, fired.penalty) == ("follower_spike", 0.02, 57.8)
        assert fired.value == pytest.approx(2000 / 10_700)
        assert fired.detail == (
            "followers rose by 2,000 a day (18.69 % of 10,700) on 2026-11-09, a robust z-score "
            "of 256.3 against 9 daily gains (median 100); a spike is z > 3.5 and > 2.00 %"
        )

    def test_mad_zero_falls_back_to_the_mean_absolute_deviation(self):
        # Seven gains of 50 and one of 800: median 50, MAD 0. meanAD = 750 / 8 = 93.75, so
        # z = 750 / (1.253314 x 93.75) = 6.38 > 3.5; 800 / 5,350 = 14.95 % > 2 %.
        history = _history([5_000 + 50 * i for i in range(8)] + [5_350 + 800])
        gains = vetting.daily_gains(history)
        assert [g.per_day for g in gains] == [50] * 7 + [800]
        assert vetting.robust_z([g.per_day for g in gains])[-1] == pytest.approx(6.3831, abs=1e-4)
        fired = vetting.follower_spike(gains)
        assert fired is not None and fired.value == pytest.approx(800 / 5_350)
        # Severity (0.14953 - 0.02) / 0.18 = 0.7196: 30 + 21.6 = 51.6.
        assert fired.penalty == 51.6

    def test_every_day_the_same_is_no_outlier(self):
        # MAD 0 and meanAD 0: every z is 0.
        gains = vetting.daily_gains(_steady(10))
        assert vetting.robust_z([g.per_day for g in gains]) == [0.0] * 9
        assert vetting.follower_spike(gains) is None

    def test_an_outlier_under_two_percent_is_growth_not_a_spike(self):
        # A million followers, 1,000 a day, then 15,000 in a day: z is huge, but 15,000 /
        # 1,008,000 = 1.49 % < 2 %.
        counts = [1_000_000 + 1_000 * i + (i % 3) for i in range(9)]
        history = _history([*counts, counts[-1] + 15_000])
        assert vetting.follower_spike(vetting.daily_gains(history)) is None

    def test_a_big_share_that_is_the_usual_pace_is_no_outlier(self):
        # A small, fast-growing account: 5 % every day is its pace, so no day stands out.
        history = _history([int(1_000 * 1.05**i) for i in range(10)])
        assert vetting.follower_spike(vetting.daily_gains(history)) is None

    def test_a_gap_spreads_its_gain_over_the_missed_days(self):
        # 100 a day, then no count for two days: 300 over three days is 100 a day, not a spike.
        history = [*_steady(8), (date(2026, 11, 11), 10_700 + 300)]
        gains = vetting.daily_gains(history)
        assert gains[-1] == Gain(date(2026, 11, 11), 100.0, 10_700)
        assert vetting.follower_spike(gains) is None


class TestCommentLikeRatio:
    def test_too_few_comments_per_like(self):
        # 2 comments per 3,000 likes = 0.000667, under 0.002: 3 x below. Severity (3 - 1) / 4 =
        # 0.5, penalty 10 + 7.5 = 17.5.
        fired, why = vetting.comment_like_signal(_posts((1_500, 1), (1_500, 1)), IG)
        assert why is None and fired is not None
        assert (fired.code, fired.threshold, fired.penalty) == ("comment_like_ratio", 0.002, 17.5)
        assert fired.detail == (
            "2 comments per 3,000 likes over 2 posts (0.0007), below the platform's band 0.002-0.2"
        )

    def test_too_many_comments_per_like(self):
        # 3,000 comments per 3,000 likes = 1.0: 5 x above 0.2, severity 1, penalty 25.
        fired, _ = vetting.comment_like_signal(_posts((1_000, 1_000), (2_000, 2_000)), IG)
        assert (fired.value, fired.threshold, fired.penalty) == (1.0, 0.2, 25.0)
        assert "above the platform's band" in fired.detail

    def test_inside_the_band_is_quiet(self):
        # 60 / 3,000 = 0.02.
        assert vetting.comment_like_signal(_posts((3_000, 60)), IG) == (None, None)

    def test_posts_without_comments_reported_are_left_out(self):
        # The post with comments unknown is not counted: 60 / 3,000 again, inside.
        posts = [*_posts((3_000, 60)), PostFigures(NOW, 9_000, None, None, None, 10_000)]
        assert vetting.comment_like_signal(posts, IG) == (None, None)

    def test_fewer_than_a_thousand_likes_is_unchecked(self):
        fired, why = vetting.comment_like_signal(_posts((400, 0), (500, 0)), IG)
        assert fired is None
        assert why == (
            "comment_like_ratio: 900 likes over 2 posts, fewer than the 1,000 needed to judge "
            "the ratio"
        )

    def test_no_likes_reported_is_unchecked(self):
        posts = [PostFigures(NOW, None, 5, None, None, 1_000)]
        fired, why = vetting.comment_like_signal(posts, IG)
        assert fired is None and why.startswith("comment_like_ratio: no post reports")


class TestAuthenticity:
    def test_too_little_history_is_null_with_what_is_missing(self):
        result = vetting.authenticity(_posts((100, 5), (120, 6)), 0.012, "x", _steady(5), IG)
        assert result.score is None and result.signals == []
        assert result.reason == "insufficient_history"
        assert result.insufficient_history == [
            "fewer than 3 settled posts with engagement counts (have 2)",
            "fewer than 8 days of follower history (have 5)",
        ]

    def test_no_benchmark_is_null_too(self):
        posts = _posts((100, 5), (120, 6), (140, 7))
        result = vetting.authenticity(posts, None, "demo/None", _steady(8), IG)
        assert result.score is None
        assert result.insufficient_history == [
            "no benchmark for the account's platform and tier (followers unknown)"
        ]

    def test_a_clean_account_scores_100(self):
        # (likes + comments) / 10,000: 102, 122 and 142 make 0.0102, 0.0122, 0.0142; median
        # 0.0122 against 1.2 % (1.02 x): no engagement signal. Steady +100 a day: no spike.
        # Comments per like 6 / 360 = 0.0167, but 360 likes are too few to judge.
        posts = _posts((100, 2), (120, 2), (140, 2))
        result = vetting.authenticity(posts, 0.012, "instagram/micro", _steady(8), IG)
        assert (result.score, result.signals, result.insufficient_history) == (100.0, [], [])
        assert result.unchecked == [
            "comment_like_ratio: 360 likes over 3 posts, fewer than the 1,000 needed to judge "
            "the ratio"
        ]
        assert result.reason is None

    def test_signals_add_up(self):
        # Likes 900 / 1,000 / 1,100 with 0 comments on 10,000 followers: rates 0.09, 0.10,
        # 0.11, median 0.10, 8.33 x the 1.2 % benchmark: severity (8.333 - 5) / 5 = 0.6667,
        # penalty 25 + 16.67 = 41.7. Comments 0 per 3,000 likes: below the band infinitely,
        # severity 1, penalty 25. The spike history of TestFollowerSpike: 57.8.
        # 100 - 41.7 - 25 - 57.8 < 0: clamped to 0.
        posts = _posts((900, 0), (1_000, 0), (1_100, 0))
        spiky = _history(
            [10_000, 10_100, 10_210, 10_300, 10_400, 10_505, 10_600, 10_700, 12_700, 12_800]
        )
        result = vetting.authenticity(posts, 0.012, "instagram/micro", spiky, IG)
        assert [(s.code, s.penalty) for s in result.signals] == [
            ("implausible_engagement", 41.7),
            ("follower_spike", 57.8),
            ("comment_like_ratio", 25.0),
        ]
        assert result.score == 0.0

    def test_one_signal(self):
        # Rates 0.002, 0.0021, 0.0019 (20/21/19 likes per 10,000): median 0.002, 1/6 of 1.2 %:
        # penalty 22.5 (TestEngagementSignal), so 77.5.
        posts = _posts((20, 0), (21, 0), (19, 0))
        result = vetting.authenticity(posts, 0.012, "instagram/micro", _steady(8), IG)
        assert [s.code for s in result.signals] == ["low_engagement_for_tier"]
        assert result.score == 77.5

    def test_no_band_is_unchecked(self):
        posts = _posts((100, 2), (120, 2), (140, 2))
        result = vetting.authenticity(posts, 0.012, "x", _steady(8), None)
        assert result.unchecked == ["comment_like_ratio: no band for this platform"]


class TestInfluence:
    def test_all_components_weighted(self):
        # engagement 1.8 % / 1.2 % = 1.5 x: 50 x 1.5 = 75. authenticity 80. consistency: gaps
        # 48, 48, 48 h, cv 0: 100. growth +5 %: 50 + 500 x 0.05 = 75. niche fit 1 of 4: 25.
        # 0.35 x 75 + 0.25 x 80 + 0.15 x 100 + 0.15 x 75 + 0.10 x 25
        #   = 26.25 + 20 + 15 + 11.25 + 2.5 = 75.0
        published = [NOW - timedelta(hours=48 * i) for i in range(4)]
        captions = ["Morning #coffee", "Gym day", "New shoes", "Rainy walk"]
        parts = [
            vetting.engagement_component(0.018, 0.012, "instagram/micro"),
            vetting.authenticity_component(80.0),
            vetting.consistency_component(published),
            vetting.growth_component(0.05),
            vetting.niche_component(captions, ["coffee"]),
        ]
        result = vetting.influence(parts)
        assert result.score == 75.0
        assert [(c.name, c.score, w) for c, w in result.components] == [
            ("engagement", 75.0, 0.35),
            ("authenticity", 80.0, 0.25),
            ("consistency", 100.0, 0.15),
            ("growth", 75.0, 0.15),
            ("niche_fit", 25.0, pytest.approx(0.10)),
        ]
        assert result.missing == []

    def test_missing_components_are_left_out_and_weights_renormalized(self):
        # Without growth and niche fit: 0.35 + 0.25 + 0.15 = 0.75 of the weight is known.
        # 75 x 0.35/0.75 + 80 x 0.25/0.75 + 100 x 0.15/0.75 = 35 + 26.667 + 20 = 81.7.
        published = [NOW - timedelta(hours=48 * i) for i in range(4)]
        parts = [
            vetting.engagement_component(0.018, 0.012, "instagram/micro"),
            vetting.authenticity_component(80.0),
            vetting.consistency_component(published),
            vetting.growth_component(None),
            vetting.niche_component(["#coffee"], []),
        ]
        result = vetting.influence(parts)
        assert result.score == 81.7
        assert [round(w, 4) for _, w in result.components] == [0.4667, 0.3333, 0.2]
        assert result.missing == [
            "growth: no follower count from 30 days ago",
            "niche_fit: the creator has no niches",
        ]

    def test_nothing_known_is_null(self):
        result = vetting.influence(
            [vetting.engagement_component(None, 0.01, "x"), vetting.authenticity_component(None)]
        )
        assert (result.score, result.components) == (None, [])
        assert len(result.missing) == 2

    def test_implausible_engagement_counts_as_the_benchmark(self):
        # 8 % / 1.2 % = 6.67 x, above 5: scored 50, not 100.
        part = vetting.engagement_component(0.08, 0.012, "instagram/micro")
        assert isinstance(part, Component) and part.score == 50.0
        # 3 % / 1.2 % = 2.5 x: 125, clamped to 100.
        assert vetting.engagement_component(0.03, 0.012, "x").score == 100.0

    def test_irregular_posting_scores_lower(self):
        # Gaps 24, 72, 24 h: mean 40, population sd sqrt((16² + 32² + 16²) / 3) = 22.627, cv
        # 0.5657: 100 x (1 - 0.5657) = 43.4.
        hours = [0, 24, 96, 120]
        part = vetting.consistency_component([NOW + timedelta(hours=h) for h in hours])
        assert part.value == pytest.approx(0.565685, abs=1e-6)
        assert part.score == 43.4

    def test_too_few_posts_for_consistency(self):
        part = vetting.consistency_component([NOW, NOW - timedelta(days=1), NOW])
        assert part == "consistency: fewer than 4 posts with a publish time"

    @pytest.mark.parametrize(("growth", "score"), [(0.0, 50.0), (-0.1, 0.0), (0.2, 100.0)])
    def test_growth_scale(self, growth, score):
        assert vetting.growth_component(growth).score == score

    def test_follower_growth_30d_from_the_snapshot_at_or_before_30_days(self):
        # The latest count at or before 30 days ago is 1,000 (31 days ago); now 1,050: +5 %.
        history = [
            (NOW - timedelta(days=31), 1_000),
            (NOW - timedelta(days=20), 1_100),
            (NOW, 1_050),
        ]
        assert vetting.follower_growth(history, NOW) == pytest.approx(0.05)
        assert vetting.follower_growth(history[1:], NOW) is None

    @pytest.mark.parametrize(
        ("caption", "niche", "carries"),
        [
            ("Coffee time!", "coffee", True),
            ("first pour with @acme.coffee", "coffee", False),  # a mention is not a topic
            ("my coffeehouse", "coffee", False),  # a word, not a substring
            ("Ideas for #HomeDecor", "home decor", True),  # the niche as one hashtag
            ("home decor on a budget", "Home Decor", True),  # a run of words
            ("home and decor", "home decor", False),
        ],
    )
    def test_niche_as_a_word_or_hashtag(self, caption, niche, carries):
        assert vetting.carries_niche(caption, niche) is carries

    def test_a_creator_weighs_its_accounts_by_followers(self):
        # 9,000 and 1,000 followers: 0.9 and 0.1, so 0.9 x 80 + 0.1 x 40 = 76.
        weights = vetting.combine_accounts([(80.0, 9_000), (40.0, 1_000)])
        assert weights == [0.9, 0.1]
        assert vetting.combine_accounts([(80.0, None), (40.0, 0)]) == [0.5, 0.5]
