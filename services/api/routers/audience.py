from fastapi import APIRouter

from services.api.deps import AccountId, Reader, ReadSessionDep
from services.api.errors import AUTHENTICATED, responses
from shared.domain.audience import service as audience_service
from shared.domain.audience.schemas import AudienceRead

router = APIRouter(
    prefix="/v1/accounts", tags=["accounts"], responses=responses(*AUTHENTICATED, 404)
)


@router.get("/{id}/audience", response_model=AudienceRead)
async def get_account_audience(id: AccountId, session: ReadSessionDep, principal: Reader):
    """The latest audience snapshot of each dimension (age, gender, country, city) the platform
    reports for this connected account, with its source and date (docs/api.md, "Audience")."""
    return await audience_service.get(session, principal.org_id, id)
