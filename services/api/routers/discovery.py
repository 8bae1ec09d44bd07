from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import Reader, ReadSessionDep
from services.api.errors import AUTHENTICATED, responses
from shared.domain.discovery import service as discovery_service
from shared.domain.discovery.schemas import DiscoveredCreator, DiscoverFilters
from shared.domain.pagination import PageRead

router = APIRouter(prefix="/v1/discover", tags=["discovery"], responses=responses(*AUTHENTICATED))


@router.get("/creators", response_model=PageRead[DiscoveredCreator], responses=responses(404, 422))
async def discover_creators(
    filters: Annotated[DiscoverFilters, Query()], session: ReadSessionDep, principal: Reader
):
    """The organization's creators that pass the filters; with a campaign_id, best fit first,
    each with its fit and reasons (docs/discovery.md). A campaign_id that is not one of the
    organization's campaigns is 404."""
    return await discovery_service.discover(session, principal.org_id, filters)
