"""Vetting signals and scores (METRICS.md, "Vetting signals"; docs/vetting.md says every
threshold, band and weight below and why). Pure functions of an account's own history: its
settled posts, its daily follower counts and the benchmark for its platform and tier.

Each signal that fires carries its reason in words and numbers. Where the history is too short
to judge, the score is None and `insufficient_history` says what is missing: never a guess."""

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.metrics.engagement import (
    ACCOUNT_MIN_POSTS,
    account_engagement_rate,
    engagements,
    ratio,
)

# Engagement against the tier's benchmark.
LOW_FACTOR = 1 / 3
HIGH_FACTOR = 5.0
# Follower spikes: a modified z-score (Iglewicz and Hoaglin) above SPIKE_Z, on a day whose gain
# is also above SPIKE_SHARE of the followers the day before (a big z on a tiny, steady account
# is noise, not bought followers).
SPIKE_Z = 3.5
SPIKE_SHARE = 0.02
MAD_SCALE = 0.6745  # the MAD of a normal distribution is 0.6745 sigma
# When MAD is 0 (at least half the days gained exactly the median), the mean absolute deviation
# stands in: z = (x - median) / (1.253314 x meanAD), 1.253314 being sigma / meanAD for a normal.
MEAN_AD_SCALE = 1.253314
# Day-over-day gains needed before a day can be called an outlier: a week's worth.
MIN_GAINS = 7
# How far back the follower history is read.
HISTORY_DAYS = 90

# Comments per like, summed over the settled posts: outside this band the ratio is suspect
# (few comments: bought likes; many: comment pods, giveaways or bots). Sway's heuristic, set
# wide on purpose: no study in landscape.md publishes a band.
COMMENT_LIKE_BANDS: dict[str, tuple[float, float]] = {
    "instagram": (0.002, 0.2),
    "tiktok": (0.001, 0.2),
    "youtube": (0.005, 0.3),
    "x": (0.005, 0.5),
    "facebook": (0.005, 0.5),
    "linkedin": (0.01, 1.0),
    "pinterest": (0.0, 0.3),
    "demo": (0.01, 0.15),
}

# Points off 100 per signal: a base when it fires, plus a severity-scaled part (severity 0 at
# the threshold, 1 at SEVERE x past it).
# Fewer likes than this over the posts is too small a sample for the ratio: twenty posts of a
# dozen likes and no comment are normal for a small account.
MIN_LIKES_FOR_RATIO = 1_000

PENALTIES = {
    "low_engagement_for_tier": (15.0, 15.0),
    "implausible_engagement": (25.0, 25.0),
    "follower_spike": (30.0, 30.0),
    "comment_like_ratio": (10.0, 15.0),
}
IMPLAUSIBLE_SEVERE = 10.0  # x the benchmark: full severity
SPIKE_SEVERE_SHARE = 0.20  # a fifth of the followers in a day: full severity
BAND_SEVERE = 5.0  # 5 x outside the band: full severity


@dataclass(frozen=True)
class PostFigures:
    """One post as vetting reads it: its latest counts and the followers it is rated against."""

    published_at: datetime | None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    followers: int | None = None
    caption: str | None = None

    @property
    def rate(self) -> float | None:
        return ratio(
            engagements(self.likes, self.comments, self.shares, self.saves), self.followers
        )


@dataclass(frozen=True)
class Fired:
    code: str
    detail: str
    value: float
    threshold: float
    penalty: float


@dataclass
class AuthenticityResult:
    score: float | None
    signals: list[Fired] = field(default_factory=list)
    insufficient_history: list[str] = field(default_factory=list)
    # Signals that could not be checked (e.g. no likes reported); the score stands without them.
    unchecked: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return "insufficient_history" if self.insufficient_history else None


def _pct(value: float) -> str:
    return f"{value:.2%}".replace("%", " %")


def _penalty(code: str, severity: float) -> float:
    base, scaled = PENALTIES[code]
    return round(base + scaled * min(1.0, max(0.0, severity)), 1)


def engagement_signal(rate: float, benchmark: float, label: str) -> Fired | None:
    """low_engagement_for_tier below LOW_FACTOR x the benchmark, implausible_engagement above
    HIGH_FACTOR x; `label` names the benchmark (e.g. "instagram/micro")."""
    times = rate / benchmark
    if times < LOW_FACTOR:
        threshold = benchmark * LOW_FACTOR
        return Fired(
            "low_engagement_for_tier",
            f"engagement rate {_pct(rate)} is {times:.2f} x the {label} benchmark "
            f"{_pct(benchmark)}, below a third of it ({_pct(threshold)})",
            rate,
            threshold,
            _penalty("low_engagement_for_tier", 1 - times / LOW_FACTOR),
        )
    if times > HIGH_FACTOR:
        threshold = benchmark * HIGH_FACTOR
        severity = (times - HIGH_FACTOR) / (IMPLAUSIBLE_SEVERE - HIGH_FACTOR)
        return Fired(
            "implausible_engagement",
            f"engagement rate {_pct(rate)} is {times:.2f} x the {label} benchmark "
            f"{_pct(benchmark)}, above five times it ({_pct(threshold)})",
            rate,
            threshold,
            _penalty("implausible_engagement", severity),
        )
    return None


@dataclass(frozen=True)
class Gain:
    day: date  # the day the gain was seen (the later of the two)
    per_day: float  # followers gained per day since the previous day on record
    before: int  # followers on the previous day on record


def daily_gains(history: Sequence[tuple[date, int]]) -> list[Gain]:
    """Day-over-day gains from one follower count per UTC day (oldest first). A gap of several
    days is spread evenly over them, so a missed sync does not look like a spike."""
    gains = []
    for (day0, count0), (day1, count1) in zip(history, history[1:], strict=False):
        days = (day1 - day0).days
        if days > 0:
            gains.append(Gain(day1, (count1 - count0) / days, count0))
    return gains


def robust_z(values: Sequence[float]) -> list[float]:
    """Modified z-scores 0.6745 (x - median) / MAD; with MAD 0, (x - median) / (1.253314 x
    meanAD); with both 0 (every value the same) every score is 0: nothing stands out."""
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return [MAD_SCALE * (v - median) / mad for v in values]
    mean_ad = statistics.fmean(deviations)
    if mean_ad == 0:
        return [0.0 for _ in values]
    return [(v - median) / (MEAN_AD_SCALE * mean_ad) for v in values]


def follower_spike(gains: Sequence[Gain]) -> Fired | None:
    """The largest day whose gain is an outlier (z > SPIKE_Z) and above SPIKE_SHARE of the
    followers before it; how many such days there were goes in the detail."""
    scores = robust_z([g.per_day for g in gains])
    spikes = [
        (g, z)
        for g, z in zip(gains, scores, strict=True)
        if z > SPIKE_Z and g.before > 0 and g.per_day / g.before > SPIKE_SHARE
    ]
    if not spikes:
        return None
    gain, z = max(spikes, key=lambda pair: pair[0].per_day / pair[0].before)
    share = gain.per_day / gain.before
    median = statistics.median(g.per_day for g in gains)
    others = f"; {len(spikes)} such days in the history" if len(spikes) > 1 else ""
    return Fired(
        "follower_spike",
        f"followers rose by {gain.per_day:,.0f} a day ({_pct(share)} of {gain.before:,}) on "
        f"{gain.day.isoformat()}, a robust z-score of {z:,.1f} against {len(gains)} daily gains "
        f"(median {median:,.0f}); a spike is z > {SPIKE_Z} and > {_pct(SPIKE_SHARE)}{others}",
        share,
        SPIKE_SHARE,
        _penalty("follower_spike", (share - SPIKE_SHARE) / (SPIKE_SEVERE_SHARE - SPIKE_SHARE)),
    )


def comment_like_signal(
    posts: Sequence[PostFigures], band: tuple[float, float]
) -> tuple[Fired | None, str | None]:
    """(signal or None, why it could not be checked or None): comments per like summed over
    the posts that report both."""
    both = [p for p in posts if p.likes is not None and p.comments is not None]
    likes = sum(p.likes or 0 for p in both)
    if likes == 0:
        return None, "comment_like_ratio: no post reports both likes and comments (or no likes)"
    if likes < MIN_LIKES_FOR_RATIO:
        return None, (
            f"comment_like_ratio: {likes:,} likes over {len(both)} posts, fewer than the "
            f"{MIN_LIKES_FOR_RATIO:,} needed to judge the ratio"
        )
    comments = sum(p.comments or 0 for p in both)
    value, (low, high) = comments / likes, band
    if low <= value <= high:
        return None, None
    threshold = high if value > high else low
    outside = value / high if value > high else (low / value if value else math.inf)
    side = "above" if value > high else "below"
    return (
        Fired(
            "comment_like_ratio",
            f"{comments:,} comments per {likes:,} likes over {len(both)} posts ({value:.4f}), "
            f"{side} the platform's band {low:g}-{high:g}",
            value,
            threshold,
            _penalty("comment_like_ratio", (outside - 1) / (BAND_SEVERE - 1)),
        ),
        None,
    )


def authenticity(
    settled: Sequence[PostFigures],
    benchmark: float | None,
    benchmark_label: str,
    history: Sequence[tuple[date, int]],
    band: tuple[float, float] | None,
) -> AuthenticityResult:
    """`settled`: the account's last (up to 12) settled posts with a defined rate; `history`:
    its last follower count per UTC day, oldest first."""
    missing = []
    rates = [p.rate for p in settled if p.rate is not None]
    rate = account_engagement_rate(rates)
    if rate is None:
        missing.append(
            f"fewer than {ACCOUNT_MIN_POSTS} settled posts with engagement counts "
            f"(have {len(rates)})"
        )
    if benchmark is None:
        missing.append("no benchmark for the account's platform and tier (followers unknown)")
    gains = daily_gains(history)
    if len(gains) < MIN_GAINS:
        missing.append(f"fewer than {MIN_GAINS + 1} days of follower history (have {len(history)})")
    if missing:
        return AuthenticityResult(None, insufficient_history=missing)
    assert rate is not None and benchmark is not None
    fired = [engagement_signal(rate, benchmark, benchmark_label), follower_spike(gains)]
    unchecked = []
    if band is None:
        unchecked.append("comment_like_ratio: no band for this platform")
    else:
        signal, why = comment_like_signal(settled, band)
        fired.append(signal)
        unchecked += [why] if why else []
    signals = [s for s in fired if s is not None]
    score = round(max(0.0, 100.0 - sum(s.penalty for s in signals)), 1)
    return AuthenticityResult(score, signals, unchecked=unchecked)


# Influence: each component scored 0-100, weighted; missing ones left out and the rest
# renormalized.
INFLUENCE_WEIGHTS = {
    "engagement": 0.35,
    "authenticity": 0.25,
    "consistency": 0.15,
    "growth": 0.15,
    "niche_fit": 0.10,
}
MIN_CONSISTENCY_POSTS = 4  # three gaps between them
GROWTH_DAYS = 30
# follower_growth_30d to score: 0 % is 50, +10 % a month is 100, -10 % is 0.
GROWTH_SCALE = 500.0


@dataclass(frozen=True)
class Component:
    name: str
    value: float | None
    score: float
    reason: str


@dataclass
class InfluenceResult:
    score: float | None
    components: list[tuple[Component, float]]  # with the renormalized weight
    missing: list[str]


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return min(high, max(low, value))


def engagement_component(
    rate: float | None, benchmark: float | None, label: str
) -> Component | str:
    if rate is None or benchmark is None:
        return "engagement: no engagement rate or no benchmark"
    times = rate / benchmark
    if times > HIGH_FACTOR:
        # Implausibly high engagement earns nothing past the benchmark: authenticity judges it.
        return Component(
            "engagement",
            rate,
            50.0,
            f"{_pct(rate)} is {times:.2f} x the {label} benchmark {_pct(benchmark)}: above "
            "five times it, so counted as the benchmark (50)",
        )
    return Component(
        "engagement",
        rate,
        round(_clamp(50 * times), 1),
        f"{_pct(rate)} is {times:.2f} x the {label} benchmark {_pct(benchmark)} "
        "(the benchmark scores 50, twice it 100)",
    )


def authenticity_component(score: float | None) -> Component | str:
    if score is None:
        return "authenticity: no score (insufficient history)"
    return Component("authenticity", score, score, f"authenticity score {score:g}")


def consistency_component(published: Sequence[datetime]) -> Component | str:
    """1 - the coefficient of variation of the gaps between recent posts, clamped to 0-1."""
    times = sorted(published)
    if len(times) < MIN_CONSISTENCY_POSTS:
        return f"consistency: fewer than {MIN_CONSISTENCY_POSTS} posts with a publish time"
    gaps = [(b - a).total_seconds() / 3600 for a, b in zip(times, times[1:], strict=False)]
    mean = statistics.fmean(gaps)
    if mean == 0:
        return "consistency: every post published at the same instant"
    cv = statistics.pstdev(gaps) / mean
    return Component(
        "consistency",
        cv,
        round(100 * _clamp(1 - cv, 0.0, 1.0), 1),
        f"{len(gaps)} gaps between posts average {mean / 24:.1f} days with a coefficient of "
        f"variation of {cv:.2f} (score 100 x (1 - cv))",
    )


def follower_growth(
    history: Sequence[tuple[datetime, int]], now: datetime, days: int = GROWTH_DAYS
) -> float | None:
    """METRICS.md follower_growth_30d: the relative change from the latest count at or before
    `days` ago to the latest count now; None without a count that old or with 0 then."""
    cutoff = now - timedelta(days=days)
    old = [count for at, count in history if at <= cutoff]
    recent = [count for at, count in history if at <= now]
    if not old or not recent or old[-1] == 0:
        return None
    return (recent[-1] - old[-1]) / old[-1]


def growth_component(growth: float | None) -> Component | str:
    if growth is None:
        return f"growth: no follower count from {GROWTH_DAYS} days ago"
    return Component(
        "growth",
        growth,
        round(_clamp(50 + GROWTH_SCALE * growth), 1),
        f"followers changed {'+' if growth >= 0 else ''}{_pct(growth)} in {GROWTH_DAYS} days "
        "(0 % scores 50, +10 % 100, -10 % 0)",
    )


_MENTION = re.compile(r"@[\w.]+")
_WORD = re.compile(r"#?\w+")


def _words(caption: str) -> list[str]:
    """A caption's words and hashtags (without #), lower case; @mentions are left out: a
    brand's handle is not the creator's topic."""
    return [w.lstrip("#") for w in _WORD.findall(_MENTION.sub(" ", caption.casefold()))]


def carries_niche(caption: str, niche: str) -> bool:
    """The niche as a word or a run of words ("home decor"), or as one hashtag ("#homedecor")."""
    words, wanted = _words(caption), _words(niche)
    if not wanted:
        return False
    joined = "".join(wanted)
    if joined in words:
        return True
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


def niche_component(captions: Sequence[str], niches: Sequence[str]) -> Component | str:
    if not niches:
        return "niche_fit: the creator has no niches"
    if not captions:
        return "niche_fit: no recent captions"
    hits = sum(any(carries_niche(c, n) for n in niches) for c in captions)
    share = hits / len(captions)
    return Component(
        "niche_fit",
        share,
        round(100 * share, 1),
        f"{hits} of {len(captions)} recent captions carry one of {', '.join(niches)}",
    )


def influence(parts: Sequence[Component | str]) -> InfluenceResult:
    present = [p for p in parts if isinstance(p, Component)]
    missing = [p for p in parts if isinstance(p, str)]
    total = sum(INFLUENCE_WEIGHTS[p.name] for p in present)
    if not present:
        return InfluenceResult(None, [], missing)
    weighted = [(p, INFLUENCE_WEIGHTS[p.name] / total) for p in present]
    score = round(sum(p.score * w for p, w in weighted), 1)
    return InfluenceResult(score, weighted, missing)


def combine_accounts(accounts: Sequence[tuple[float, int | None]]) -> list[float]:
    """Each account's weight in its creator's influence: its share of the followers of the
    accounts that have a score; equal shares when no follower count is known."""
    total = sum(followers or 0 for _, followers in accounts)
    if total == 0:
        return [1 / len(accounts) for _ in accounts]
    return [(followers or 0) / total for _, followers in accounts]
