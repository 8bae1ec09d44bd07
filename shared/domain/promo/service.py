import re
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign import service as campaign_service
from shared.domain.creator import service as creator_service
from shared.domain.link import service as link_service
from shared.domain.pagination import Page, page_of
from shared.domain.promo.repository import PromoCodeRepository
from shared.domain.promo.schemas import CODE_PATTERN, PromoCodeCreate, PromoCodeFilters
from shared.errors import Conflict
from shared.metrics.attribution import CodeOwner, promo_key
from shared.models import PromoCode

KEY_SHAPE = re.compile(CODE_PATTERN)


async def create(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, data: PromoCodeCreate
) -> PromoCode:
    """A code is the organization's once, whatever its case and campaign: an order names only
    the code, so two campaigns holding it could not be told apart."""
    campaign = await campaign_service.get(session, org_id, campaign_id)
    creator = await creator_service.get(session, org_id, data.creator_id)
    link_service.refuse_archived(campaign, creator, "promo codes")
    repository = PromoCodeRepository(session, org_id)
    key = promo_key(data.code)
    if await repository.by_key(key) is not None:
        raise _duplicate(data.code)
    promo = PromoCode(
        campaign_id=campaign.id,
        creator_id=creator.id,
        platform=data.platform,
        code=data.code,
        code_key=key,
    )
    try:
        async with session.begin_nested():
            repository.add(promo)
            await repository.flush()
    except IntegrityError as exc:  # the same code created at the same time
        raise _duplicate(data.code) from exc
    return promo


def _duplicate(code: str) -> Conflict:
    return Conflict(f"promo code {code!r} is already in use in this organization (ignoring case)")


async def list_for_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, filters: PromoCodeFilters
) -> Page[PromoCode]:
    await campaign_service.get(session, org_id, campaign_id)
    rows = await PromoCodeRepository(session, org_id).for_campaign(campaign_id, filters)
    return page_of(rows, filters.limit, lambda p: (p.created_at, p.id))


async def owners(session: AsyncSession, org_id: UUID, codes: Iterable[str]) -> dict[str, CodeOwner]:
    """The organization's promo codes among `codes`, keyed by `promo_key`. A code that no
    promo code could be (another charset, too long) is not looked up."""
    keys = [promo_key(code) for code in codes]
    return await PromoCodeRepository(session, org_id).owners(k for k in keys if KEY_SHAPE.match(k))
