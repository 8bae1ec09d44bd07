"""First-run demo data, so a newcomer sees every campaign KPI move within minutes and without any
platform credentials: an organization and its admin key; six creators on the demo platform, one
or two in each tier of the default preset; a campaign half-way through, with goals both ways; a
collaboration per creator, paid in each compensation model, at different stages, one declined;
and deliverables, one of them already late. Captions (and so disclosure) come from the demo
platform (shared/platforms/demo.py). Two more creators, prospects for the campaign, show the
vetting signals (docs/vetting.md): one bought followers (a `.spike` handle), one sits in an
engagement pod (a `.pod` handle); every demo account gets HISTORY_DAYS of daily follower counts
from the demo platform, since a spike needs a history to stand out from. Everything goes through
the domain services, as the API's requests would; `needs_seed` keeps it to the first run."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.account import service as account_service
from shared.domain.account import sync as account_sync
from shared.domain.account.schemas import AccountCreate
from shared.domain.campaign import service as campaign_service
from shared.domain.campaign.schemas import CampaignCreate, Goal
from shared.domain.collaboration import service as collaboration_service
from shared.domain.collaboration.schemas import (
    CollaborationCreate,
    CollaborationUpdate,
    Commission,
    Compensation,
    Contract,
    FlatFee,
    Hybrid,
    Product,
    UsageRights,
)
from shared.domain.creator import service as creator_service
from shared.domain.creator.schemas import CreatorCreate
from shared.domain.deliverable import service as deliverable_service
from shared.domain.deliverable.schemas import DeliverableCreate, DeliverableUpdate, Requirements
from shared.domain.listening import profile as brand_profile
from shared.domain.listening.schemas import BrandTerms
from shared.domain.organization import service as organization_service
from shared.domain.organization.repository import OrganizationRepository
from shared.jobs import JobQueue
from shared.models.status import CollaborationStage as Stage
from shared.platforms import demo
from shared.platforms.base import Platform

BRAND = "acme.coffee"
DEMO_BRAND = BrandTerms(handles=[BRAND], keywords=["Acme Coffee"], competitors=["rivalroasters"])
# Every demo caption carries it: what the campaign captures.
CAMPAIGN_TAG = "sway"
# No demo caption carries it: a deliverable asking for it stays open until it is due.
UNPOSTED_TAG = "roastreveal"


@dataclass(frozen=True)
class DemoCreator:
    name: str
    # The demo platform reads the follower count off the handle's end, so the tier is fixed.
    handle: str
    niches: list[str]
    country: str
    language: str


@dataclass(frozen=True)
class DemoDeliverable:
    kind: str
    due_in: timedelta  # from the seed's clock; negative: due already
    # What the post must carry (with @acme.coffee). None: nothing, so the creator's next campaign
    # post fulfils it. A deliverable that asks for a hashtag or mention also makes the account
    # sync capture posts from before the campaign started; the demo keeps to the campaign's days.
    hashtag: str | None = None
    status: str | None = None  # a status a person would set (submitted, approved)


@dataclass(frozen=True)
class DemoCollaboration:
    handle: str
    compensation: Compensation
    stages: list[Stage]  # where it starts, then each move it makes, one legal step at a time
    deliverables: list[DemoDeliverable] = field(default_factory=list)
    usage_rights: UsageRights | None = None
    notes: str | None = None


DEMO_CREATORS = [
    DemoCreator("Rio Reads", "rio.reads.600", ["books", "coffee"], "GB", "en-GB"),  # emerging
    DemoCreator("Ada Brews", "ada.brews.3k", ["coffee", "food"], "US", "en-US"),  # nano
    DemoCreator("Kai Cooks", "kai.cooks.8k", ["food"], "JP", "ja"),  # micro
    DemoCreator("Luca Trails", "luca.trails.20k", ["outdoors", "travel"], "IT", "it"),  # micro
    DemoCreator("Mina Makes", "mina.makes.150k", ["diy", "home"], "DE", "de"),  # mid
    DemoCreator("Sol Fitness", "sol.fitness.1m", ["fitness", "health"], "BR", "pt-BR"),  # mega
    # Vetting: bought followers (a follower spike) and an engagement pod (implausible engagement).
    DemoCreator("Noor Glow", "noor.spike.25k", ["beauty", "coffee"], "AE", "ar"),  # micro
    DemoCreator("Pia Pours", "pia.pod.2k", ["coffee"], "SE", "sv"),  # nano
]
# Days of follower history each demo account starts with, one count a day before the seed.
HISTORY_DAYS = 30

DAY = timedelta(days=1)
DEMO_COLLABORATIONS = [
    DemoCollaboration(
        "sol.fitness.1m",
        FlatFee(model="flat_fee", fee=Decimal("6000.00")),
        [Stage.contracted, Stage.content_submitted, Stage.approved, Stage.published],
        [
            DemoDeliverable("post", 2 * DAY),  # a demo post fulfils it at once
            DemoDeliverable("video", 9 * DAY, UNPOSTED_TAG),
        ],
        UsageRights(channels=["website", "paid_social"], duration_days=180),
    ),
    DemoCollaboration(
        "mina.makes.150k",
        Hybrid(model="hybrid", fee=Decimal("1500.00"), commission_rate=Decimal("0.1")),
        [Stage.contracted, Stage.content_submitted],
        [
            DemoDeliverable("reel", 4 * DAY, UNPOSTED_TAG, status="submitted"),
            DemoDeliverable("post", 6 * DAY),
        ],
    ),
    DemoCollaboration(
        "luca.trails.20k",
        Commission(model="commission", commission_rate=Decimal("0.15")),
        [Stage.prospect, Stage.contacted, Stage.negotiating, Stage.contracted],
        # Due yesterday and not posted: the overdue sweep marks it late on the worker's start.
        [DemoDeliverable("story", -DAY, UNPOSTED_TAG)],
    ),
    DemoCollaboration(
        "ada.brews.3k",
        Product(model="product", product_value=Decimal("120.00")),
        [
            Stage.contracted,
            Stage.content_submitted,
            Stage.approved,
            Stage.published,
            Stage.completed,
        ],
        [DemoDeliverable("post", DAY)],
    ),
    DemoCollaboration(
        "rio.reads.600",
        Product(model="product", product_value=Decimal("45.00")),
        [Stage.prospect, Stage.contacted],
    ),
    # Prospects under vetting: commission only, so they add no cost to the campaign.
    DemoCollaboration(
        "noor.spike.25k",
        Commission(model="commission", commission_rate=Decimal("0.1")),
        [Stage.prospect],
        notes="Vetting: a follower spike, see the account's authenticity.",
    ),
    DemoCollaboration(
        "pia.pod.2k",
        Commission(model="commission", commission_rate=Decimal("0.1")),
        [Stage.prospect, Stage.contacted],
        notes="Vetting: engagement far above the benchmark, see the account's authenticity.",
    ),
    DemoCollaboration(
        "kai.cooks.8k",
        FlatFee(model="flat_fee", fee=Decimal("900.00")),
        [Stage.prospect, Stage.contacted, Stage.negotiating, Stage.declined],
        notes="Declined: the dates clash with another launch. Its fee is no cost.",
    ),
]


async def needs_seed(session: AsyncSession) -> bool:
    return not await OrganizationRepository(session).any_exists()


async def seed_demo(session: AsyncSession, *, now: datetime | None = None) -> tuple[str, str]:
    """Returns (organization id, admin API key). Dates are relative to `now` (default: the
    clock), so the campaign is always half-way through when it is seeded."""
    now = now or datetime.now(UTC)
    organization = await organization_service.create_organization(session, name="Demo Agency")
    _, secret = await organization_service.create_api_key(
        session, organization.id, name="demo admin", scopes=["admin"]
    )
    creators = await _creators(session, organization.id, now)
    # The names the demo comments use (shared/platforms/demo.py): listening finds them.
    await brand_profile.replace(session, organization.id, DEMO_BRAND)
    campaign = await campaign_service.create(session, organization.id, _demo_campaign(now.date()))
    for plan in DEMO_COLLABORATIONS:
        await _collaboration(
            session, organization.id, campaign.id, creators[plan.handle], plan, now
        )
    return str(organization.id), secret


async def _creators(session: AsyncSession, org_id: UUID, now: datetime) -> dict[str, UUID]:
    jobs = JobQueue.of(session)
    ids = {}
    for plan in DEMO_CREATORS:
        creator = await creator_service.create(
            session,
            org_id,
            CreatorCreate(
                name=plan.name,
                niches=plan.niches,
                country=plan.country,
                language=plan.language,
                tags=["demo"],
            ),
        )
        # Creating the account requests its first sync, which the worker runs within seconds.
        account = await account_service.create(
            session,
            org_id,
            creator.id,
            AccountCreate(platform=Platform.demo, handle=plan.handle),
            jobs=jobs,
        )
        await account_sync.record_history(session, org_id, account.id, _history(plan.handle, now))
        ids[plan.handle] = creator.id
    return ids


def _history(handle: str, now: datetime) -> list[tuple[datetime, int]]:
    """The demo platform's own follower counts, one a day for HISTORY_DAYS days before `now`."""
    days = range(HISTORY_DAYS, 0, -1)
    return [(now - d * DAY, demo.followers_at(handle, now - d * DAY)) for d in days]


async def _collaboration(
    session: AsyncSession,
    org_id: UUID,
    campaign_id: UUID,
    creator_id: UUID,
    plan: DemoCollaboration,
    now: datetime,
) -> None:
    # One step a day, the last one yesterday, so the stage history reads like a real deal's.
    at = [now - (len(plan.stages) - step) * DAY for step in range(len(plan.stages))]
    signed = at[plan.stages.index(Stage.contracted)] if Stage.contracted in plan.stages else None
    collaboration = await collaboration_service.create(
        session,
        org_id,
        campaign_id,
        CollaborationCreate(
            creator_id=creator_id,
            stage=plan.stages[0],
            compensation=plan.compensation,
            usage_rights=plan.usage_rights,
            contract=Contract(signed_at=signed) if signed else None,
            notes=plan.notes,
        ),
        by=None,
        now=at[0],
    )
    for stage, when in zip(plan.stages[1:], at[1:], strict=True):
        await collaboration_service.update(
            session, org_id, collaboration.id, CollaborationUpdate(stage=stage), by=None, now=when
        )
    for item in plan.deliverables:
        deliverable = await deliverable_service.create(
            session,
            org_id,
            collaboration.id,
            DeliverableCreate(
                platform=Platform.demo,
                kind=item.kind,
                due_at=now + item.due_in,
                requirements=_requirements(item),
            ),
        )
        if item.status is not None:
            await deliverable_service.update(
                session, org_id, deliverable.id, DeliverableUpdate(status=item.status)
            )


def _requirements(item: DemoDeliverable) -> Requirements:
    if item.hashtag is None:
        return Requirements()
    return Requirements(hashtags=[item.hashtag], mentions=[BRAND])


def _demo_campaign(today: date) -> CampaignCreate:
    return CampaignCreate(
        name="Autumn Roast Launch",
        objective="awareness",
        status="active",
        # Half-way through: goals show how far along they are against the time gone by.
        starts_on=today - timedelta(days=14),
        ends_on=today + timedelta(days=14),
        currency="USD",
        budget=Decimal("12000.00"),
        hashtags=[CAMPAIGN_TAG, "autumnroast"],
        mentions=[BRAND],
        platforms=[Platform.demo],
        # Who it looks for: discovery ranks the demo creators by fit to these (docs/discovery.md).
        niches=["coffee", "food"],
        countries=["US", "GB"],
        brief="Demo campaign seeded on first run.",
        goals=[
            # Seeded, the campaign has about 5 M views and 350 k engagements; every two days
            # the six creators add about 0.7 M and 47 k. So: views on track, engagements behind,
            # disclosure far behind, and the cost per engagement falling to its target.
            Goal(metric="views", target=Decimal(9_000_000), direction="at_least"),
            Goal(metric="engagements", target=Decimal(800_000), direction="at_least"),
            Goal(metric="engagement_rate", target=Decimal("0.03"), direction="at_least"),
            Goal(metric="disclosure_rate", target=Decimal("0.9"), direction="at_least"),
            Goal(metric="cpe", target=Decimal("0.015"), direction="at_most"),
        ],
    )
