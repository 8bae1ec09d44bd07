"""Brand listening (docs/listening.md): the organization's brand profile, the mentions found in
captions and comments, a post's comments, and a creator's brand history."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import (
    Admin,
    CampaignId,
    CreatorId,
    PostId,
    Reader,
    ReadSessionDep,
    SessionDep,
)
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.listening import profile as profile_service
from shared.domain.listening import service as listening_service
from shared.domain.listening.schemas import (
    BrandHistoryQuery,
    BrandHistoryRead,
    BrandProfileRead,
    BrandTerms,
    CommentRead,
    ListFilters,
    MentionFilters,
    MentionRead,
)
from shared.domain.pagination import PageRead

brand = APIRouter(
    prefix="/v1/organization/brand", tags=["organization"], responses=responses(*AUTHENTICATED)
)
router = APIRouter(tags=["listening"], responses=responses(*AUTHENTICATED, 422))


@brand.get("", response_model=BrandProfileRead)
async def get_brand_profile(session: ReadSessionDep, principal: Reader):
    """The names the organization's brand goes by; empty lists until it is set."""
    return await profile_service.get(session, principal.org_id)


@brand.put("", response_model=BrandProfileRead, responses=responses(*WITH_BODY))
async def replace_brand_profile(data: BrandTerms, session: SessionDep, principal: Admin):
    """Replace the profile (admin keys only). Every stored caption and comment is matched again
    against the new terms within minutes; the same profile again changes nothing."""
    return await profile_service.replace(session, principal.org_id, data)


@router.get(
    "/v1/campaigns/{id}/mentions",
    response_model=PageRead[MentionRead],
    responses=responses(404),
)
async def list_campaign_mentions(
    id: CampaignId,
    filters: Annotated[MentionFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    """The brand's mentions in the campaign's captions and comments, newest first
    (`competitors=true`: competitor mentions instead)."""
    page = await listening_service.mention_page(session, principal.org_id, filters, campaign_id=id)
    return PageRead(items=page.items, next_cursor=page.next_cursor)


@router.get("/v1/mentions", response_model=PageRead[MentionRead])
async def list_mentions(
    filters: Annotated[MentionFilters, Query()], session: ReadSessionDep, principal: Reader
):
    """Every mention of the brand the organization's tracked posts and synced listings hold,
    campaign or not, newest first."""
    page = await listening_service.mention_page(
        session, principal.org_id, filters, campaign_id=None
    )
    return PageRead(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/v1/posts/{id}/comments", response_model=PageRead[CommentRead], responses=responses(404)
)
async def list_post_comments(
    id: PostId, filters: Annotated[ListFilters, Query()], session: ReadSessionDep, principal: Reader
):
    """The post's stored comments, newest first, with their sentiment and the brand terms found
    in them. Only platforms whose API lists comments have any (docs/listening.md)."""
    page = await listening_service.comment_page(session, principal.org_id, id, filters)
    return PageRead(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/v1/creators/{id}/brand-history", response_model=BrandHistoryRead, responses=responses(404)
)
async def get_creator_brand_history(
    id: CreatorId,
    query: Annotated[BrandHistoryQuery, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    """The brands the creator named in disclosed sponsored posts over the last `months`, and
    which of them are the organization's competitors."""
    return await listening_service.brand_history(session, principal.org_id, id, query)
