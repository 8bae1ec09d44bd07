"""Plain async factories: `await create_x(session, org_id, **overrides)`."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.organization import service as organization_service
from shared.models import AccountSnapshot, Campaign, CampaignGoal, Creator, CreatorAccount


@dataclass(frozen=True)
class Tenant:
    org_id: UUID
    admin: str
    read: str
    write: str
    read_write: str


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create_tenant(session: AsyncSession, name: str = "Acme Agency") -> Tenant:
    organization = await organization_service.create_organization(session, name=name)
    keys = {}
    for label, scopes in {
        "admin": ["admin"],
        "read": ["read"],
        "write": ["write"],
        "read_write": ["read", "write"],
    }.items():
        _, keys[label] = await organization_service.create_api_key(
            session, organization.id, name=label, scopes=scopes
        )
    await session.commit()
    return Tenant(org_id=organization.id, **keys)


async def create_creator(session: AsyncSession, org_id: UUID, **overrides: Any) -> Creator:
    fields = {"name": "Ada Brews", "niches": ["coffee"], "tags": [], "country": "US"} | overrides
    creator = Creator(org_id=org_id, **fields)
    session.add(creator)
    await session.commit()
    return creator


async def create_account(
    session: AsyncSession, org_id: UUID, creator_id: UUID, **overrides: Any
) -> CreatorAccount:
    fields = {"platform": "demo", "handle": "ada.brews", "sync_status": "pending"} | overrides
    account = CreatorAccount(org_id=org_id, creator_id=creator_id, **fields)
    session.add(account)
    await session.commit()
    return account


async def create_account_snapshot(
    session: AsyncSession, account: CreatorAccount, captured_at: datetime, followers: int
) -> AccountSnapshot:
    snapshot = AccountSnapshot(
        org_id=account.org_id,
        account_id=account.id,
        captured_at=captured_at,
        followers=followers,
        following=10,
        posts_count=5,
    )
    session.add(snapshot)
    await session.commit()
    return snapshot


async def create_campaign(session: AsyncSession, org_id: UUID, **overrides: Any) -> Campaign:
    goals = overrides.pop("goals", [])
    fields = {
        "name": "Launch",
        "objective": "awareness",
        "currency": "USD",
        "hashtags": [],
        "mentions": [],
        "platforms": [],
    } | overrides
    campaign = Campaign(org_id=org_id, **fields)
    campaign.goals = [CampaignGoal(org_id=org_id, **goal) for goal in goals]
    session.add(campaign)
    await session.commit()
    return campaign


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def create_post(session: AsyncSession, account: CreatorAccount, **overrides: Any):
    from shared.models import Post

    fields = {
        "platform": account.platform,
        "external_id": f"{account.handle}-1",
        "status": "tracking",
        "missing_count": 0,
        "source": "api",
    } | overrides
    from shared.domain.post import schedule

    post = Post(
        org_id=account.org_id, account_id=account.id, creator_id=account.creator_id, **fields
    )
    session.add(post)
    await session.flush()
    # As every code path that makes a post does: the scheduler finds it through its schedule.
    await schedule.sync(session, account.org_id, [post.id])
    await session.commit()
    return post


async def update_posts(session: AsyncSession, statement: Any) -> None:
    """Run an UPDATE of posts (a test moving their clock) and derive their schedules again, as
    the application's own writes do; then commit."""
    from shared.domain.post import schedule

    await session.execute(statement)
    await schedule.sync_all(session)
    await session.commit()


async def create_collaboration(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, creator_id: UUID, **overrides: Any
):
    from shared.models import Collaboration

    fields = {"stage": "prospect"} | overrides
    collaboration = Collaboration(
        org_id=org_id, campaign_id=campaign_id, creator_id=creator_id, **fields
    )
    session.add(collaboration)
    await session.commit()
    return collaboration


async def create_deliverable(session: AsyncSession, collaboration, **overrides: Any):
    from shared.models import Deliverable

    fields = {
        "platform": "demo",
        "kind": "post",
        "hashtags": [],
        "mentions": [],
        "disclosure": True,
        "status": "pending",
    } | overrides
    deliverable = Deliverable(
        org_id=collaboration.org_id, collaboration_id=collaboration.id, **fields
    )
    session.add(deliverable)
    await session.commit()
    return deliverable


async def org_rows(session: AsyncSession, org_id: UUID, models: tuple[type, ...]) -> list:
    """Every row the organization owns in these tables, as comparable tuples: a tenancy test
    takes it before and after a foreign request, and the two must be equal."""
    rows = []
    for model in models:
        for obj in (await session.scalars(select(model).where(model.org_id == org_id))).all():
            await session.refresh(obj)
            columns = model.__table__.columns.keys()
            rows.append((model.__name__, tuple(str(getattr(obj, c)) for c in columns)))
    return sorted(rows)
