from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from services.api.deps import CampaignId, Reader, ReadsDep, ReadSessionDep, SessionDep, Writer
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.campaign import service as campaign_service
from shared.domain.campaign.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignRead,
    CampaignUpdate,
)
from shared.domain.kpi import report as kpi_report
from shared.domain.kpi import service as kpi_service
from shared.domain.kpi.schemas import (
    CampaignKpis,
    KpiSnapshotFilters,
    KpiSnapshotRead,
    Timeseries,
    TimeseriesQuery,
)
from shared.domain.pagination import PageRead

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"], responses=responses(*AUTHENTICATED))


@router.post(
    "",
    response_model=CampaignRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_campaign(body: CampaignCreate, session: SessionDep, principal: Writer):
    return await campaign_service.create(session, principal.org_id, body)


@router.get("", response_model=PageRead[CampaignRead], responses=responses(422))
async def list_campaigns(
    filters: Annotated[CampaignFilters, Query()], session: ReadSessionDep, principal: Reader
):
    return await campaign_service.list_page(session, principal.org_id, filters)


@router.get("/{id}", response_model=CampaignRead, responses=responses(404))
async def get_campaign(id: CampaignId, session: ReadSessionDep, principal: Reader):
    return await campaign_service.get(session, principal.org_id, id)


@router.patch("/{id}", response_model=CampaignRead, responses=responses(404, *WITH_BODY))
async def update_campaign(
    id: CampaignId, body: CampaignUpdate, session: SessionDep, principal: Writer
):
    return await campaign_service.update(session, principal.org_id, id, body)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(404))
async def archive_campaign(id: CampaignId, session: SessionDep, principal: Writer) -> None:
    await campaign_service.archive(session, principal.org_id, id)


@router.get("/{id}/kpis", response_model=CampaignKpis, responses=responses(404))
async def get_kpis(id: CampaignId, reads: ReadsDep, principal: Reader):
    """The campaign's KPIs from current data: totals, per creator and per platform, goal
    progress and coverage, every figure as docs/metrics.md defines it."""
    return await kpi_service.campaign_kpis(reads, principal.org_id, id)


@router.get("/{id}/kpis/timeseries", response_model=Timeseries, responses=responses(404, 422))
async def get_kpi_timeseries(
    id: CampaignId,
    query: Annotated[TimeseriesQuery, Query()],
    reads: ReadsDep,
    principal: Reader,
):
    """One KPI per hour or day: each point is the KPI as it stood at the end of its bucket,
    from the KPI snapshots the worker stores; the bucket still running shows the KPI now."""
    return await kpi_service.timeseries(reads, principal.org_id, id, query)


@router.get(
    "/{id}/kpi-snapshots",
    response_model=PageRead[KpiSnapshotRead],
    responses=responses(404, 422),
)
async def list_kpi_snapshots(
    id: CampaignId,
    filters: Annotated[KpiSnapshotFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    """The KPI snapshots the worker stored, newest first."""
    page = await kpi_service.snapshot_page(session, principal.org_id, id, filters)
    return PageRead(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/{id}/report.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **responses(404),
    },
)
async def get_report(id: CampaignId, request: Request, session: ReadSessionDep, principal: Reader):
    """One row per post (creator, platform, URL, latest counts, engagement rate, disclosure,
    deliverable) and a totals row, as CSV, streamed. Columns: docs/api.md, "Reports"."""
    campaign = await campaign_service.get(session, principal.org_id, id)
    chunks = kpi_report.csv_chunks(request.app.state.sessionmaker, principal.org_id, campaign.id)
    filename = f"campaign-{campaign.id}-report.csv"
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
