from fastapi import APIRouter

from services.api.deps import Admin, Reader, ReadSessionDep, SessionDep
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.organization import exchange_rates
from shared.domain.organization import service as organization_service
from shared.domain.organization.schemas import OrganizationRead, OrganizationUpdate

router = APIRouter(
    prefix="/v1/organization", tags=["organization"], responses=responses(*AUTHENTICATED)
)


@router.get("", response_model=OrganizationRead)
async def get_organization(session: ReadSessionDep, principal: Reader):
    """The organization the calling key belongs to."""
    return await organization_service.get_organization(session, principal.org_id)


@router.patch("", response_model=OrganizationRead, responses=responses(*WITH_BODY))
async def update_organization(data: OrganizationUpdate, session: SessionDep, principal: Admin):
    """Change the organization's settings (admin keys only). `tiers` sets the follower
    boundaries of creator tiers, a preset or the organization's own; every account is re-tiered
    at once (docs/metrics.md, "Tiers")."""
    return await organization_service.update_organization(session, principal.org_id, data)


@router.get("/exchange-rates", response_model=exchange_rates.ExchangeRatesRead)
async def get_exchange_rates(session: ReadSessionDep, principal: Reader):
    """The organization's exchange-rate table: one unit of `base` is `rates[X]` units of X.
    Orders in another currency than their campaign's are converted with it."""
    return await exchange_rates.read(session, principal.org_id)


@router.put(
    "/exchange-rates",
    response_model=exchange_rates.ExchangeRatesRead,
    responses=responses(*WITH_BODY),
)
async def put_exchange_rates(
    data: exchange_rates.ExchangeRatesUpdate, session: SessionDep, principal: Admin
):
    """Replace the table (admin keys only). Conversions already made keep the rate they used."""
    return await exchange_rates.replace(session, principal.org_id, data)
