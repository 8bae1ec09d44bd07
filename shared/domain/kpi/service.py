"""Campaign KPIs: computed from current data on request, stored as KPI snapshots by the worker,
and read back over time as a timeseries. The formulas are shared/metrics/campaign.py's."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads, reads_in
from shared.domain.campaign import service as campaign_service
from shared.domain.emv import service as emv_service
from shared.domain.kpi.repository import KpiInputs, KpiReads, KpiRepository
from shared.domain.kpi.schemas import Interval, KpiSnapshotFilters, TimeseriesQuery
from shared.domain.pagination import Page, page_of
from shared.errors import Invalid, NotFound
from shared.metrics import campaign as campaign_metrics
from shared.models import CampaignKpiSnapshot

log = structlog.get_logger()

STEP = {Interval.hour: timedelta(hours=1), Interval.day: timedelta(days=1)}
DEFAULT_SPAN = {Interval.hour: timedelta(hours=48), Interval.day: timedelta(days=30)}
MAX_POINTS = 1000


async def _inputs(reads: RawReads, org_id: UUID, campaign_id: UUID) -> KpiInputs:
    inputs = await KpiReads(reads, org_id).inputs(campaign_id)
    if inputs is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return inputs


async def _compute(reads: RawReads, org_id: UUID, campaign_id: UUID, inputs: KpiInputs, now):
    groups = await KpiReads(reads, org_id).tallies(campaign_id)
    card = emv_service.newest_or_default(inputs.card)
    document = campaign_metrics.compute(
        inputs.terms, groups, inputs.compensations, card, now, inputs.attribution
    )
    return {"campaign_id": campaign_id, "computed_at": now, **document}


async def campaign_kpis(
    reads: RawReads, org_id: UUID, campaign_id: UUID, *, now: datetime | None = None
) -> dict:
    """The campaign's KPIs from its posts' latest counts and its collaborations, now: two
    round trips, whatever the campaign's size."""
    inputs = await _inputs(reads, org_id, campaign_id)
    return await _compute(reads, org_id, campaign_id, inputs, now or datetime.now(UTC))


async def record_snapshot(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, now: datetime
) -> CampaignKpiSnapshot:
    """Compute the KPIs and keep them: the history behind the timeseries."""
    document = await campaign_kpis(await reads_in(session), org_id, campaign_id, now=now)
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
    reads: RawReads,
    org_id: UUID,
    campaign_id: UUID,
    query: TimeseriesQuery,
    *,
    now: datetime | None = None,
) -> dict:
    """Each bucket's value is the KPI at the bucket's end, from the newest KPI snapshot at or
    before it; the bucket still running shows the KPI now, and later buckets have none yet."""
    now = now or datetime.now(UTC)
    inputs = await _inputs(reads, org_id, campaign_id)
    starts = buckets(query, now)
    step = STEP[query.interval]
    past = [start + step for start in starts if start + step <= now]
    stored = await KpiReads(reads, org_id).at_instants(campaign_id, query.metric, past)
    points = [
        _point(query.metric, start, value, version)
        for start, (value, version) in zip(starts[: len(past)], stored, strict=True)
    ]
    current = [start for start in starts[len(past) :] if start <= now]
    if current:
        live = await _compute(reads, org_id, campaign_id, inputs, now)
        value, version = live["totals"][query.metric], live["emv_rate_card_version"]
        points.append(_point(query.metric, current[0], value, version))
    points += [_point(query.metric, start, None, None) for start in starts[len(points) :]]
    return {
        "campaign_id": campaign_id,
        "metric": query.metric,
        "interval": query.interval,
        "currency": inputs.terms.currency,
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
