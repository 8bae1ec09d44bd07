"""When a post is next refreshed: the one function that spends platform quota where
engagement still moves. Its numbers live in settings."""

from datetime import datetime, timedelta

from shared.config import Settings
from shared.platforms.base import Platform


def next_refresh_at(
    settings: Settings,
    platform: str,
    published_at: datetime | None,
    now: datetime,
    *,
    tracked_since: datetime | None = None,
) -> datetime | None:
    """None means stop: the post is past the horizon and its numbers have settled. A post whose
    publish time is still unknown counts its age from when Sway began tracking it, so it is
    never refreshed hourly forever: at worst it runs the same course a post published then
    would."""
    if platform == Platform.demo:
        return now + timedelta(seconds=settings.demo_refresh_every_s)
    born = published_at or tracked_since or now
    age_s = max(0.0, (now - born).total_seconds())
    if age_s >= settings.cadence_horizon_s:
        return None
    return now + timedelta(seconds=_interval_s(settings, age_s))


def _interval_s(settings: Settings, age_s: float) -> int:
    steps = (
        (settings.cadence_hourly_until_s, settings.cadence_hourly_every_s),
        (settings.cadence_six_hourly_until_s, settings.cadence_six_hourly_every_s),
        (settings.cadence_daily_until_s, settings.cadence_daily_every_s),
    )
    for until_s, every_s in steps:
        if age_s < until_s:
            return every_s
    return settings.cadence_weekly_every_s
