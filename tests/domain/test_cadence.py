from datetime import timedelta

import pytest

from shared.config import Settings
from shared.domain.post.cadence import next_refresh_at
from tests.factories import utc

NOW = utc(2026, 11, 20, 12)
SETTINGS = Settings(_env_file=None, env="test")


class TestNextRefreshAt:
    @pytest.mark.parametrize(
        ("age", "every"),
        [
            (timedelta(minutes=5), timedelta(hours=1)),
            (timedelta(hours=23, minutes=59), timedelta(hours=1)),
            (timedelta(hours=24), timedelta(hours=6)),
            (timedelta(days=6), timedelta(hours=6)),
            (timedelta(days=7), timedelta(days=1)),
            (timedelta(days=29), timedelta(days=1)),
            (timedelta(days=30), timedelta(days=7)),
            (timedelta(days=89), timedelta(days=7)),
        ],
    )
    def test_dense_while_young_sparse_later(self, age, every):
        assert next_refresh_at(SETTINGS, "youtube", NOW - age, NOW) == NOW + every

    def test_stops_past_horizon(self):
        assert next_refresh_at(SETTINGS, "x", NOW - timedelta(days=90), NOW) is None

    def test_unknown_publish_time_is_treated_as_new(self):
        assert next_refresh_at(SETTINGS, "tiktok", None, NOW) == NOW + timedelta(hours=1)

    @pytest.mark.parametrize(
        ("tracked_for", "every"),
        [
            (timedelta(hours=2), timedelta(hours=1)),
            (timedelta(days=3), timedelta(hours=6)),
            (timedelta(days=40), timedelta(days=7)),
        ],
    )
    def test_unknown_publish_time_ages_from_when_tracking_began(self, tracked_for, every):
        since = NOW - tracked_for
        assert next_refresh_at(SETTINGS, "x", None, NOW, tracked_since=since) == NOW + every

    def test_unknown_publish_time_still_stops_at_the_horizon(self):
        since = NOW - timedelta(days=90)
        assert next_refresh_at(SETTINGS, "x", None, NOW, tracked_since=since) is None

    def test_demo_refreshes_on_its_short_fixed_cadence(self):
        assert next_refresh_at(SETTINGS, "demo", NOW - timedelta(days=60), NOW) == NOW + timedelta(
            seconds=180
        )

    def test_numbers_come_from_settings(self):
        custom = SETTINGS.model_copy(update={"cadence_hourly_every_s": 600})
        assert next_refresh_at(custom, "x", NOW, NOW) == NOW + timedelta(minutes=10)
