from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Row, and_, exists, func, or_, select, update

from shared.domain.campaign.schemas import CampaignStatus
from shared.domain.deliverable.schemas import DeliverableFilters
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.models import Campaign, Collaboration, Deliverable, Post
from shared.models.status import CollaborationStage, DeliverableStatus, PostStatus

NEWEST_FIRST = SortKey(Deliverable.created_at, descending=True, parse=parse_datetime)
_LINKED_POST = exists().where(Post.deliverable_id == Deliverable.id)
_COLLABORATION_OPEN = exists().where(
    Collaboration.id == Deliverable.collaboration_id,
    Collaboration.stage != CollaborationStage.declined,
)


class DeliverableRepository(OrgRepository[Deliverable]):
    model = Deliverable

    async def for_collaboration(
        self, collaboration_id: UUID, filters: DeliverableFilters
    ) -> Sequence[Deliverable]:
        statement = self.select().where(Deliverable.collaboration_id == collaboration_id)
        if filters.status:
            statement = statement.where(Deliverable.status == filters.status)
        return await self.scalars(
            apply_keyset(statement, NEWEST_FIRST, Deliverable.id, filters.cursor, filters.limit)
        )

    async def with_collaboration(
        self, deliverable_id: UUID
    ) -> tuple[Deliverable, Collaboration] | None:
        row = (
            await self.session.execute(
                select(Deliverable, Collaboration)
                .join(Collaboration, Collaboration.id == Deliverable.collaboration_id)
                .where(Deliverable.org_id == self.org_id, Deliverable.id == deliverable_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def open_for(
        self, campaign_id: UUID, creator_id: UUID, platform: str
    ) -> Sequence[Deliverable]:
        """Deliverables a new post of this creator on this platform could fulfil, soonest due
        first: not published, no post linked, their collaboration on the campaign and not
        declined."""
        statement = (
            self.select()
            .join(Collaboration, Collaboration.id == Deliverable.collaboration_id)
            .where(
                Collaboration.campaign_id == campaign_id,
                Collaboration.creator_id == creator_id,
                Collaboration.stage != CollaborationStage.declined,
                Deliverable.platform == platform,
                Deliverable.status != DeliverableStatus.published,
                ~_LINKED_POST,
            )
            .order_by(Deliverable.due_at.asc().nulls_last(), Deliverable.created_at, Deliverable.id)
        )
        return await self.scalars(statement)

    async def wanted_on_active_campaigns(
        self, creator_id: UUID, platform: str
    ) -> Sequence[tuple[Deliverable, Campaign]]:
        """The creator's open deliverables on this platform that require a hashtag or mention,
        on active campaigns, soonest due first: what content capture looks for."""
        statement = (
            select(Deliverable, Campaign)
            .join(Collaboration, Collaboration.id == Deliverable.collaboration_id)
            .join(Campaign, Campaign.id == Collaboration.campaign_id)
            .where(
                Deliverable.org_id == self.org_id,
                Collaboration.creator_id == creator_id,
                Collaboration.stage != CollaborationStage.declined,
                Campaign.status == CampaignStatus.active,
                Deliverable.platform == platform,
                Deliverable.status != DeliverableStatus.published,
                or_(Deliverable.hashtags != [], Deliverable.mentions != []),
                ~_LINKED_POST,
            )
            .order_by(Deliverable.due_at.asc().nulls_last(), Deliverable.created_at, Deliverable.id)
        )
        return [(row[0], row[1]) for row in await self.session.execute(statement)]

    async def unlinked_posts(
        self, campaign_id: UUID, creator_id: UUID, platform: str
    ) -> Sequence[Post]:
        statement = (
            select(Post)
            .where(
                Post.org_id == self.org_id,
                Post.campaign_id == campaign_id,
                Post.creator_id == creator_id,
                Post.platform == platform,
                Post.deliverable_id.is_(None),
            )
            .order_by(Post.published_at.asc().nulls_last(), Post.created_at, Post.id)
        )
        return (await self.session.scalars(statement)).all()

    async def post(self, post_id: UUID) -> Post | None:
        return await self.session.scalar(
            select(Post).where(Post.org_id == self.org_id, Post.id == post_id)
        )

    async def linked_post(self, deliverable_id: UUID) -> Post | None:
        return await self.session.scalar(
            select(Post).where(Post.org_id == self.org_id, Post.deliverable_id == deliverable_id)
        )

    async def posts(self, post_ids: Sequence[UUID]) -> Sequence[Post]:
        if not post_ids:
            return []
        statement = select(Post).where(Post.org_id == self.org_id, Post.id.in_(post_ids))
        return (await self.session.scalars(statement)).all()


class DeliverableSweep:
    """The overdue sweep's statements. The one cross-organization query in this domain, like the
    post scheduler's claim: each row is only compared with its own post and collaboration."""

    def __init__(self, session) -> None:
        self.session = session

    async def follow_posts(self) -> int:
        """A deliverable is published while a post that left `pending` is linked to it, and
        not once the link is gone."""
        live_post = exists().where(
            Post.deliverable_id == Deliverable.id, Post.status != PostStatus.pending
        )
        published = await self.session.execute(
            update(Deliverable)
            .where(Deliverable.status != DeliverableStatus.published, live_post)
            .values(status=DeliverableStatus.published, updated_at=func.now())
        )
        unlinked = await self.session.execute(
            update(Deliverable)
            .where(Deliverable.status == DeliverableStatus.published, ~_LINKED_POST)
            .values(status=DeliverableStatus.pending, updated_at=func.now())
        )
        return published.rowcount + unlinked.rowcount

    async def mark(
        self, status: DeliverableStatus, *, due_before: datetime, statuses: Sequence[str]
    ) -> Sequence[Row]:
        """The deliverables it turned, with their collaboration's campaign and creator (what a
        `deliverable.overdue` event says)."""
        of_collaboration = Collaboration.id == Deliverable.collaboration_id
        result = await self.session.execute(
            update(Deliverable)
            .where(
                and_(
                    Deliverable.status.in_(statuses),
                    Deliverable.due_at < due_before,
                    _COLLABORATION_OPEN,
                )
            )
            .values(status=status, updated_at=func.now())
            .returning(
                Deliverable.id,
                Deliverable.org_id,
                Deliverable.collaboration_id,
                Deliverable.platform,
                Deliverable.kind,
                Deliverable.due_at,
                Deliverable.status,
                select(Collaboration.campaign_id)
                .where(of_collaboration)
                .scalar_subquery()
                .label("campaign_id"),
                select(Collaboration.creator_id)
                .where(of_collaboration)
                .scalar_subquery()
                .label("creator_id"),
            )
            .execution_options(synchronize_session=False)
        )
        return result.all()
