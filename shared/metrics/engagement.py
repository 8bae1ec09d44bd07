"""Post- and account-level formulas of METRICS.md, from raw counts. None means undefined,
never 0."""

import statistics
from collections.abc import Sequence


def engagements(
    likes: int | None, comments: int | None, shares: int | None, saves: int | None
) -> int | None:
    """likes + comments + shares + saves; missing parts count as 0, None only if all are."""
    parts = (likes, comments, shares, saves)
    if all(part is None for part in parts):
        return None
    return sum(part or 0 for part in parts)


def engagements_sql(row: str) -> str:
    """`engagements` above as SQL over a row with the four counts (`row` its alias)."""
    parts = [f"{row}.{name}" for name in ("likes", "comments", "shares", "saves")]
    return (
        f"CASE WHEN {' AND '.join(f'{p} IS NULL' for p in parts)} THEN NULL"
        f" ELSE {' + '.join(f'coalesce({p}, 0)' for p in parts)} END"
    )


# Age-normalized engagements: the snapshot nearest to published_at + age, within a tenth of the
# age either side (METRICS.md); the ages in seconds.
AGES = {"24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
AGE_TOLERANCE = 0.1


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """A ratio with a zero or unknown denominator (or unknown numerator) is undefined."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


# An account's engagement rate: the median over its last ACCOUNT_POSTS posts, with at least
# ACCOUNT_MIN_POSTS of them, so one viral post does not define a creator.
ACCOUNT_POSTS = 12
ACCOUNT_MIN_POSTS = 3


def account_engagement_rate(post_rates: Sequence[float | None]) -> float | None:
    """The median of the posts' engagement rates (undefined ones left out), or None with fewer
    than ACCOUNT_MIN_POSTS defined rates."""
    rates = [rate for rate in post_rates if rate is not None]
    if len(rates) < ACCOUNT_MIN_POSTS:
        return None
    return float(statistics.median(rates))
