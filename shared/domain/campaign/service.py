from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign.repository import CampaignRepository
from shared.domain.campaign.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignStatus,
    CampaignUpdate,
    Goal,
)
from shared.domain.kpi.stale import mark_stale as mark_kpis_stale
from shared.domain.listening import profile as brand_profile
from shared.domain.pagination import Page, page_of
from shared.domain.post import disclosure_service
from shared.domain.post import lifecycle as post_lifecycle
from shared.errors import Invalid, NotFound
from shared.models import Campaign, CampaignGoal

DISCLOSURE_INPUTS = ("disclosure_required", "mentions", "name")
# What brand listening matches the campaign's posts with: its brand terms, and its mentions.
LISTENING_INPUTS = ("brand", "mentions")


# What the KPIs read from the campaign: its currency, and its dates and status (goal status).
KPI_INPUTS = {"currency", "starts_on", "ends_on", "status"}


def _goal_rows(goals: list[Goal]) -> list[CampaignGoal]:
    return [CampaignGoal(metric=g.metric, target=g.target, direction=g.direction) for g in goals]


def _changes(campaign: Campaign, changes: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return any(field in changes and changes[field] != getattr(campaign, field) for field in fields)


def _changes_disclosure_inputs(campaign: Campaign, changes: dict[str, Any]) -> bool:
    """Whether a change decides anew which of the campaign's posts must disclose, or which brand
    names their disclosures may use."""
    return _changes(campaign, changes, DISCLOSURE_INPUTS)


def _stamp_org(campaign: Campaign) -> None:
    for goal in campaign.goals:
        goal.org_id = campaign.org_id


async def create(session: AsyncSession, org_id: UUID, data: CampaignCreate) -> Campaign:
    repository = CampaignRepository(session, org_id)
    fields = data.model_dump(exclude={"goals"})
    campaign = repository.add(Campaign(**fields, goals=_goal_rows(data.goals)))
    _stamp_org(campaign)
    await repository.flush()
    if data.brand is not None:
        await brand_profile.restart(session, org_id)
    return await get(session, org_id, campaign.id)


async def get(session: AsyncSession, org_id: UUID, campaign_id: UUID) -> Campaign:
    repository = CampaignRepository(session, org_id)
    campaign = await repository.get(campaign_id, repository.with_goals())
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign


async def list_page(
    session: AsyncSession, org_id: UUID, filters: CampaignFilters
) -> Page[Campaign]:
    rows = await CampaignRepository(session, org_id).list(filters)
    return page_of(rows, filters.limit, lambda c: (c.created_at, c.id))


async def update(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, data: CampaignUpdate
) -> Campaign:
    campaign = await get(session, org_id, campaign_id)
    # CampaignUpdate refuses null for every field but the dates, budget and brief.
    changes = data.model_dump(exclude_unset=True, exclude={"goals"})
    starts_on = changes.get("starts_on", campaign.starts_on)
    ends_on = changes.get("ends_on", campaign.ends_on)
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid.field(("body", "ends_on"), "ends_on is before starts_on")
    disclosure_inputs = _changes_disclosure_inputs(campaign, changes)
    if _changes(campaign, changes, LISTENING_INPUTS):
        await brand_profile.restart(session, org_id)
    for field, value in changes.items():
        setattr(campaign, field, value)
    if disclosure_inputs:
        await disclosure_service.recompute_campaign(session, org_id, campaign.id)
    if data.goals is not None:
        campaign.goals = _goal_rows(data.goals)
        _stamp_org(campaign)
    if changes.keys() & KPI_INPUTS or data.goals is not None:
        mark_kpis_stale(session, org_id, campaign.id)
    was_archived = campaign.archived_at is not None
    if changes.get("status") == CampaignStatus.archived and not was_archived:
        campaign.archived_at = datetime.now(UTC)
        await post_lifecycle.stop_campaign(session, org_id, campaign.id)
    elif was_archived and changes.get("status", CampaignStatus.archived) != CampaignStatus.archived:
        campaign.archived_at = None
        await post_lifecycle.resume_campaign(session, org_id, campaign.id, now=datetime.now(UTC))
    await session.flush()
    return campaign


async def archive(session: AsyncSession, org_id: UUID, campaign_id: UUID) -> None:
    campaign = await get(session, org_id, campaign_id)
    if campaign.archived_at is None:
        campaign.status = CampaignStatus.archived
        campaign.archived_at = datetime.now(UTC)
        await session.flush()
        await post_lifecycle.stop_campaign(session, org_id, campaign.id)
