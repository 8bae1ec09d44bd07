from typing import Annotated

from fastapi import APIRouter, Query, status

from services.api.deps import CampaignId, Reader, ReadSessionDep, SessionDep, Writer
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.campaign import service as campaign_service
from shared.domain.campaign.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignRead,
    CampaignUpdate,
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
