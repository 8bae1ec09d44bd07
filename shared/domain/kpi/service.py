"""Campaign KPIs: computed from current data on request, stored as KPI snapshots by the worker,
and read back over time as a timeseries. The formulas are shared/metrics/campaign.py's."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign import service as campaign_service
from shared.domain.emv import service as emv_service
from shared.domain.kpi.repository import KpiRepository
from shared.domain.kpi.schemas import Interval, KpiSnapshotFilters, TimeseriesQuery
from shared.domain.pagination import Page, page_of
from shared.errors import Invalid
from shared.metrics import campaign as campaign_metrics
from shared.models import Campaign, CampaignKpiSnapshot

log = structlog.get_logger()

STEP = {Interval.hour: timedelta(hours=1), Interval.day: timedelta(days=1)}
DEFAULT_SPAN = {Interval.hour: timedelta(hours=48), Interval.day: timedelta(days=30)}
MAX_POINTS = 1000


def terms_of(campaign: Campaign) -> campaign_metrics.CampaignTerms:
    return campaign_metrics.CampaignTerms(
        currency=campaign.currency,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        created_at=campaign.created_at,
        status=campaign.status,
        goals=[
            campaign_metrics.GoalSpec(goal.metric, goal.target, goal.direction)
            for goal in campaign.goals
        ],
    )


async def _compute(session: AsyncSession, org_id: UUID, campaign: Campaign, now: datetime):
    repository = KpiRepository(session, org_id)
    groups = await repository.tallies(campaign.id)
    compensations = await repository.compensations(campaign.id)
    card = await emv_service.current_card(session, org_id)
    document = campaign_metrics.compute(terms_of(campaign), groups, compensations, card, now)
    return {"campaign_id": campaign.id, "computed_at": now, **document}


async def campaign_kpis(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, now: datetime | None = None
) -> dict:
    """The campaign's KPIs from its posts' latest counts and its collaborations, now."""
    campaign = await campaign_service.get(session, org_id, campaign_id)
    return await _compute(session, org_id, campaign, now or datetime.now(UTC))


async def record_snapshot(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, now: datetime
) -> CampaignKpiSnapshot:
    """Compute the KPIs and keep them: the history behind the timeseries."""
    document = await campaign_kpis(session, org_id, campaign_id, now=now)
    snapshot = KpiRepository(session, org_id).add_snapshot(
        CampaignKpiSnapshot(
            campaign_id=campaign_id,
            computed_at=now,
            totals=document["totals"],
            by_creator=document["by_creator"],
            by_platform=document["by_platform"],
            goals=document["goals"],
            coverage=document["coverage"],
            emv_rate_card_version=document["emv_rate_card_version"],
        )
    )
    await session.flush()
    log.info(
        "campaign KPIs recorded",
        campaign_id=str(campaign_id),
        posts=document["totals"]["posts"],
        engagements=document["totals"]["engagements"],
    )
    return snapshot


async def snapshot_page(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, filters: KpiSnapshotFilters
) -> Page[CampaignKpiSnapshot]:
    await campaign_service.get(session, org_id, campaign_id)
    rows = await KpiRepository(session, org_id).snapshots(
        campaign_id,
        since=filters.since,
        until=filters.until,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return page_of(rows, filters.limit, lambda s: (s.computed_at, s.id))


def buckets(query: TimeseriesQuery, now: datetime) -> list[datetime]:
    """The starts of the buckets from the one holding `from` up to `to` (exclusive), in UTC."""
    step = STEP[query.interval]
    to = query.to or now
    since = query.from_ or to - DEFAULT_SPAN[query.interval]
    if since >= to:
        raise Invalid.field(("query", "from"), "from must be before to")
    start = _floor(since.astimezone(UTC), query.interval)
    count = -(-(to - start) // step)
    if count > MAX_POINTS:
        raise Invalid.field(
            ("query", "from"),
            f"{count} {query.interval.value}s asked; at most {MAX_POINTS} points per request",
        )
    return [start + i * step for i in range(count)]


async def timeseries(
    session: AsyncSession,
    org_id: UUID,
    campaign_id: UUID,
    query: TimeseriesQuery,
    *,
    now: datetime | None = None,
) -> dict:
    """Each bucket's value is the KPI at the bucket's end, from the newest KPI snapshot at or
    before it; the bucket still running shows the KPI now, and later buckets have none yet."""
    now = now or datetime.now(UTC)
    campaign = await campaign_service.get(session, org_id, campaign_id)
    starts = buckets(query, now)
    step = STEP[query.interval]
    past = [start + step for start in starts if start + step <= now]
    stored = await KpiRepository(session, org_id).at_instants(campaign.id, query.metric, past)
    points = [
        _point(query.metric, start, value, version)
        for start, (value, version) in zip(starts[: len(past)], stored, strict=True)
    ]
    current = [start for start in starts[len(past) :] if start <= now]
    if current:
        live = await _compute(session, org_id, campaign, now)
        points.append(
            _point(
                query.metric,
                current[0],
                live["totals"][query.metric],
                live["emv_rate_card_version"],
            )
        )
    points += [_point(query.metric, start, None, None) for start in starts[len(points) :]]
    return {
        "campaign_id": campaign.id,
        "metric": query.metric,
        "interval": query.interval,
        "currency": campaign.currency,
        "points": points,
    }


def _point(metric: str, start: datetime, value, version: int | None) -> dict:
    point = {"t": start, "value": value}
    if metric == "emv":
        point["emv_rate_card_version"] = version if value is not None else None
    return point


def _floor(at: datetime, interval: Interval) -> datetime:
    at = at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if interval is Interval.day else at
