from fastapi import APIRouter

from services.api.deps import CreatorId, Reader, ReadsDep
from services.api.errors import AUTHENTICATED, responses
from shared.domain.track_record import service as track_record_service
from shared.domain.track_record.schemas import TrackRecordRead

router = APIRouter(prefix="/v1/creators", tags=["creators"], responses=responses(*AUTHENTICATED))


@router.get("/{id}/track-record", response_model=TrackRecordRead, responses=responses(404))
async def get_track_record(id: CreatorId, reads: ReadsDep, principal: Reader):
    """The creator's figures on every campaign they took part in, and totals over the past
    (ended) ones (docs/track-record.md), computed from current data."""
    return await track_record_service.get(reads, principal.org_id, id)
