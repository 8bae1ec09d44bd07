from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from services.api.deps import CampaignId, Reader, ReadSessionDep, SessionDep, Writer, parse_id
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.collaboration import service as collaboration_service
from shared.domain.collaboration.schemas import (
    CollaborationCreate,
    CollaborationFilters,
    CollaborationRead,
    CollaborationUpdate,
)
from shared.domain.deliverable import service as deliverable_service
from shared.domain.deliverable.schemas import (
    DeliverableCreate,
    DeliverableFilters,
    DeliverableRead,
    DeliverableUpdate,
)
from shared.domain.pagination import PageRead

router = APIRouter(prefix="/v1", tags=["collaborations"], responses=responses(*AUTHENTICATED, 404))


# Kept here rather than in deps.py, beside the only routes that take these ids.
async def _collaboration_id(id: str) -> UUID:
    return parse_id(id, "collaboration")


async def _deliverable_id(id: str) -> UUID:
    return parse_id(id, "deliverable")


CollaborationId = Annotated[UUID, Depends(_collaboration_id)]
DeliverableId = Annotated[UUID, Depends(_deliverable_id)]


@router.post(
    "/campaigns/{id}/collaborations",
    response_model=CollaborationRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_collaboration(
    id: CampaignId, body: CollaborationCreate, session: SessionDep, principal: Writer
):
    """A creator of the organization joins the campaign: one collaboration per creator and
    campaign (409 for a second, and for an archived campaign or creator)."""
    collaboration = await collaboration_service.create(
        session, principal.org_id, id, body, by=principal.key_id, now=datetime.now(UTC)
    )
    return CollaborationRead.of(collaboration)


@router.get(
    "/campaigns/{id}/collaborations",
    response_model=PageRead[CollaborationRead],
    responses=responses(422),
)
async def list_collaborations(
    id: CampaignId,
    filters: Annotated[CollaborationFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    page = await collaboration_service.list_for_campaign(session, principal.org_id, id, filters)
    items = [CollaborationRead.of(c) for c in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.get("/collaborations/{id}", response_model=CollaborationRead)
async def get_collaboration(id: CollaborationId, session: ReadSessionDep, principal: Reader):
    return CollaborationRead.of(await collaboration_service.get(session, principal.org_id, id))


@router.patch(
    "/collaborations/{id}",
    response_model=CollaborationRead,
    responses=responses(409, *WITH_BODY),
)
async def update_collaboration(
    id: CollaborationId, body: CollaborationUpdate, session: SessionDep, principal: Writer
):
    """`stage` moves one step along the pipeline (or to `declined` before `published`); an
    illegal move is 409 naming the allowed ones."""
    collaboration = await collaboration_service.update(
        session, principal.org_id, id, body, by=principal.key_id, now=datetime.now(UTC)
    )
    return CollaborationRead.of(collaboration)


@router.post(
    "/collaborations/{id}/deliverables",
    response_model=DeliverableRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_deliverable(
    id: CollaborationId, body: DeliverableCreate, session: SessionDep, principal: Writer
):
    deliverable = await deliverable_service.create(session, principal.org_id, id, body)
    return DeliverableRead.of(deliverable)


@router.get(
    "/collaborations/{id}/deliverables",
    response_model=PageRead[DeliverableRead],
    responses=responses(422),
)
async def list_deliverables(
    id: CollaborationId,
    filters: Annotated[DeliverableFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    page = await deliverable_service.list_for_collaboration(session, principal.org_id, id, filters)
    items = [DeliverableRead.of(d) for d in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.get("/deliverables/{id}", response_model=DeliverableRead)
async def get_deliverable(id: DeliverableId, session: ReadSessionDep, principal: Reader):
    return DeliverableRead.of(await deliverable_service.get(session, principal.org_id, id))


@router.patch(
    "/deliverables/{id}",
    response_model=DeliverableRead,
    responses=responses(409, *WITH_BODY),
)
async def update_deliverable(
    id: DeliverableId, body: DeliverableUpdate, session: SessionDep, principal: Writer
):
    """`post_id` links a post of the collaboration's creator on the deliverable's platform and
    campaign (422 otherwise; null unlinks). `status` takes pending, submitted or approved;
    `published` follows the linked post, `late` and `missed` the due time."""
    return DeliverableRead.of(await deliverable_service.update(session, principal.org_id, id, body))
