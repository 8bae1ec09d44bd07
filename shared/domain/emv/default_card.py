"""The built-in rate card (version 0), used until an organization writes its own.

Where a vendor publishes per-action values (Aspire's "TMV", for Instagram, TikTok and Pinterest)
they are used as published. Elsewhere no per-action value is published, so the card prices the
count that stands for "times shown" at Upfluence's default CPM of $6.50 (0.0065 per unit): a
CPM-equivalent, not a market value. docs/metrics.md ("EMV") shows the table."""

from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from shared.domain.emv.card import RateCard
from shared.platforms.base import Platform


class EmvMetric(StrEnum):
    """The post counts a card can price (a snapshot's counts, watch time aside)."""

    views = "views"
    impressions = "impressions"
    reach = "reach"
    likes = "likes"
    comments = "comments"
    shares = "shares"
    saves = "saves"
    clicks = "clicks"


DEFAULT_VERSION = 0
DEFAULT_CURRENCY = "USD"

_ASPIRE = "Aspire TMV published per-action values (USD)"
_CPM = (
    "no per-action value is published for {platform}; a CPM-equivalent at Upfluence's default "
    "CPM of $6.50 per 1,000 {unit} (0.0065 per {one}), not a market value"
)

_RATES: dict[Platform, dict[EmvMetric, str]] = {
    Platform.instagram: {
        EmvMetric.impressions: "0.003",
        # Instagram's views now count every display, as impressions did: priced like them.
        EmvMetric.views: "0.003",
        EmvMetric.likes: "0.15",
        EmvMetric.comments: "1",
        EmvMetric.clicks: "3",
    },
    Platform.tiktok: {EmvMetric.views: "0.03", EmvMetric.likes: "0.05", EmvMetric.shares: "0.05"},
    Platform.pinterest: {
        EmvMetric.clicks: "3",
        EmvMetric.saves: "3",
        EmvMetric.impressions: "0.05",
    },
    # YouTube's Data API reports views and no impressions.
    Platform.youtube: {EmvMetric.views: "0.0065"},
    # Meta replaced Facebook post impressions by media views (post_media_view): the adapter
    # reports views and no impressions, so the CPM-equivalent prices views.
    Platform.facebook: {EmvMetric.views: "0.0065"},
    Platform.x: {EmvMetric.impressions: "0.0065"},
    Platform.linkedin: {EmvMetric.impressions: "0.0065"},
    Platform.demo: {EmvMetric.impressions: "0.0065"},
}

SOURCES: dict[str, str] = {
    Platform.instagram.value: (
        f"{_ASPIRE}: impressions $0.003, likes $0.15, comments $1, clicks $3. Meta replaced "
        "Instagram impressions by views (2025-04-21), which count every display as impressions "
        "did, so views take the impression value ($0.003), not Aspire's $0.05 for a video view."
    ),
    Platform.tiktok.value: f"{_ASPIRE}: views $0.03, likes $0.05, shares $0.05.",
    Platform.pinterest.value: (
        f"{_ASPIRE}: clicks $3, saves $3, impressions $0.05 (close-ups, also $0.05, are not a "
        "count Sway records)."
    ),
    Platform.youtube.value: _CPM.format(platform="YouTube", unit="views", one="view")
    + "; YouTube's Data API reports views but no impressions.",
    Platform.facebook.value: _CPM.format(platform="Facebook", unit="media views", one="view")
    + "; Meta replaced post impressions by media views.",
    Platform.x.value: _CPM.format(platform="X", unit="impressions", one="impression") + ".",
    Platform.linkedin.value: _CPM.format(platform="LinkedIn", unit="impressions", one="impression")
    + ".",
    Platform.demo.value: _CPM.format(
        platform="the demo platform", unit="impressions", one="impression"
    )
    + ".",
}

# What the card's JSON form holds: {platform: {metric: "decimal text"}}.
RATES_JSON: dict[str, dict[str, str]] = {
    platform.value: {metric.value: rate for metric, rate in rates.items()}
    for platform, rates in _RATES.items()
}

DEFAULT_CARD = RateCard(
    version=DEFAULT_VERSION,
    currency=DEFAULT_CURRENCY,
    # Read-only: every caller shares this one card.
    rates=MappingProxyType(
        {
            platform: MappingProxyType({metric: Decimal(rate) for metric, rate in rates.items()})
            for platform, rates in RATES_JSON.items()
        }
    ),
)
