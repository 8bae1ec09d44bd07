"""Factories for tracking links, clicks, promo codes, webhook sources and conversions."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.link.repository import LinkRepository
from shared.domain.organization import exchange_rates
from shared.domain.organization.exchange_rates import ExchangeRatesUpdate
from shared.metrics.attribution import promo_key
from shared.models import LinkClick, PromoCode, TrackingLink, WebhookSource


async def create_source(session: AsyncSession, org_id: UUID, **overrides: Any) -> WebhookSource:
    fields = {"kind": "marketplace", "name": "Marketplace", "secret_sealed": "sealed"} | overrides
    source = WebhookSource(org_id=org_id, **fields)
    session.add(source)
    await session.commit()
    return source


async def create_link(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, creator_id: UUID, code: str, **extra
) -> TrackingLink:
    destination = extra.pop("destination_url", "https://shop.example.com/")
    link = TrackingLink(
        org_id=org_id,
        campaign_id=campaign_id,
        creator_id=creator_id,
        code=code,
        destination_url=destination,
        tracked_url=f"{destination}?utm_content={code}",
        **extra,
    )
    LinkRepository(session, org_id).add(link)  # with its code in link_code, as the API does
    await session.commit()
    return link


async def create_promo(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, creator_id: UUID, code: str, **extra
) -> PromoCode:
    promo = PromoCode(
        org_id=org_id,
        campaign_id=campaign_id,
        creator_id=creator_id,
        code=code,
        code_key=promo_key(code),
        **extra,
    )
    session.add(promo)
    await session.commit()
    return promo


async def create_click(
    session: AsyncSession,
    link: TrackingLink,
    clicked_at: datetime,
    visitor: str,
    *,
    is_bot: bool = False,
) -> LinkClick:
    click = LinkClick(
        org_id=link.org_id,
        link_id=link.id,
        clicked_at=clicked_at,
        visitor_hash=visitor.ljust(64, "0"),
        is_bot=is_bot,
        user_agent="Mozilla/5.0",
    )
    session.add(click)
    await session.commit()
    return click


async def set_rates(session: AsyncSession, org_id: UUID, base: str, **rates: str) -> None:
    data = ExchangeRatesUpdate(base=base, rates={k: Decimal(v) for k, v in rates.items()})
    await exchange_rates.replace(session, org_id, data)
    await session.commit()
