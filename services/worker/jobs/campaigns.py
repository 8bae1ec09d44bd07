"""Campaign KPI recomputation, debounced by the ingestion to one job per campaign per window."""

from datetime import UTC, datetime
from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.events import campaign as campaign_events
from shared.domain.post.ingest import RecomputeKpis
from shared.domain.track_record import service as track_record_service
from shared.errors import NotFound

log = structlog.get_logger()


async def recompute_kpis(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    """Store a KPI snapshot of the campaign, and announce it (`campaign.kpis_updated`, and
    `campaign.goal_reached` for a goal achieved since the previous snapshot), then refresh the
    track records of the campaign's creators in the same transaction. Running twice stores two
    snapshots of the same figures a moment apart, which the timeseries reads the same as one; a
    goal already achieved in the first is not announced again."""
    request = RecomputeKpis.read(payload)
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        now = datetime.now(UTC)
        try:
            await campaign_events.record_kpis(session, request.org_id, request.campaign_id, now=now)
            await track_record_service.refresh_campaign(
                session, request.org_id, request.campaign_id, now=now
            )
        except NotFound:
            log.info(
                "campaign KPIs not recorded: campaign deleted", campaign_id=str(request.campaign_id)
            )
            return "gone"
    return "recorded"
