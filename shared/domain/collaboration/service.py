from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign import service as campaign_service
from shared.domain.collaboration import stages
from shared.domain.collaboration.repository import CollaborationRepository
from shared.domain.collaboration.schemas import (
    CollaborationCreate,
    CollaborationFilters,
    CollaborationUpdate,
    Compensation,
    Contract,
    UsageRights,
)
from shared.domain.creator import service as creator_service
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.kpi.stale import mark_stale as mark_kpis_stale
from shared.domain.pagination import Page, page_of
from shared.domain.post import disclosure_service
from shared.errors import Conflict, NotFound
from shared.models import Collaboration, CollaborationStageChange
from shared.models.status import CollaborationStage


def _compensation_columns(compensation: Compensation | None) -> dict[str, Any]:
    parts = {"fee": None, "product_value": None, "commission_rate": None}
    if compensation is None:
        return {"compensation_model": None, **parts}
    given = compensation.model_dump(exclude={"model"})
    return {"compensation_model": compensation.model, **parts, **given}


def _usage_rights(rights: UsageRights | None) -> dict[str, Any] | None:
    return None if rights is None else rights.model_dump(mode="json")


def _contract_columns(contract: Contract | None) -> dict[str, Any]:
    contract = contract or Contract()
    return {
        "contract_signed_at": contract.signed_at,
        "contract_document_url": contract.document_url,
    }


def _record(collaboration: Collaboration, stage: str, *, by: UUID | None, now: datetime) -> None:
    collaboration.stage = stage
    collaboration.stage_history.append(
        CollaborationStageChange(org_id=collaboration.org_id, stage=stage, at=now, by=by)
    )


async def _announce_move(
    session: AsyncSession,
    collaboration: Collaboration,
    from_stage: str | None,
    *,
    by: UUID | None,
    now: datetime,
) -> None:
    """Every recorded move is a `collaboration.stage_changed` (the first one from null)."""
    data = payloads.stage_changed(
        collaboration_id=collaboration.id,
        campaign_id=collaboration.campaign_id,
        creator_id=collaboration.creator_id,
        from_stage=from_stage,
        to_stage=collaboration.stage,
        at=now,
        by=by,
    )
    await events_service.emit(
        session, collaboration.org_id, EventType.collaboration_stage_changed, data, now=now
    )


async def create(
    session: AsyncSession,
    org_id: UUID,
    campaign_id: UUID,
    data: CollaborationCreate,
    *,
    by: UUID | None,
    now: datetime,
) -> Collaboration:
    campaign = await campaign_service.get(session, org_id, campaign_id)
    creator = await creator_service.get(session, org_id, data.creator_id)
    if campaign.archived_at is not None:
        raise Conflict(f"campaign {campaign.id} is archived; it takes no new collaborations")
    if creator.archived_at is not None:
        raise Conflict(f"creator {creator.id} is archived; it takes no new collaborations")
    repository = CollaborationRepository(session, org_id)
    if await repository.by_pair(campaign.id, creator.id) is not None:
        raise _duplicate(campaign.id, creator.id)
    collaboration = repository.add(
        Collaboration(
            campaign_id=campaign.id,
            creator_id=creator.id,
            notes=data.notes,
            usage_rights=_usage_rights(data.usage_rights),
            stage_history=[],
            **_compensation_columns(data.compensation),
            **_contract_columns(data.contract),
        )
    )
    _record(collaboration, data.stage, by=by, now=now)
    try:
        async with session.begin_nested():
            await repository.flush()
    except IntegrityError as exc:  # a concurrent create for the same pair
        raise _duplicate(campaign.id, creator.id) from exc
    await _announce_move(session, collaboration, None, by=by, now=now)
    await _recompute_disclosures(session, collaboration)
    return await get(session, org_id, collaboration.id)


async def _recompute_disclosures(session: AsyncSession, collaboration: Collaboration) -> None:
    """Whether the creator's posts on the campaign must disclose follows what the collaboration
    pays and whether it is declined; so does the campaign's cost."""
    await disclosure_service.recompute_campaign(
        session,
        collaboration.org_id,
        collaboration.campaign_id,
        creator_id=collaboration.creator_id,
    )
    mark_kpis_stale(session, collaboration.org_id, collaboration.campaign_id)


def _duplicate(campaign_id: UUID, creator_id: UUID) -> Conflict:
    return Conflict(f"creator {creator_id} already has a collaboration on campaign {campaign_id}")


async def get(session: AsyncSession, org_id: UUID, collaboration_id: UUID) -> Collaboration:
    repository = CollaborationRepository(session, org_id)
    collaboration = await repository.get(collaboration_id, repository.with_history())
    if collaboration is None:
        raise NotFound(f"collaboration {collaboration_id} not found")
    return collaboration


async def list_for_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, filters: CollaborationFilters
) -> Page[Collaboration]:
    campaign = await campaign_service.get(session, org_id, campaign_id)
    rows = await CollaborationRepository(session, org_id).for_campaign(campaign.id, filters)
    return page_of(rows, filters.limit, lambda c: (c.created_at, c.id))


async def update(
    session: AsyncSession,
    org_id: UUID,
    collaboration_id: UUID,
    data: CollaborationUpdate,
    *,
    by: UUID | None,
    now: datetime,
) -> Collaboration:
    collaboration = await get(session, org_id, collaboration_id)
    sent = data.model_fields_set
    declined_before = collaboration.stage == CollaborationStage.declined
    moved_from = None
    if "stage" in sent and data.stage != collaboration.stage:
        stages.check_move(CollaborationStage(collaboration.stage), data.stage)
        moved_from = collaboration.stage
        _record(collaboration, data.stage, by=by, now=now)
    changes: dict[str, Any] = {}
    if "compensation" in sent:
        changes |= _compensation_columns(data.compensation)
    if "usage_rights" in sent:
        changes["usage_rights"] = _usage_rights(data.usage_rights)
    if "contract" in sent:
        changes |= _contract_columns(data.contract)
    if "notes" in sent:
        changes["notes"] = data.notes
    for field, value in changes.items():
        setattr(collaboration, field, value)
    await session.flush()
    if moved_from is not None:
        await _announce_move(session, collaboration, moved_from, by=by, now=now)
    declined_now = collaboration.stage == CollaborationStage.declined
    if "compensation" in sent or declined_before != declined_now:
        await _recompute_disclosures(session, collaboration)
    return await get(session, org_id, collaboration.id)
