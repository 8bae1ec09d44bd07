"""The brand profile: the organization's terms, a campaign's overrides, and the matchers the
scan builds from them. Any change starts the scan over, so every stored text is matched against
the terms as they are now."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.domain.listening.repository import ListeningRepository
from shared.domain.listening.schemas import TERM_LISTS, BrandProfileRead, BrandTerms
from shared.listening.matching import Matcher, Term
from shared.models import ListeningScan

SCAN = "listening.scan"

# Which kind of term each list holds.
KINDS = {
    "handles": "handle",
    "keywords": "keyword",
    "products": "product",
    "competitors": "competitor",
}


class ScanOrganization(jobs.JobPayload):
    org_id: UUID


def defer_scan(session: AsyncSession, org_id: UUID) -> None:
    # One queued scan per organization: a scan already waiting will see the change.
    jobs.JobQueue.of(session).defer(
        SCAN, ScanOrganization(org_id=org_id), job_id=f"{SCAN}:{org_id}"
    )


async def get(session: AsyncSession, org_id: UUID) -> BrandProfileRead:
    profile = await ListeningRepository(session, org_id).profile()
    if profile is None:
        return BrandProfileRead()
    return BrandProfileRead.model_validate(profile)


async def replace(session: AsyncSession, org_id: UUID, data: BrandTerms) -> BrandProfileRead:
    repository = ListeningRepository(session, org_id)
    current = await repository.profile()
    terms = data.model_dump()
    if current is not None and all(getattr(current, name) == terms[name] for name in TERM_LISTS):
        return BrandProfileRead.model_validate(current)
    profile = await repository.save_profile(terms)
    await restart(session, org_id)
    return BrandProfileRead.model_validate(profile)


async def restart(session: AsyncSession, org_id: UUID) -> None:
    """Match every stored caption and comment again, from the start, as soon as a worker can."""
    repository = ListeningRepository(session, org_id)
    await repository.scan_state()
    await session.execute(
        update(ListeningScan)
        .where(ListeningScan.org_id == org_id)
        .values(captions_scanned_at=None, captions_cursor=None, comments_after=UUID(int=0))
    )
    defer_scan(session, org_id)


def effective(org: dict[str, list[str]], override: dict[str, Any], mentions: list[str]):
    """A campaign's terms: each list it overrides, else the organization's; the handles its
    posts must mention are brand handles too."""
    terms = {name: override.get(name) if override.get(name) is not None else org[name]
             for name in TERM_LISTS}  # fmt: skip
    terms["handles"] = list(dict.fromkeys([*terms["handles"], *mentions]))
    return terms


def _matcher(terms: dict[str, list[str]]) -> Matcher:
    return Matcher(Term(term, KINDS[name]) for name in TERM_LISTS for term in terms[name])


async def matchers(repository: ListeningRepository) -> Callable[[UUID | None], Matcher]:
    """The matcher for a text of a post in a campaign (or in none)."""
    profile = await repository.profile()
    org = {name: list(getattr(profile, name) or []) if profile else [] for name in TERM_LISTS}
    default = _matcher(org)
    campaigns = {
        campaign_id: _matcher(effective(org, found["brand"], found["mentions"]))
        for campaign_id, found in (await repository.campaign_brands()).items()
    }
    return lambda campaign_id: campaigns.get(campaign_id, default) if campaign_id else default
