from fastapi import APIRouter

from services.api.deps import Admin, Reader, ReadSessionDep, SessionDep
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.vetting import service as vetting_service
from shared.domain.vetting.schemas import BenchmarksRead, BenchmarksUpdate

router = APIRouter(
    prefix="/v1/organization/benchmarks",
    tags=["organization"],
    responses=responses(*AUTHENTICATED),
)


@router.get("", response_model=BenchmarksRead)
async def get_benchmarks(session: ReadSessionDep, principal: Reader):
    """The engagement-rate benchmark of every platform and tier that vetting compares accounts
    with (docs/vetting.md): the organization's own where it set one (`custom`), else the
    default with its cited source."""
    return await vetting_service.list_benchmarks(session, principal.org_id)


@router.put("", response_model=BenchmarksRead, responses=responses(*WITH_BODY))
async def replace_benchmarks(data: BenchmarksUpdate, session: SessionDep, principal: Admin):
    """Replace the organization's benchmarks as a whole (admin keys only): the pairs listed
    replace their defaults, every other pair reads its default; an empty list restores all
    defaults. Each (platform, tier) at most once. Scores use them from each account's next
    sync."""
    return await vetting_service.replace_benchmarks(session, principal.org_id, data)
