"""When a post must disclose, and keeping its stored `disclosure` true to that as the inputs change.

A post must disclose when its campaign's `disclosure_required` is set, when its creator's
collaboration on the campaign is not declined and pays anything (a fee, a product value or a
commission rate above zero), or when the deliverable it fulfils requires a disclosure; a post of
no campaign, or of none of these, need not. Brand terms are the campaign's mentions and its name.
docs/metrics.md, "Disclosure", is the user's statement of this; `disclosure.check` is the check.

Every change to an input recomputes the posts it touches: a campaign's `disclosure_required`,
`mentions` or `name`; a collaboration created, paid differently, or moved to or from `declined`; a
deliverable's disclosure requirement, or a post linked to or unlinked from one; a post tracked,
captured, or learning its caption."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.post import disclosure
from shared.domain.post.disclosure_repository import DisclosureInput, DisclosureRepository


@dataclass(frozen=True, slots=True)
class Requirement:
    required: bool
    brand_terms: tuple[str, ...] = ()


NOT_REQUIRED = Requirement(required=False)


def check(caption: str | None, platform: str | None, requirement: Requirement) -> dict:
    return disclosure.check(
        caption,
        required=requirement.required,
        platform=platform,
        brand_terms=requirement.brand_terms,
    )


async def requirements(
    session: AsyncSession, org_id: UUID, post_ids: Sequence[UUID]
) -> dict[UUID, Requirement]:
    """Each post's requirement, in one query for all of them."""
    await session.flush()
    rows = await DisclosureRepository(session, org_id).of_posts(post_ids)
    return {row.id: Requirement(row.required, row.brand_terms) for row in rows}


async def recompute_posts(session: AsyncSession, org_id: UUID, post_ids: Sequence[UUID]) -> None:
    if not post_ids:
        return
    await session.flush()
    repository = DisclosureRepository(session, org_id)
    await _store(repository, await repository.of_posts(post_ids))


async def recompute_campaign(
    session: AsyncSession, org_id: UUID, campaign_id: UUID, *, creator_id: UUID | None = None
) -> None:
    """Every post of the campaign (of one creator, when given): one read, one write."""
    await session.flush()
    repository = DisclosureRepository(session, org_id)
    await _store(repository, await repository.of_campaign(campaign_id, creator_id))


async def _store(repository: DisclosureRepository, rows: Iterable[DisclosureInput]) -> None:
    checks = {
        row.id: check(row.caption, row.platform, Requirement(row.required, row.brand_terms))
        for row in rows
    }
    await repository.write({post_id: json.dumps(value) for post_id, value in checks.items()})
    repository.show_loaded(checks)
