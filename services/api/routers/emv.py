from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.api.deps import Admin, Reader, ReadSessionDep, SessionDep
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.emv import service as emv_service
from shared.domain.emv.schemas import EmvRateCardCreate, EmvRateCardFilters, EmvRateCardRead
from shared.domain.pagination import PageRead
from shared.errors import NotFound

router = APIRouter(
    prefix="/v1/organization/emv-rate-card",
    tags=["organization"],
    responses=responses(*AUTHENTICATED),
)

# The column is a Postgres integer.
MAX_VERSION = 2**31 - 1


async def _version(
    version: Annotated[
        str, Path(json_schema_extra={"type": "integer", "minimum": 0, "maximum": MAX_VERSION})
    ],
) -> int:
    # Like a malformed id, a version that cannot exist is one that does not: 404.
    if not version.isascii() or not version.isdigit() or int(version) > MAX_VERSION:
        raise NotFound(f"EMV rate card version {version} not found")
    return int(version)


Version = Annotated[int, Depends(_version)]


@router.get("", response_model=EmvRateCardRead)
async def get_emv_rate_card(session: ReadSessionDep, principal: Reader):
    """The card EMV figures are computed with now: the newest version, or the built-in default
    (version 0) until the organization writes its own (docs/metrics.md, "EMV")."""
    return await emv_service.get(session, principal.org_id)


@router.put("", response_model=EmvRateCardRead, responses=responses(*WITH_BODY))
async def replace_emv_rate_card(data: EmvRateCardCreate, session: SessionDep, principal: Admin):
    """Replace the card (admin keys only): written as the next version, earlier versions kept.
    A platform left out of `rates` has no EMV value. The same card as the newest version writes
    nothing and answers that version."""
    return await emv_service.replace(session, principal.org_id, data, by=principal.key_id)


@router.get("/versions", response_model=PageRead[EmvRateCardRead], responses=responses(422))
async def list_emv_rate_card_versions(
    filters: Annotated[EmvRateCardFilters, Query()], session: ReadSessionDep, principal: Reader
):
    """Every version, newest first; the default card (version 0) comes last."""
    page = await emv_service.list_versions(session, principal.org_id, filters)
    return PageRead(items=page.items, next_cursor=page.next_cursor)


@router.get("/versions/{version}", response_model=EmvRateCardRead, responses=responses(404))
async def get_emv_rate_card_version(version: Version, session: ReadSessionDep, principal: Reader):
    """One version of the card; 0 is the built-in default."""
    return await emv_service.get_version(session, principal.org_id, version)
