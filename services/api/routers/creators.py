from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api.bare_route import BareRoute
from services.api.deps import (
    CreatorId,
    JobsDep,
    Reader,
    ReadSessionDep,
    SessionDep,
    Writer,
    parse_id,
    require,
)
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.account import service as account_service
from shared.domain.account.schemas import AccountCreate, AccountRead
from shared.domain.creator import service as creator_service
from shared.domain.creator.schemas import CreatorCreate, CreatorFilters, CreatorRead, CreatorUpdate
from shared.domain.discovery import service as discovery_service
from shared.domain.discovery.schemas import SimilarCreators
from shared.domain.organization.schemas import Scope
from shared.domain.pagination import PageRead

router = APIRouter(prefix="/v1/creators", tags=["creators"], responses=responses(*AUTHENTICATED))
# The API's hottest read, a BareRoute: answered by BarePaths before the app's routes are tried
# (bare_route.py), with the same checks a Reader dependency makes, called directly.
hot = APIRouter(
    prefix="/v1/creators",
    tags=["creators"],
    responses=responses(*AUTHENTICATED),
    route_class=BareRoute,
)
_read_check = require(Scope.read)


@router.post(
    "",
    response_model=CreatorRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_creator(body: CreatorCreate, session: SessionDep, principal: Writer):
    return await creator_service.create(session, principal.org_id, body)


@router.get("", response_model=PageRead[CreatorRead], responses=responses(422))
async def list_creators(
    filters: Annotated[CreatorFilters, Query()], session: ReadSessionDep, principal: Reader
):
    return await creator_service.list_page(session, principal.org_id, filters)


@hot.get("/{id}", response_model=CreatorRead, responses=responses(404))
async def get_creator(id: str, request: Request) -> Response:
    principal = await _read_check(request)
    creator = await creator_service.read(
        request.app.state.reads, principal.org_id, parse_id(id, "creator")
    )
    body = CreatorRead.model_validate_json(creator).model_dump_json()
    return Response(body, media_type="application/json")


@router.get("/{id}/similar", response_model=SimilarCreators, responses=responses(404, 422))
async def similar_creators(
    id: CreatorId,
    session: ReadSessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """Lookalikes: the organization's other creators sharing most of this one's terms (niches,
    tags, caption hashtags and words), by Jaccard index, with the shared terms as reasons."""
    return await discovery_service.similar(session, principal.org_id, id, limit=limit)


@router.patch("/{id}", response_model=CreatorRead, responses=responses(404, *WITH_BODY))
async def update_creator(
    id: CreatorId, body: CreatorUpdate, session: SessionDep, principal: Writer
):
    return await creator_service.update(session, principal.org_id, id, body)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(404))
async def archive_creator(id: CreatorId, session: SessionDep, principal: Writer) -> None:
    await creator_service.archive(session, principal.org_id, id)


@router.post(
    "/{id}/accounts",
    response_model=AccountRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(404, 409, *WITH_BODY),
)
async def create_account(
    id: CreatorId, body: AccountCreate, session: SessionDep, jobs: JobsDep, principal: Writer
):
    return await account_service.create(session, principal.org_id, id, body, jobs=jobs)
