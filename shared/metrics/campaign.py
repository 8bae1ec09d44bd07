"""Campaign KPIs of METRICS.md, from per-(creator, platform) tallies of the campaign's posts, the
collaborations' compensation and the EMV rate card. Pure: the SQL that makes the tallies lives in
shared/domain/kpi/repository.py, and docs/metrics.md states every formula in users' words.

A tally is a row of integers (FIELDS): for each count `x`, `x` is its sum over the posts that
report it and `n_x` how many posts do; for each ratio `r`, `r_num` and `r_den` are its two sums
over the posts where both sides are known. Tallies add up field by field, so totals, per-creator
and per-platform figures are all sums of the same group tallies, and every rate is a ratio of
sums."""

import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from shared.domain.emv.card import RateCard
from shared.metrics.engagement import AGES
from shared.models.post_snapshot import UNIT_COUNTS

# Counts summed over posts (the post's latest snapshot), in the order the API lists them.
SUMMED = ("impressions", "reach", "views", "likes", "comments", "shares", "saves", "engagements")
# What `coverage` reports: the fraction of posts that report each of these.
COVERED = (*SUMMED, "followers_at_post", *(f"engagements_{age}" for age in AGES))
# Counts the EMV rate card may price (a post's own clicks, as its platform reports them, count
# for EMV and are reported as `platform_clicks`; the `clicks` KPI is the campaign's
# tracking-link clicks).
PRICED = UNIT_COUNTS
CENT = Decimal("0.01")

# What a tally sums per post: the latest counts, engagements, followers_at_post and the
# age-normalized engagements.
TALLIED = (
    *UNIT_COUNTS,
    "engagements",
    "followers_at_post",
    *(f"engagements_{age}" for age in AGES),
)
# (name, numerator, denominator): both summed over the posts where the numerator is known and
# the denominator above 0 (a post whose account had no followers has no engagement rate).
RATIOS = (
    ("er", "engagements", "followers_at_post"),
    ("er_reach", "engagements", "reach"),
    ("er_views", "engagements", "views"),
    *((f"er_{age}", f"engagements_{age}", "followers_at_post") for age in AGES),
)
# Brand listening's counts per post (post_listening), summed: texts naming the brand or a
# competitor, and texts by sentiment (docs/listening.md).
LISTENED = (
    "mentions",
    "competitor_mentions",
    "positive",
    "neutral",
    "negative",
    "unanalysed",
    "pending",
)
FIELDS = (
    "posts",
    *(name for count in TALLIED for name in (count, f"n_{count}")),
    *(name for ratio, _, _ in RATIOS for name in (f"{ratio}_num", f"{ratio}_den")),
    "disclosure_required",
    "disclosure_passed",
    *LISTENED,
)
_INDEX = {name: i for i, name in enumerate(FIELDS)}


class Tally:
    """One row of FIELDS, read by name. Rows add up in C (map over operator.add), which keeps a
    campaign of thousands of creators cheap to break down."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[int] | None = None) -> None:
        self.values = list(values) if values is not None else [0] * len(FIELDS)

    def __getitem__(self, name: str) -> int:
        return self.values[_INDEX[name]]

    def add(self, other: "Tally") -> None:
        self.values = list(map(operator.add, self.values, other.values))


@dataclass(frozen=True, slots=True)
class Group:
    """The tally of one creator's posts on one platform."""

    creator_id: UUID
    platform: str
    tally: Tally


@dataclass(frozen=True, slots=True)
class Compensation:
    """A collaboration that is not declined, in the campaign's currency."""

    creator_id: UUID
    fee: Decimal | None
    product_value: Decimal | None
    commission_rate: Decimal | None


@dataclass(slots=True)
class Attribution:
    """What tracking links and promo codes add to a scope (one creator on one platform, or a
    sum of those): how many links and codes measure it, the links' clicks by people, and the
    conversions attributed to it. `conversions` are purchases not fully refunded; `revenue` is
    Σ purchases − Σ refunds in the campaign's currency, of those with a rate; `unconverted` the
    same per currency for those without one (never added to revenue)."""

    links: int = 0
    codes: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    rows: int = 0  # conversions of any kind attributed (purchases, refunds, leads)
    conversions: int = 0
    leads: int = 0
    revenue: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    def add(self, other: "Attribution") -> None:
        for name in ("links", "codes", "clicks", "unique_clicks", "rows", "conversions", "leads"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.revenue += other.revenue
        for currency, amount in other.unconverted.items():
            self.unconverted[currency] = self.unconverted.get(currency, Decimal(0)) + amount

    @property
    def measures_clicks(self) -> bool:
        return self.links > 0

    @property
    def measures_sales(self) -> bool:
        """Links or codes that could bring a sale or a lead, or conversions attributed."""
        return self.links > 0 or self.codes > 0 or self.rows > 0


@dataclass(frozen=True, slots=True)
class AttributionGroup:
    """The attribution of one creator's links and codes on one platform (None: links and codes
    given for no platform in particular, counted in totals and by creator only)."""

    creator_id: UUID
    platform: str | None
    attribution: Attribution


@dataclass(frozen=True, slots=True)
class GoalSpec:
    metric: str
    target: Decimal
    direction: str


@dataclass(frozen=True, slots=True)
class CampaignTerms:
    currency: str
    starts_on: date | None
    ends_on: date | None
    created_at: datetime
    status: str
    goals: Sequence[GoalSpec] = ()
    # Whether the campaign has brand terms to listen for (its own or the organization's):
    # without them `mentions` is not measured (null), not zero.
    listening: bool = False


@dataclass(slots=True)
class _Scope:
    """What one row of figures (totals, a creator, a platform) is computed from."""

    tally: Tally = field(default_factory=Tally)
    creators: set[UUID] = field(default_factory=set)
    cost: Decimal | None = None
    emv: Decimal | None = None
    attribution: Attribution = field(default_factory=Attribution)

    def add(self, group: Group, emv: Decimal | None) -> None:
        self.tally.add(group.tally)
        if group.tally["posts"]:
            self.creators.add(group.creator_id)
        self.emv = _add(self.emv, emv)


def compute(
    terms: CampaignTerms,
    groups: Iterable[Group],
    compensations: Iterable[Compensation],
    card: RateCard,
    now: datetime,
    attribution: Iterable[AttributionGroup] = (),
) -> dict[str, Any]:
    """The KPI document of API.md (without campaign_id and computed_at)."""
    groups = list(groups)
    priced = card.currency == terms.currency
    total, creators, platforms = _Scope(), defaultdict(_Scope), defaultdict(_Scope)
    for group in groups:
        emv = _emv(group, card) if priced else None
        for scope in (total, creators[group.creator_id], platforms[group.platform]):
            scope.add(group, emv)
    for found in attribution:
        total.attribution.add(found.attribution)
        creators[found.creator_id].attribution.add(found.attribution)
        if found.platform is not None:
            platforms[found.platform].attribution.add(found.attribution)
    costs = _costs(compensations, {c: scope.attribution for c, scope in creators.items()})
    for creator_id, cost in costs.items():
        creators[creator_id].cost = cost
    total.cost = _sum(costs.values())
    for platform, cost in _costs_by_platform(groups, costs).items():
        platforms[platform].cost = cost
    totals = _figures(total, terms.listening)
    return {
        "currency": terms.currency,
        "emv_rate_card_version": card.version,
        "totals": totals,
        "by_creator": [
            {"creator_id": str(creator_id), **_figures(scope, terms.listening)}
            for creator_id, scope in sorted(creators.items(), key=lambda item: str(item[0]))
        ],
        "by_platform": [
            {"platform": platform, **_figures(scope, terms.listening)}
            for platform, scope in sorted(platforms.items())
        ],
        "goals": [_goal(goal, totals, terms, now) for goal in terms.goals],
        "coverage": _coverage(total.tally),
    }


@dataclass(frozen=True, slots=True)
class CreatorResult:
    """One creator's figures on one campaign: the campaign's `by_creator` row for them (without
    EMV), and its cost and revenue unrounded, for sums across campaigns."""

    figures: dict[str, Any]
    cost: Decimal | None
    revenue: Decimal | None


def creator_result(
    creator_id: UUID,
    tally: Tally,
    compensations: Iterable[Compensation],
    attribution: Attribution,
) -> CreatorResult:
    """`tally` sums the creator's posts on the campaign over every platform, `attribution` their
    links, codes and conversions there, `compensations` their collaboration if not declined."""
    scope = _Scope(tally=tally, attribution=attribution)
    if tally["posts"]:
        scope.creators.add(creator_id)
    scope.cost = _costs(compensations, {creator_id: attribution}).get(creator_id)
    revenue = attribution.revenue if attribution.measures_sales else None
    return CreatorResult(_figures(scope), scope.cost, revenue)


def _figures(scope: _Scope, listening: bool = False) -> dict[str, Any]:
    t, cost, a = scope.tally, scope.cost, scope.attribution
    sums = {name: _summed(t, name) for name in SUMMED}
    clicks = a.clicks if a.measures_clicks else None
    sales = a.measures_sales
    conversions, leads = (a.conversions, a.leads) if sales else (None, None)
    revenue = a.revenue if sales else None
    ages = {f"engagements_{age}": _summed(t, f"engagements_{age}") for age in AGES}
    rates = {f"engagement_rate_{age}": _ratio(t, f"er_{age}") for age in AGES}
    return {
        "posts": t["posts"],
        "creators": len(scope.creators),
        **sums,
        "engagement_rate": _ratio(t, "er"),
        "engagement_rate_by_reach": _ratio(t, "er_reach"),
        "engagement_rate_by_views": _ratio(t, "er_views"),
        **ages,
        **rates,
        "clicks": clicks,
        "unique_clicks": a.unique_clicks if a.measures_clicks else None,
        "platform_clicks": _summed(t, "clicks"),
        "ctr": _div(clicks, sums["impressions"]),
        "conversions": conversions,
        "leads": leads,
        "revenue": _money(revenue),
        "unconverted_revenue": {
            currency: _money(amount) for currency, amount in sorted(a.unconverted.items()) if amount
        },
        "cost": _money(cost),
        "cpe": _div(cost, sums["engagements"]),
        "cpm": _div(None if cost is None else 1000 * cost, sums["impressions"]),
        "cpv": _div(cost, sums["views"]),
        "cpc": _div(cost, clicks),
        "cpa": _div(cost, conversions),
        "cpl": _div(cost, leads),
        "roi": _div(None if revenue is None or cost is None else revenue - cost, cost),
        "roas": _div(revenue, cost),
        "emv": _money(scope.emv),
        "disclosure_rate": _div(t["disclosure_passed"], t["disclosure_required"]),
        "mentions": t["mentions"] if listening else None,
        "competitor_mentions": t["competitor_mentions"] if listening else None,
        "sentiment": (sentiment := _sentiment(t)),
        "sentiment_net": sentiment["net"],
    }


def _sentiment(tally: Tally) -> dict[str, Any]:
    """Texts by sentiment (the comments, and captions naming the brand), with how much of the
    talk could be analysed: `coverage` = analysed / (analysed + unanalysed), and `net` =
    (positive − negative) / analysed. `pending`: comments stored, not yet analysed."""
    counts = {name: tally[name] for name in ("positive", "neutral", "negative", "unanalysed")}
    analysed = counts["positive"] + counts["neutral"] + counts["negative"]
    return {
        **counts,
        "pending": tally["pending"],
        "analysed": analysed,
        "coverage": _div(analysed, analysed + counts["unanalysed"]),
        "net": _div(counts["positive"] - counts["negative"], analysed),
    }


def _summed(tally: Tally, name: str) -> int | None:
    """A sum over the posts that report `name`; None when none does."""
    return tally[name] if tally[f"n_{name}"] else None


def _ratio(tally: Tally, name: str) -> float | None:
    """Σ numerator / Σ denominator over the posts where both are known."""
    return _div(tally[f"{name}_num"], tally[f"{name}_den"])


def _div(numerator: int | Decimal | None, denominator: int | Decimal | None) -> float | None:
    if numerator is None or not denominator:
        return None
    if isinstance(numerator, int) and isinstance(denominator, int):
        return numerator / denominator  # Python rounds int / int correctly: as exact as Decimal
    return float(Decimal(numerator) / Decimal(denominator))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _add(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    if left is None:
        return right
    return left if right is None else left + right


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = None
    for value in values:
        total = _add(total, value)
    return total


def _emv(group: Group, card: RateCard) -> Decimal | None:
    """Σ count × rate over the counts the card prices for the group's platform and the posts
    report; None when no priced count is reported."""
    value = None
    for metric, rate in card.for_platform(group.platform).items():
        if metric in PRICED and group.tally[f"n_{metric}"]:
            value = _add(value, group.tally[metric] * rate)
    return value


def _costs(
    compensations: Iterable[Compensation], attribution: Mapping[UUID, Attribution]
) -> dict[UUID, Decimal | None]:
    """Each creator's cost: fee + product value + commission rate × their attributed revenue.
    A commission on revenue nobody measures is unknown, so it adds nothing; a collaboration with
    no known part has no cost (None), not 0."""
    costs = {}
    for c in compensations:
        measured = attribution.get(c.creator_id)
        revenue = measured.revenue if measured is not None and measured.measures_sales else None
        commission = None
        if c.commission_rate is not None and revenue is not None:
            commission = c.commission_rate * revenue
        costs[c.creator_id] = _sum((c.fee, c.product_value, commission))
    return costs


def _costs_by_platform(
    groups: Sequence[Group], costs: Mapping[UUID, Decimal | None]
) -> dict[str, Decimal | None]:
    """A creator's cost split over platforms by their share of that creator's posts (a fee pays
    for every post of the collaboration alike). A creator with no post yet adds to no platform."""
    posts_of: dict[UUID, int] = defaultdict(int)
    for group in groups:
        posts_of[group.creator_id] += group.tally["posts"]
    by_platform: dict[str, Decimal | None] = {}
    for group in groups:
        cost, posts = costs.get(group.creator_id), group.tally["posts"]
        share = None if cost is None or not posts else cost * posts / posts_of[group.creator_id]
        by_platform[group.platform] = _add(by_platform.get(group.platform), share)
    return by_platform


def _coverage(tally: Tally) -> dict[str, float | None]:
    return {name: _div(tally[f"n_{name}"], tally["posts"]) for name in COVERED}


# Goals -------------------------------------------------------------------------------------


def campaign_window(terms: CampaignTerms) -> tuple[datetime, datetime | None]:
    """From the start of `starts_on` (else when the campaign was made) to the end of `ends_on`
    (a campaign runs through its last day), in UTC; an open-ended campaign has no end."""
    start = midnight(terms.starts_on) if terms.starts_on else terms.created_at
    end = midnight(terms.ends_on + timedelta(days=1)) if terms.ends_on else None
    return start, end


def expected_progress(terms: CampaignTerms, now: datetime) -> float | None:
    start, end = campaign_window(terms)
    if end is None:
        return None
    if end <= start:
        return 1.0
    return min(1.0, max(0.0, (now - start) / (end - start)))


def has_ended(terms: CampaignTerms, now: datetime) -> bool:
    _, end = campaign_window(terms)
    return terms.status in ("completed", "archived") or (end is not None and now >= end)


def _goal(goal: GoalSpec, totals: Mapping[str, Any], terms: CampaignTerms, now: datetime):
    actual = totals.get(goal.metric)
    expected = expected_progress(terms, now)
    progress, status = None, None
    if actual is not None:
        value = Decimal(str(actual))
        at_most = goal.direction == "at_most"
        progress = _div(goal.target, value) if at_most else _div(value, goal.target)
        status = _status(value, goal, progress, expected, has_ended(terms, now))
    return {
        "metric": goal.metric,
        "target": format(goal.target.normalize(), "f"),
        "direction": goal.direction,
        "actual": actual,
        "progress": progress,
        "expected_progress": expected,
        "status": status,
    }


def _status(
    actual: Decimal, goal: GoalSpec, progress: float | None, expected: float | None, ended: bool
) -> str | None:
    if goal.direction == "at_least":
        if actual >= goal.target:
            return "achieved"
    elif actual <= goal.target:
        # An upper bound is only achieved once nothing can push the figure past it; until then
        # being under it is on track (progress is undefined at 0, but 0 is under any bound).
        if ended:
            return "achieved"
        if progress is None:
            return "on_track"
    if progress is None or expected is None:
        return None
    return "on_track" if progress >= expected else "behind"


def midnight(day: date) -> datetime:
    """00:00 UTC on `day`: campaigns' dates are UTC days."""
    return datetime.combine(day, time(), tzinfo=UTC)
