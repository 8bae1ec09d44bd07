"""Tracking links, promo codes and the conversions attributed to a campaign; and `/r/{code}`,
the short links' redirect (no API key: anyone who clicks a creator's link lands here)."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.api.bare_route import BareRoute
from services.api.deps import (
    CampaignId,
    Reader,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    Writer,
    client_address,
    parse_id,
)
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.schemas import ConversionFilters, ConversionRead
from shared.domain.link import service as link_service
from shared.domain.link.schemas import LinkCreate, LinkFilters, LinkRead
from shared.domain.link.visitor import DailySalt
from shared.domain.pagination import PageRead
from shared.domain.promo import service as promo_service
from shared.domain.promo.schemas import PromoCodeCreate, PromoCodeFilters, PromoCodeRead

router = APIRouter(prefix="/v1", tags=["links"], responses=responses(*AUTHENTICATED, 404))
# A BareRoute: answered by BarePaths before the app's routes are tried (bare_route.py).
redirect = APIRouter(tags=["links"], route_class=BareRoute)

# Caches may keep neither the redirect nor its target: a cached 302 is a click nobody records.
NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0"


async def _link_id(id: str) -> UUID:
    return parse_id(id, "link")


LinkId = Annotated[UUID, Depends(_link_id)]


@router.post(
    "/campaigns/{id}/links",
    response_model=LinkRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_link(
    id: CampaignId, body: LinkCreate, session: SessionDep, principal: Writer, settings: SettingsDep
):
    """A short link for one of the organization's creators: `short_url` redirects to
    `tracked_url`, the destination with `utm_source` (the platform, else `sway`),
    `utm_medium=influencer`, `utm_campaign` (the campaign's name as a slug) and `utm_content`
    (the code); the destination's own values for these four are replaced, the rest kept."""
    view = await link_service.create(session, principal.org_id, id, body)
    return LinkRead.of(view, settings.public_url)


@router.get("/campaigns/{id}/links", response_model=PageRead[LinkRead], responses=responses(422))
async def list_links(
    id: CampaignId,
    filters: Annotated[LinkFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
    settings: SettingsDep,
):
    page = await link_service.list_for_campaign(session, principal.org_id, id, filters)
    items = [LinkRead.of(view, settings.public_url) for view in page.items]
    return PageRead(items=items, next_cursor=page.next_cursor)


@router.get("/links/{id}", response_model=LinkRead)
async def get_link(id: LinkId, session: ReadSessionDep, principal: Reader, settings: SettingsDep):
    view = await link_service.get(session, principal.org_id, id)
    return LinkRead.of(view, settings.public_url)


@router.post(
    "/campaigns/{id}/promo-codes",
    response_model=PromoCodeRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_promo_code(
    id: CampaignId, body: PromoCodeCreate, session: SessionDep, principal: Writer
):
    """A creator's code: unique in the organization ignoring case, whatever the campaign (409
    for a second `ada10` beside `ADA10`)."""
    return await promo_service.create(session, principal.org_id, id, body)


@router.get(
    "/campaigns/{id}/promo-codes",
    response_model=PageRead[PromoCodeRead],
    responses=responses(422),
)
async def list_promo_codes(
    id: CampaignId,
    filters: Annotated[PromoCodeFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    page = await promo_service.list_for_campaign(session, principal.org_id, id, filters)
    return PageRead(items=list(page.items), next_cursor=page.next_cursor)


@router.get(
    "/campaigns/{id}/conversions",
    response_model=PageRead[ConversionRead],
    responses=responses(422),
)
async def list_conversions(
    id: CampaignId,
    filters: Annotated[ConversionFilters, Query()],
    session: ReadSessionDep,
    principal: Reader,
):
    """Purchases, leads and refunds attributed to the campaign, newest first, each with the rule
    that attributed it and the exchange rate it was converted at."""
    page = await conversion_service.list_for_campaign(session, principal.org_id, id, filters)
    return PageRead(items=list(page.items), next_cursor=page.next_cursor)


def _salt(request: Request) -> DailySalt:
    # One per application, on its own Redis: the day's salt is fetched once, then held here.
    state = request.app.state
    salt = getattr(state, "link_salt", None)
    if salt is None or salt.redis is not state.redis:
        salt = state.link_salt = DailySalt(state.redis)
    return salt


@redirect.get(
    "/r/{code}",
    status_code=status.HTTP_302_FOUND,
    response_class=Response,
    responses={
        302: {
            "description": "To the link's tracked URL; the click is recorded",
            "headers": {
                "Location": {"description": "The tracked URL", "schema": {"type": "string"}},
                "Cache-Control": {"description": NO_CACHE, "schema": {"type": "string"}},
            },
        },
        **responses(404, 503),
    },
)
async def follow_link(code: str, request: Request) -> Response:
    """A creator's short link (no API key): 302 to the tracked destination, the click recorded
    with its time, referrer, user agent and a hash of the visitor (no IP is kept); an unknown
    code is 404."""
    headers = request.headers
    location = await link_service.follow(
        request.app.state.reads,
        _salt(request),
        code,
        address=client_address(request),
        referrer=headers.get("referer"),
        user_agent=headers.get("user-agent"),
        now=datetime.now(UTC),
    )
    return Response(
        status_code=status.HTTP_302_FOUND,
        headers={"Location": location, "Cache-Control": NO_CACHE, "Pragma": "no-cache"},
    )
