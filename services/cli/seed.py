"""First-run demo data: an organization, an admin key, creators on the demo platform and a
campaign, so a newcomer sees the whole pipeline move without any platform credentials."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.account import service as account_service
from shared.domain.account.schemas import AccountCreate
from shared.domain.campaign import service as campaign_service
from shared.domain.campaign.schemas import CampaignCreate, Goal
from shared.domain.creator import service as creator_service
from shared.domain.creator.schemas import CreatorCreate
from shared.domain.organization import service as organization_service
from shared.domain.organization.repository import OrganizationRepository
from shared.jobs import JobQueue
from shared.platforms.base import Platform

DEMO_CREATORS = [
    ("Ada Brews", "ada.brews", ["coffee", "food"], "US", "en-US"),
    ("Luca Trails", "luca.trails", ["outdoors", "travel"], "IT", "it"),
    ("Mina Makes", "mina.makes", ["diy", "home"], "DE", "de"),
    ("Sol Fitness", "sol.fitness", ["fitness", "health"], "BR", "pt-BR"),
]


async def needs_seed(session: AsyncSession) -> bool:
    return not await OrganizationRepository(session).any_exists()


async def seed_demo(session: AsyncSession) -> tuple[str, str]:
    """Returns (organization id, admin API key)."""
    organization = await organization_service.create_organization(session, name="Demo Agency")
    _, secret = await organization_service.create_api_key(
        session, organization.id, name="demo admin", scopes=["admin"]
    )
    jobs = JobQueue.of(session)
    for name, handle, niches, country, language in DEMO_CREATORS:
        creator = await creator_service.create(
            session,
            organization.id,
            CreatorCreate(
                name=name, niches=niches, country=country, language=language, tags=["demo"]
            ),
        )
        await account_service.create(
            session,
            organization.id,
            creator.id,
            AccountCreate(platform=Platform.demo, handle=handle),
            jobs=jobs,
        )
    today = datetime.now(UTC).date()
    await campaign_service.create(session, organization.id, _demo_campaign(today))
    return str(organization.id), secret


def _demo_campaign(today: date) -> CampaignCreate:
    return CampaignCreate(
        name="Autumn Roast Launch",
        objective="awareness",
        status="active",
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=21),
        currency="USD",
        budget=Decimal("12000.00"),
        hashtags=["sway", "autumnroast"],
        mentions=["acme.coffee"],
        platforms=[Platform.demo],
        brief="Demo campaign seeded on first run.",
        goals=[
            Goal(metric="views", target=Decimal(500_000), direction="at_least"),
            Goal(metric="engagement_rate", target=Decimal("0.03"), direction="at_least"),
        ],
    )
