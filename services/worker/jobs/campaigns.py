"""Campaign KPI recomputation, debounced by the ingestion to one job per campaign per window."""

from datetime import UTC, datetime
from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.events import campaign as campaign_events
from shared.domain.post.ingest import RecomputeKpis
from shared.errors import NotFound

log = structlog.get_logger()


async def recompute_kpis(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    """Store a KPI snapshot of the campaign, and announce it (`campaign.kpis_updated`, and
    `campaign.goal_reached` for a goal achieved since the previous snapshot). Running twice
    stores two snapshots of the same figures a moment apart, which the timeseries reads the
    same as one; a goal already achieved in the first is not announced again."""
    request = RecomputeKpis.read(payload)
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        try:
            await campaign_events.record_kpis(
                session, request.org_id, request.campaign_id, now=datetime.now(UTC)
            )
        except NotFound:
            log.info(
                "campaign KPIs not recorded: campaign deleted", campaign_id=str(request.campaign_id)
            )
            return "gone"
    return "recorded"
