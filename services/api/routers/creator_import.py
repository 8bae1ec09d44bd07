from fastapi import APIRouter

from services.api.deps import JobsDep, SessionDep, SettingsDep, Writer
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.creator_import import service as import_service
from shared.domain.creator_import.schemas import CreatorBulk, CreatorBulkRead

router = APIRouter(
    prefix="/v1/creators:bulk", tags=["creators"], responses=responses(*AUTHENTICATED)
)


@router.post("", response_model=CreatorBulkRead, responses=responses(409, *WITH_BODY))
async def import_creators(
    body: CreatorBulk, session: SessionDep, jobs: JobsDep, settings: SettingsDep, principal: Writer
):
    """Create or update up to SWAY_CREATORS_BULK_MAX_ITEMS creators (default 1000) with their
    accounts, matched by email, then by platform and handle (docs/import.md). Every item is
    checked: the good ones are written, each rejected one is answered with its index and
    reasons, and the answer is 200 either way. A body that is not `{"items": [objects]}`, or
    has too many items, is 422 and writes nothing; 409 if an account was added by another
    request while this one ran (send it again)."""
    return await import_service.bulk(
        session, principal.org_id, body, max_items=settings.creators_bulk_max_items, jobs=jobs
    )
