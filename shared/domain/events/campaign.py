"""The KPI job's events: `campaign.kpis_updated` for every snapshot the worker records, and
`campaign.goal_reached` for each goal whose status is `achieved` in the new snapshot but was
not in the one before (so a goal is announced once, however many snapshots follow)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign import service as campaign_service
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.kpi import service as kpi_service
from shared.domain.kpi.schemas import KpiSnapshotFilters
from shared.models import CampaignKpiSnapshot

ACHIEVED = "achieved"


async def record_kpis(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, now: datetime
) -> CampaignKpiSnapshot:
    """Record the campaign's KPI snapshot and emit its events. The previous snapshot is read
    only when a subscription wants `campaign.goal_reached`."""
    wants_goals = await events_service.wants(session, org_id, EventType.campaign_goal_reached)
    wants_kpis = await events_service.wants(session, org_id, EventType.campaign_kpis_updated)
    before = await _achieved(session, org_id, campaign_id) if wants_goals else set()
    snapshot = await kpi_service.record_snapshot(session, org_id, campaign_id, now=now)
    reached = [g for g in snapshot.goals if _is_achieved(g) and g.get("metric") not in before]
    if not (wants_kpis or (wants_goals and reached)):
        return snapshot
    # Money figures go out beside their currency.
    currency = (await campaign_service.get(session, org_id, campaign_id)).currency
    if wants_kpis:
        data = payloads.kpis_updated(
            campaign_id=campaign_id,
            snapshot_id=snapshot.id,
            computed_at=snapshot.computed_at,
            currency=currency,
            totals=snapshot.totals,
        )
        await events_service.emit(session, org_id, EventType.campaign_kpis_updated, data, now=now)
    if wants_goals:
        events = [
            payloads.goal_reached(
                campaign_id=campaign_id,
                snapshot_id=snapshot.id,
                computed_at=snapshot.computed_at,
                currency=currency,
                goal=goal,
            )
            for goal in reached
        ]
        await events_service.emit_many(
            session, org_id, EventType.campaign_goal_reached, events, now=now
        )
    return snapshot


def _is_achieved(goal: dict[str, Any]) -> bool:
    return goal.get("status") == ACHIEVED


async def _achieved(session: AsyncSession, org_id: UUID, campaign_id: UUID) -> set[str]:
    """The metrics whose goals the newest recorded snapshot shows achieved."""
    page = await kpi_service.snapshot_page(
        session, org_id, campaign_id, KpiSnapshotFilters(limit=1)
    )
    if not page.items:
        return set()
    return {goal.get("metric") for goal in page.items[0].goals if _is_achieved(goal)}
