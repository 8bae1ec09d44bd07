from collections import defaultdict
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.collaboration import service as collaboration_service
from shared.domain.deliverable import linking
from shared.domain.deliverable.repository import DeliverableRepository, DeliverableSweep
from shared.domain.deliverable.schemas import (
    DeliverableCreate,
    DeliverableFilters,
    DeliverableUpdate,
)
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.kpi.stale import mark_stale as mark_kpis_stale
from shared.domain.pagination import Page, page_of
from shared.domain.post import disclosure_service
from shared.errors import Conflict, NotFound
from shared.models import Deliverable
from shared.models.status import CollaborationStage, DeliverableStatus

OVERDUE = (DeliverableStatus.late, DeliverableStatus.missed)
# What creators' track records read of a deliverable (on time or not): a change asks for the
# campaign's KPI job, which refreshes them.
TRACK_RECORD_FIELDS = frozenset({"due_at", "post_id", "status"})


async def create(
    session: AsyncSession, org_id: UUID, collaboration_id: UUID, data: DeliverableCreate
) -> Deliverable:
    collaboration = await collaboration_service.get(session, org_id, collaboration_id)
    if collaboration.stage == CollaborationStage.declined:
        raise Conflict(f"collaboration {collaboration.id} is declined; it takes no deliverables")
    repository = DeliverableRepository(session, org_id)
    deliverable = repository.add(
        Deliverable(
            collaboration_id=collaboration.id,
            platform=data.platform,
            kind=data.kind,
            due_at=data.due_at,
            hashtags=data.requirements.hashtags,
            mentions=data.requirements.mentions,
            disclosure=data.requirements.disclosure,
            status=DeliverableStatus.pending,
        )
    )
    await repository.flush()
    await linking.link_existing(session, org_id, deliverable, collaboration)
    mark_kpis_stale(session, org_id, collaboration.campaign_id)
    return await get(session, org_id, deliverable.id)


async def get(session: AsyncSession, org_id: UUID, deliverable_id: UUID) -> Deliverable:
    deliverable = await DeliverableRepository(session, org_id).get(deliverable_id)
    if deliverable is None:
        raise NotFound(f"deliverable {deliverable_id} not found")
    # post_id is read from the post's side: refresh it, the link may have just changed.
    await session.refresh(deliverable, ["post_id"])
    return deliverable


async def list_for_collaboration(
    session: AsyncSession, org_id: UUID, collaboration_id: UUID, filters: DeliverableFilters
) -> Page[Deliverable]:
    collaboration = await collaboration_service.get(session, org_id, collaboration_id)
    rows = await DeliverableRepository(session, org_id).for_collaboration(collaboration.id, filters)
    return page_of(rows, filters.limit, lambda d: (d.created_at, d.id))


async def update(
    session: AsyncSession, org_id: UUID, deliverable_id: UUID, data: DeliverableUpdate
) -> Deliverable:
    deliverable = await get(session, org_id, deliverable_id)
    sent = data.model_fields_set
    if "platform" in sent and data.platform != deliverable.platform and deliverable.post_id:
        raise Conflict(f"deliverable {deliverable.id} has a post; unlink it to change platform")
    for field in ("platform", "kind"):
        if field in sent:
            setattr(deliverable, field, getattr(data, field))
    if "requirements" in sent:
        disclosure_changed = data.requirements.disclosure != deliverable.disclosure
        deliverable.hashtags = data.requirements.hashtags
        deliverable.mentions = data.requirements.mentions
        deliverable.disclosure = data.requirements.disclosure
        if disclosure_changed and deliverable.post_id:
            await disclosure_service.recompute_posts(session, org_id, [deliverable.post_id])
    if "due_at" in sent:
        deliverable.due_at = data.due_at
        if deliverable.status in OVERDUE:
            deliverable.status = DeliverableStatus.pending  # the sweep re-marks it if still due
    if "post_id" in sent:
        await _relink(session, org_id, deliverable, data.post_id)
    if "status" in sent and data.status != deliverable.status:
        if deliverable.status == DeliverableStatus.published:
            raise Conflict(
                f"deliverable {deliverable.id} is published by post {deliverable.post_id}; "
                "unlink the post (post_id: null) to change its status"
            )
        deliverable.status = data.status
    await session.flush()
    if sent & TRACK_RECORD_FIELDS:
        collaboration = await collaboration_service.get(
            session, org_id, deliverable.collaboration_id
        )
        mark_kpis_stale(session, org_id, collaboration.campaign_id)
    return await get(session, org_id, deliverable.id)


async def _relink(
    session: AsyncSession, org_id: UUID, deliverable: Deliverable, post_id: UUID | None
) -> None:
    if post_id == deliverable.post_id:
        return
    if deliverable.post_id is not None:
        await linking.unlink(session, org_id, deliverable)
    if post_id is None:
        return
    repository = DeliverableRepository(session, org_id)
    post = await repository.post(post_id)
    if post is None:
        raise NotFound(f"post {post_id} not found")
    found = await repository.with_collaboration(deliverable.id)
    assert found is not None
    await linking.link(session, post, *found, loc=("body", "post_id"))


async def mark_overdue(session: AsyncSession, *, now: datetime, grace_s: int) -> dict[str, int]:
    """The overdue sweep, across organizations: deliverables follow their linked posts, then
    those past due (and not published) are `late`, and past due plus the grace `missed`.
    Deliverables of declined collaborations are left as they are. Safe to run any time."""
    sweep = DeliverableSweep(session)
    followed = await sweep.follow_posts()
    open_statuses = (
        DeliverableStatus.pending,
        DeliverableStatus.submitted,
        DeliverableStatus.approved,
    )
    missed = await sweep.mark(
        DeliverableStatus.missed,
        due_before=now - timedelta(seconds=grace_s),
        statuses=(*open_statuses, DeliverableStatus.late),
    )
    late = await sweep.mark(DeliverableStatus.late, due_before=now, statuses=open_statuses)
    await _announce_overdue(session, [*missed, *late], now)
    return {"followed": followed, "missed": len(missed), "late": len(late)}


async def _announce_overdue(session: AsyncSession, turned, now: datetime) -> None:
    """One `deliverable.overdue` per deliverable turning late or missed, per organization."""
    by_org: dict[UUID, list[dict]] = defaultdict(list)
    for row in turned:
        by_org[row.org_id].append(
            payloads.deliverable_overdue(
                deliverable_id=row.id,
                collaboration_id=row.collaboration_id,
                campaign_id=row.campaign_id,
                creator_id=row.creator_id,
                platform=row.platform,
                kind=row.kind,
                due_at=row.due_at,
                status=row.status,
            )
        )
    for org_id, events in by_org.items():
        await events_service.emit_many(
            session, org_id, EventType.deliverable_overdue, events, now=now
        )
