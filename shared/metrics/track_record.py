"""A creator's track record (docs/track-record.md): their figures on each campaign they took part
in, and totals over the past ones. Pure: the per-campaign KPIs are the campaign KPIs' own
(campaign_metrics.creator_result, the creator's `by_creator` row); this only adds deliverables'
punctuality and sums across campaigns. Counts and rates add up across campaigns (rates as ratios
of sums); money only within one currency, since Sway will not convert a past cost at a rate it
would have to choose."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from shared.metrics import campaign as campaign_metrics
from shared.metrics.campaign import Attribution, CampaignTerms, Compensation, Tally

# What each campaign entry takes from the creator's KPI row on that campaign.
KPI_FIGURES = (
    "posts",
    "engagements",
    "engagement_rate",
    "conversions",
    "revenue",
    "cost",
    "cpe",
    "roi",
    "disclosure_rate",
)


@dataclass(slots=True)
class Participation:
    """One creator on one campaign: a collaboration that is not declined, tracked posts, or both."""

    creator_id: UUID
    campaign_id: UUID
    name: str
    terms: CampaignTerms
    stage: str | None  # the collaboration's; None: posts without a collaboration
    tally: Tally = field(default_factory=Tally)
    compensation: Compensation | None = None
    attribution: Attribution = field(default_factory=Attribution)
    deliverables_due: int = 0
    delivered_on_time: int = 0


@dataclass(slots=True)
class _Entry:
    participation: Participation
    past: bool
    result: campaign_metrics.CreatorResult


def track_record(participations: Iterable[Participation], now: datetime) -> dict[str, Any]:
    """`{campaigns, totals}` for one creator: campaigns newest first (by when they start),
    totals over those that have ended."""
    entries = sorted(
        (_entry(p, now) for p in participations),
        key=lambda e: (_starts(e.participation.terms), str(e.participation.campaign_id)),
        reverse=True,
    )
    return {
        "campaigns": [_campaign(e) for e in entries],
        "totals": _totals([e for e in entries if e.past]),
    }


def sort_columns(totals: dict[str, Any]) -> dict[str, Any]:
    """The creator columns discovery sorts by, from the totals."""
    return {
        "past_campaigns": totals["campaigns"],
        "past_engagement_rate": totals["engagement_rate"],
        "past_roi": totals["roi"],
        "past_on_time_rate": totals["on_time_rate"],
    }


def _entry(p: Participation, now: datetime) -> _Entry:
    compensations = [] if p.compensation is None else [p.compensation]
    result = campaign_metrics.creator_result(p.creator_id, p.tally, compensations, p.attribution)
    return _Entry(p, campaign_metrics.has_ended(p.terms, now), result)


def _starts(terms: CampaignTerms) -> datetime:
    return campaign_metrics.campaign_window(terms)[0]


def _campaign(entry: _Entry) -> dict[str, Any]:
    p, kpis = entry.participation, entry.result.figures
    return {
        "campaign_id": p.campaign_id,
        "name": p.name,
        "status": p.terms.status,
        "starts_on": p.terms.starts_on,
        "ends_on": p.terms.ends_on,
        "currency": p.terms.currency,
        "past": entry.past,
        "stage": p.stage,
        **{name: kpis[name] for name in KPI_FIGURES},
        **_punctuality(p.deliverables_due, p.delivered_on_time),
        "disclosure_required": p.tally["disclosure_required"],
        "disclosure_passed": p.tally["disclosure_passed"],
    }


def _punctuality(due: int, on_time: int) -> dict[str, Any]:
    return {
        "deliverables_due": due,
        "delivered_on_time": on_time,
        "on_time_rate": on_time / due if due else None,
    }


def _totals(entries: Sequence[_Entry]) -> dict[str, Any]:
    """Counts summed, rates as ratios of the summed counts, money per currency."""
    tally, attribution = Tally(), Attribution()
    for entry in entries:
        tally.add(entry.participation.tally)
        attribution.add(entry.participation.attribution)
    # The KPI formulas over the summed tallies; of the attribution only counts are read (its
    # revenue would mix currencies).
    kpis = campaign_metrics.creator_result(UUID(int=0), tally, [], attribution).figures
    money = _money_by_currency(entries)
    with_roi = [m["roi"] for m in money if m["roi"] is not None]
    return {
        "campaigns": len(entries),
        **{name: kpis[name] for name in ("posts", "engagements", "engagement_rate")},
        "conversions": kpis["conversions"],
        **_punctuality(
            sum(e.participation.deliverables_due for e in entries),
            sum(e.participation.delivered_on_time for e in entries),
        ),
        "disclosure_required": tally["disclosure_required"],
        "disclosure_passed": tally["disclosure_passed"],
        "disclosure_rate": kpis["disclosure_rate"],
        # A ratio is currency-free, but pooling two currencies' costs is not: one ROI only when
        # every campaign with an ROI was in the same currency.
        "roi": with_roi[0] if len(with_roi) == 1 else None,
        "money": money,
    }


@dataclass(slots=True)
class _Purse:
    """One currency's sums. `cost`/`revenue`: over the campaigns where each is known; the pairs
    behind cpe and roi: over the campaigns where both of their parts are."""

    campaigns: int = 0
    cost: Decimal | None = None
    revenue: Decimal | None = None
    cpe: list[Decimal] = field(default_factory=lambda: [Decimal(0), Decimal(0)])
    roi: list[Decimal] = field(default_factory=lambda: [Decimal(0), Decimal(0)])


def _money_by_currency(entries: Sequence[_Entry]) -> list[dict[str, Any]]:
    purses: dict[str, _Purse] = defaultdict(_Purse)
    for entry in entries:
        purse, result = purses[entry.participation.terms.currency], entry.result
        cost, revenue = result.cost, result.revenue
        purse.campaigns += 1
        purse.cost = _add(purse.cost, cost)
        purse.revenue = _add(purse.revenue, revenue)
        if result.figures["cpe"] is not None:
            purse.cpe[0] += cost
            purse.cpe[1] += result.figures["engagements"]
        if result.figures["roi"] is not None:
            purse.roi[0] += revenue - cost
            purse.roi[1] += cost
    return [
        {
            "currency": currency,
            "campaigns": purse.campaigns,
            "cost": _cents(purse.cost),
            "revenue": _cents(purse.revenue),
            "cpe": _ratio(*purse.cpe),
            "roi": _ratio(*purse.roi),
        }
        for currency, purse in sorted(purses.items())
    ]


def _add(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    if left is None:
        return right
    return left if right is None else left + right


def _ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    return float(numerator / denominator) if denominator else None


def _cents(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(campaign_metrics.CENT, ROUND_HALF_UP))
