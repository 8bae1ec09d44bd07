from fastapi import APIRouter

from services.api.deps import Reader, ReadSessionDep
from services.api.errors import AUTHENTICATED, responses
from shared.domain.organization import service as organization_service
from shared.domain.organization.schemas import OrganizationRead

router = APIRouter(
    prefix="/v1/organization", tags=["organization"], responses=responses(*AUTHENTICATED)
)


@router.get("", response_model=OrganizationRead)
async def get_organization(session: ReadSessionDep, principal: Reader):
    """The organization the calling key belongs to."""
    return await organization_service.get_organization(session, principal.org_id)
