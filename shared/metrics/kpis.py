"""The names of every campaign KPI in METRICS.md; campaign goals may target any of them."""

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
    "clicks",
    "conversions",
    "leads",
    "mentions",
)
RATES = ("engagement_rate", "engagement_rate_by_reach", "ctr", "roi", "roas", "disclosure_rate")
MONEY = ("revenue", "cost", "cpe", "cpm", "cpv", "cpc", "cpa", "cpl", "emv")

KPI_NAMES: frozenset[str] = frozenset(COUNTS + RATES + MONEY)
