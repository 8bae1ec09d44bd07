"""Tracking links: a creator's short link for a campaign, redirecting to the destination with
Sway's UTM parameters, each click recorded (docs/attribution.md)."""

import re
import secrets
import string
import unicodedata
from datetime import datetime
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads
from shared.domain.campaign import service as campaign_service
from shared.domain.creator import service as creator_service
from shared.domain.link import repository as link_repository
from shared.domain.link import visitor
from shared.domain.link.repository import LinkRepository
from shared.domain.link.schemas import LinkCreate, LinkFilters, LinkView
from shared.domain.pagination import Page, page_of
from shared.errors import Conflict, NotFound
from shared.metrics.attribution import CodeOwner
from shared.models import Campaign, Creator, TrackingLink

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8  # 62**8 ≈ 2.2e14 codes: a collision is rare, and retried
CODE_ATTEMPTS = 5
# What a code can look like (Sway makes 8 of these characters; the column holds 32): anything
# else is no link's, and is answered without a query (a NUL would not even reach Postgres).
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,32}")
# The UTM parameters Sway sets; a destination's own values for these are replaced, so the
# shop's analytics see one source per link. Its other parameters (utm_term, utm_id included)
# and its fragment are kept as they are.
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
MAX_SLUG = 60


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def slug(campaign: Campaign) -> str:
    """The campaign's name as utm_campaign: ASCII, lower case, words joined by '-'; a name with
    nothing left (all symbols) falls back to the campaign's id."""
    ascii_name = unicodedata.normalize("NFKD", campaign.name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return words[:MAX_SLUG].rstrip("-") or str(campaign.id)


def tracked_url(destination: str, *, source: str, campaign_slug: str, code: str) -> str:
    """The destination's other query parameters are kept byte for byte (not decoded and encoded
    again), so a shop's own links keep working exactly as they were."""
    parts = urlsplit(destination)
    kept = [part for part in parts.query.split("&") if part and _key(part) not in UTM_KEYS]
    utm = urlencode(
        [
            ("utm_source", source),
            ("utm_medium", "influencer"),
            ("utm_campaign", campaign_slug),
            ("utm_content", code),
        ]
    )
    return urlunsplit(parts._replace(query="&".join([*kept, utm])))


def _key(parameter: str) -> str:
    return unquote_plus(parameter.partition("=")[0])


async def create(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, data: LinkCreate
) -> LinkView:
    campaign = await campaign_service.get(session, org_id, campaign_id)
    creator = await creator_service.get(session, org_id, data.creator_id)
    refuse_archived(campaign, creator, "links")
    repository = LinkRepository(session, org_id)
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        link = TrackingLink(
            campaign_id=campaign.id,
            creator_id=creator.id,
            platform=data.platform,
            code=code,
            destination_url=data.destination_url,
            tracked_url=tracked_url(
                data.destination_url,
                source=data.platform or "sway",
                campaign_slug=slug(campaign),
                code=code,
            ),
        )
        try:
            # Added inside the savepoint, so a refused row leaves with it.
            async with session.begin_nested():
                repository.add(link)
                await repository.flush()
        except IntegrityError:  # the code is taken (in any organization): draw another
            continue
        return LinkView(link, 0, 0)
    raise Conflict("no free link code found; try again")


def refuse_archived(campaign: Campaign, creator: Creator, what: str) -> None:
    """As for collaborations: an archived campaign or creator takes nothing new (links already
    given keep redirecting, and codes keep attributing)."""
    if campaign.archived_at is not None:
        raise Conflict(f"campaign {campaign.id} is archived; it takes no new {what}")
    if creator.archived_at is not None:
        raise Conflict(f"creator {creator.id} is archived; it takes no new {what}")


async def get(session: AsyncSession, org_id: UUID, link_id: UUID) -> LinkView:
    repository = LinkRepository(session, org_id)
    link = await repository.get(link_id)
    if link is None:
        raise NotFound(f"link {link_id} not found")
    clicks, unique = (await repository.counts([link.id])).get(link.id, (0, 0))
    return LinkView(link, clicks, unique)


async def list_for_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, filters: LinkFilters
) -> Page[LinkView]:
    await campaign_service.get(session, org_id, campaign_id)
    repository = LinkRepository(session, org_id)
    page = page_of(
        await repository.for_campaign(campaign_id, filters),
        filters.limit,
        lambda link: (link.created_at, link.id),
    )
    counts = await repository.counts([link.id for link in page.items])
    views = [LinkView(link, *counts.get(link.id, (0, 0))) for link in page.items]
    return Page(views, page.next_cursor)


async def owner(session: AsyncSession, org_id: UUID, code: str) -> CodeOwner | None:
    if not CODE_SHAPE.fullmatch(code):
        return None
    return await LinkRepository(session, org_id).owner(code)


async def follow(
    raw: RawReads,
    salt: visitor.DailySalt,
    code: str,
    *,
    address: str,
    referrer: str | None,
    user_agent: str | None,
    now: datetime,
) -> str:
    """Where /r/{code} sends the visitor, the click recorded: one statement, no platform call.
    Only the hash of (the day's salt, IP, user agent) is kept, never the IP."""
    if not CODE_SHAPE.fullmatch(code):
        raise NotFound("link not found")
    location = await link_repository.follow(
        raw,
        code,
        clicked_at=now,
        referrer=visitor.clip(referrer, visitor.MAX_REFERRER),
        user_agent=visitor.clip(user_agent, visitor.MAX_USER_AGENT),
        visitor_hash=visitor.visitor_hash(await salt.today(now), address, user_agent),
        is_bot=visitor.is_bot(user_agent),
    )
    if location is None:
        raise NotFound(f"link {code} not found")
    return location
