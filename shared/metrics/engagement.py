"""Post-level formulas of METRICS.md, from raw counts. None means undefined, never 0."""


def engagements(
    likes: int | None, comments: int | None, shares: int | None, saves: int | None
) -> int | None:
    """likes + comments + shares + saves; missing parts count as 0, None only if all are."""
    parts = (likes, comments, shares, saves)
    if all(part is None for part in parts):
        return None
    return sum(part or 0 for part in parts)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """A ratio with a zero or unknown denominator (or unknown numerator) is undefined."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator
