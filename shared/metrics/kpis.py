"""The names of every campaign KPI in METRICS.md; campaign goals and the KPI timeseries may
target any of them."""

from typing import Annotated

from pydantic import AfterValidator, Field

COUNTS = (
    "posts",
    "creators",
    "impressions",
    "reach",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "engagements",
    "engagements_24h",
    "engagements_7d",
    "engagements_30d",
    "clicks",
    "unique_clicks",
    "platform_clicks",
    "conversions",
    "leads",
    "mentions",
    "competitor_mentions",
)
RATES = (
    "engagement_rate",
    "engagement_rate_by_reach",
    "engagement_rate_by_views",
    "engagement_rate_24h",
    "engagement_rate_7d",
    "engagement_rate_30d",
    "ctr",
    "roi",
    "roas",
    "disclosure_rate",
    # (positive − negative) / analysed texts, -1..1 (docs/listening.md).
    "sentiment_net",
    # Cost per unit: ratios, so unrounded like every ratio.
    "cpe",
    "cpm",
    "cpv",
    "cpc",
    "cpa",
    "cpl",
)
# Decimal strings with two places, in the campaign's currency.
MONEY = ("revenue", "cost", "emv")

KPI_NAMES: frozenset[str] = frozenset(COUNTS + RATES + MONEY)


def _known(value: str) -> str:
    if value not in KPI_NAMES:
        raise ValueError(f"unknown KPI {value!r}; one of: {', '.join(sorted(KPI_NAMES))}")
    return value


# A request field naming a KPI: the document lists the names, and any other is a 422.
KpiName = Annotated[
    str,
    AfterValidator(_known),
    Field(
        description="A KPI name from docs/metrics.md", json_schema_extra={"enum": sorted(KPI_NAMES)}
    ),
]
