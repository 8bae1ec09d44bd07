"""The capability of platforms that report a connected account's audience by age, gender,
country or city (Instagram follower demographics, YouTube Analytics viewer demographics): what
discovery's audience_fit reads (docs/discovery.md, "Audience"). Every source speaks the same
buckets: age ranges as AGE_RANGES, genders as GENDERS, ISO 3166-1 alpha-2 country codes.

TikTok (Display API), X, Pinterest and LinkedIn give ordinary apps no audience demographics of a
creator's account (docs/platforms.md), so they have no AudienceSource."""

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import httpx

from shared.config import Settings
from shared.platforms.base import AccountRef, Credentials

DIMENSIONS = ("age", "gender", "country", "city")
AGE_RANGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("female", "male", "other")


@dataclass(frozen=True, slots=True)
class AudienceBreakdown:
    """One dimension of an audience: each bucket's fraction (0..1, summing to 1 over the
    buckets the platform reported), and what they are fractions of where it says."""

    dimension: str
    source: str
    shares: dict[str, float]
    total: int | None = None


@runtime_checkable
class AudienceSource(Protocol):
    source_platform: str  # whose request budget its calls spend

    async def fetch_audience(
        self, account: AccountRef, creds: Credentials | None
    ) -> list[AudienceBreakdown]:
        """Every dimension the platform reports for this account; raises the adapter errors."""
        ...

    def audience_cost(self) -> int: ...


def shares_of(counts: dict[str, float]) -> tuple[dict[str, float], float]:
    """Counts (or percentages) as fractions of their sum, rounded to 1e-6; and the sum."""
    total = sum(value for value in counts.values() if value > 0)
    if total <= 0:
        return {}, 0
    shares = {key: round(value / total, 6) for key, value in counts.items() if value > 0}
    return shares, total


def get_audience_source(
    platform: str, client: httpx.AsyncClient, settings: Settings
) -> AudienceSource | None:
    """The audience source of `platform`, or None where the platform gives none."""
    from shared.platforms.instagram import InstagramAdapter
    from shared.platforms.youtube_analytics import YouTubeAnalytics

    if platform == "instagram":
        return InstagramAdapter(client, settings)
    if platform == "youtube":
        return YouTubeAnalytics(client, settings)
    return None
