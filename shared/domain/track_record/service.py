"""A creator's track record across campaigns (docs/track-record.md): computed from current data
on request, and kept on the creator row (`track_record` and the `past_*` columns discovery sorts
by) each time one of the creator's campaigns has its KPIs recomputed."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads, reads_in
from shared.domain.track_record.repository import TrackRecordReads, TrackRecordRepository
from shared.errors import NotFound
from shared.metrics import track_record as track_record_metrics
from shared.metrics.track_record import Participation

log = structlog.get_logger()

# Creators refreshed per round trip pair: bounds one statement's arrays and rows.
BATCH = 500


async def get(
    reads: RawReads, org_id: UUID, creator_id: UUID, *, now: datetime | None = None
) -> dict[str, Any]:
    """The creator's record now: two round trips."""
    now = now or _now()
    found = await TrackRecordReads(reads, org_id).participations([creator_id], now)
    if creator_id not in found:
        raise NotFound(f"creator {creator_id} not found")
    record = track_record_metrics.track_record(found[creator_id], now)
    return {"creator_id": creator_id, **record}


async def refresh(
    session: AsyncSession, org_id: UUID, creator_ids: Iterable[UUID], *, now: datetime | None = None
) -> int:
    """Write the creators' totals and sort columns, set-based: two reads and one UPDATE per
    BATCH creators. Ids of no creator of the organization change nothing. Returns how many
    creators were written."""
    now = now or _now()
    ids = sorted(set(creator_ids))
    reads = TrackRecordReads(await reads_in(session), org_id)
    repository = TrackRecordRepository(session, org_id)
    written = 0
    for start in range(0, len(ids), BATCH):
        found = await reads.participations(ids[start : start + BATCH], now)
        rows = [(creator_id, _columns(found[creator_id], now)) for creator_id in found]
        if rows:
            await repository.write_sort_columns(rows)
        written += len(rows)
    return written


async def refresh_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, now: datetime | None = None
) -> int:
    """Refresh everyone the campaign's figures count for: its collaborators (declined ones too,
    whose record it has just left) and the creators of its posts."""
    creators = await TrackRecordReads(await reads_in(session), org_id).creators_of_campaign(
        campaign_id
    )
    written = await refresh(session, org_id, creators, now=now)
    log.info("track records refreshed", campaign_id=str(campaign_id), creators=written)
    return written


def _columns(participations: list[Participation], now: datetime) -> dict[str, Any]:
    totals = track_record_metrics.track_record(participations, now)["totals"]
    return {"track_record": totals, **track_record_metrics.sort_columns(totals)}


def _now() -> datetime:
    return datetime.now(UTC)
