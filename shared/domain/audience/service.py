"""Audience demographics of connected accounts (docs/discovery.md, "Audience"): stored as dated
snapshots per dimension, asked for at most once per SWAY_AUDIENCE_EVERY_S, read by the API and by
discovery's audience_fit."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.domain.account import service as account_service
from shared.domain.audience.repository import AudienceRepository
from shared.domain.audience.schemas import AudienceDimensionRead, AudienceRead
from shared.platforms.audience import AudienceBreakdown


async def due(
    session: AsyncSession, org_id: UUID, account_id: UUID, *, now: datetime, settings: Settings
) -> bool:
    collection = await AudienceRepository(session, org_id).collection(account_id)
    every = timedelta(seconds=settings.audience_every_s)
    return collection is None or collection.attempted_at <= now - every


async def record(
    session: AsyncSession,
    org_id: UUID,
    account_id: UUID,
    breakdowns: Sequence[AudienceBreakdown],
    *,
    now: datetime,
) -> None:
    repository = AudienceRepository(session, org_id)
    await repository.add_snapshots(account_id, breakdowns, now)
    error = None if breakdowns else "the platform reported no audience for this account"
    await repository.mark(account_id, attempted_at=now, collected=bool(breakdowns), error=error)


async def record_failure(
    session: AsyncSession, org_id: UUID, account_id: UUID, error: str, *, now: datetime
) -> None:
    repository = AudienceRepository(session, org_id)
    await repository.mark(account_id, attempted_at=now, collected=False, error=error[:1000])


async def get(session: AsyncSession, org_id: UUID, account_id: UUID) -> AudienceRead:
    account = await account_service.get(session, org_id, account_id)  # 404 when not ours
    repository = AudienceRepository(session, org_id)
    collection = await repository.collection(account.id)
    latest = await repository.latest([account.id])
    return AudienceRead(
        account_id=account.id,
        platform=account.platform,
        attempted_at=collection.attempted_at if collection else None,
        collected_at=collection.collected_at if collection else None,
        error=collection.error if collection else None,
        dimensions=[AudienceDimensionRead.model_validate(row) for row in latest],
    )


async def of_creators(
    session: AsyncSession, org_id: UUID, creator_ids: Sequence[UUID]
) -> dict[UUID, list[tuple[str, int | None, dict[str, dict[str, float]]]]]:
    """Each creator's accounts with audience data: (platform, followers, {dimension: shares})."""
    repository = AudienceRepository(session, org_id)
    accounts = await repository.creators_accounts(creator_ids)
    latest = await repository.latest([account_id for _, account_id, _, _ in accounts])
    shares: dict[UUID, dict[str, dict[str, float]]] = {}
    for row in latest:
        shares.setdefault(row.account_id, {})[row.dimension] = row.shares
    found: dict[UUID, list[tuple[str, int | None, dict[str, dict[str, float]]]]] = {}
    for creator_id, account_id, platform, followers in sorted(accounts, key=lambda a: str(a[1])):
        found.setdefault(creator_id, []).append((platform, followers, shares.get(account_id, {})))
    return found
