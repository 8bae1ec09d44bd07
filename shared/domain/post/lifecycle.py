"""How posts leave the due set and come back, when something other than a refresh decides it:
archiving a campaign or a creator stops their posts (DESIGN.md: archiving stops refreshes), new
credentials resume the posts an expired one paused. Other domains call these; the SQL stays in the
ingestion repository beside the claim it keeps small."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.post.ingest_repository import IngestRepository

CAMPAIGN_ARCHIVED = "its campaign is archived"
CREATOR_ARCHIVED = "its creator is archived"


async def resume_account(
    session: AsyncSession, org_id: UUID, account_id: UUID, *, now: datetime
) -> None:
    """The account's paused and failed posts are tracked again, due now."""
    await IngestRepository(session, org_id).resume_account(account_id, now)


async def pause_account(session: AsyncSession, org_id: UUID, account_id: UUID, detail: str) -> None:
    """The account's tracked posts wait, saying `detail`, until it is connected again."""
    await IngestRepository(session, org_id).pause_account_posts(account_id, detail)


async def stop_campaign(session: AsyncSession, org_id: UUID, campaign_id: UUID) -> None:
    await IngestRepository(session, org_id).stop_campaign(campaign_id, CAMPAIGN_ARCHIVED)


async def resume_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, now: datetime
) -> None:
    """A campaign taken out of the archive tracks again the posts its archiving stopped (not
    those stopped at the horizon, nor gone)."""
    await IngestRepository(session, org_id).resume_campaign(campaign_id, CAMPAIGN_ARCHIVED, now)


async def stop_creator(session: AsyncSession, org_id: UUID, creator_id: UUID) -> None:
    await IngestRepository(session, org_id).stop_creator(creator_id, CREATOR_ARCHIVED)
