"""Asking for a KPI snapshot when something the KPIs depend on changes outside the ingestion.
Apart from the KPI service, so the campaign and collaboration services can call it without
importing what imports them."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import get_settings
from shared.domain.post.ingest import mark_kpis_stale
from shared.jobs import JobQueue


def mark_stale(session: AsyncSession, org_id: UUID, campaign_id: UUID) -> None:
    """A collaboration's pay or stage, or the campaign's goals, dates or status changed: store a
    KPI snapshot soon (debounced like the ingestion's requests, and enqueued only once the
    change commits), so the history and the timeseries show it."""
    mark_kpis_stale(JobQueue.of(session), org_id, {campaign_id}, datetime.now(UTC), get_settings())
