from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    CampaignId,
    JobsDep,
    PostId,
    PostLookupsDep,
    Reader,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    Writer,
)
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from services.api.routers.accounts import JobAccepted
from shared.domain.pagination import PageRead
from shared.domain.post import service as post_service
from shared.domain.post.schemas import PostCreate, PostRead, SnapshotRead

router = APIRouter(prefix="/v1", tags=["posts"], responses=responses(*AUTHENTICATED, 404))

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


@router.post(
    "/campaigns/{id}/posts",
    response_model=PostRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": PostRead, "description": "Already tracked for this campaign: the post"},
        **responses(409, *WITH_BODY),
    },
)
async def track_post(
    id: CampaignId,
    body: PostCreate,
    session: SessionDep,
    jobs: JobsDep,
    principal: Writer,
    response: Response,
    lookups: PostLookupsDep,
):
    """Track a post by its URL, or by `account_id` + `external_id`. A short or share link is
    followed to the post; a URL must name an account of the organization (or a handle one of its
    creators uses), or be a post whose platform says whose it is (YouTube, Pinterest). Tracking
    the same post again for the same campaign returns it unchanged (200)."""
    post, created = await post_service.track(
        session, principal.org_id, id, body, jobs=jobs, now=datetime.now(UTC), lookups=lookups
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return PostRead.of(post)


@router.get("/campaigns/{id}/posts", response_model=PageRead[PostRead], responses=responses(422))
async def list_campaign_posts(
    id: CampaignId,
    session: ReadSessionDep,
    principal: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
):
    page = await post_service.list_for_campaign(
        session, principal.org_id, id, cursor=cursor, limit=limit
    )
    return PageRead(items=[PostRead.of(p) for p in page.items], next_cursor=page.next_cursor)


@router.get("/posts/{id}", response_model=PostRead)
async def get_post(id: PostId, session: ReadSessionDep, principal: Reader):
    return PostRead.of(await post_service.get(session, principal.org_id, id))


@router.get(
    "/posts/{id}/snapshots", response_model=PageRead[SnapshotRead], responses=responses(422)
)
async def list_post_snapshots(
    id: PostId, session: ReadSessionDep, principal: Reader, limit: Limit = 50, cursor: Cursor = None
):
    post, page = await post_service.list_snapshots(
        session, principal.org_id, id, cursor=cursor, limit=limit
    )
    items = [SnapshotRead.of(s, s.captured_at, post.followers_at_post) for s in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.post(
    "/posts/{id}/refresh",
    response_model=JobAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(409, 422),
)
async def refresh_post(
    id: PostId, session: SessionDep, jobs: JobsDep, settings: SettingsDep, principal: Writer
):
    job_id = await post_service.refresh(
        session, principal.org_id, id, jobs=jobs, now=datetime.now(UTC), settings=settings
    )
    return JobAccepted(job_id=job_id)
