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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
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


async def recompute_posts(
    session: AsyncSession,
    org_id: UUID,
    post_ids: Sequence[UUID],
    *,
    captions_new: bool = False,
    now: datetime | None = None,
) -> None:
    """`captions_new`: the posts' captions just arrived, so each one failing its disclosure is
    announced, even if its check without a caption had already failed."""
    if not post_ids:
        return
    await session.flush()
    repository = DisclosureRepository(session, org_id)
    rows = await repository.of_posts(post_ids)
    await _store(session, repository, rows, captions_new=captions_new, now=now)


async def recompute_campaign(
    session: AsyncSession,
    org_id: UUID,
    campaign_id: UUID,
    *,
    creator_id: UUID | None = None,
    now: datetime | None = None,
) -> None:
    """Every post of the campaign (of one creator, when given): one read, one write."""
    await session.flush()
    repository = DisclosureRepository(session, org_id)
    rows = await repository.of_campaign(campaign_id, creator_id)
    await _store(session, repository, rows, captions_new=False, now=now)


async def _store(
    session: AsyncSession,
    repository: DisclosureRepository,
    rows: Iterable[DisclosureInput],
    *,
    captions_new: bool,
    now: datetime | None,
) -> None:
    rows = list(rows)
    checks = {
        row.id: check(row.caption, row.platform, Requirement(row.required, row.brand_terms))
        for row in rows
    }
    was = await repository.write({post_id: json.dumps(value) for post_id, value in checks.items()})
    repository.show_loaded(checks)
    # A post turns non-compliant when its check now fails and did not before. Without a caption
    # there is nothing to judge yet: such a post is announced once its caption arrives.
    captioned = {row.id for row in rows if row.caption}
    turned = {
        post_id: value
        for post_id, value in checks.items()
        if value["compliant"] is False
        and post_id in captioned
        and (captions_new or (post_id in was and was[post_id] != "false"))
    }
    await _announce(session, repository.org_id, turned, now)


async def announce_missing(
    session: AsyncSession, org_id: UUID, checks: Mapping[UUID, str | None], *, now: datetime
) -> None:
    """Posts whose caption, and so their first real check (JSON text), just arrived."""
    failing = {}
    for post_id, text in checks.items():
        value = json.loads(text) if text else None
        if value is not None and value["compliant"] is False:
            failing[post_id] = value
    await _announce(session, org_id, failing, now)


async def _announce(
    session: AsyncSession, org_id: UUID, failing: Mapping[UUID, dict], now: datetime | None
) -> None:
    if not failing:
        return
    await events_service.emit_posts(
        session,
        org_id,
        EventType.post_disclosure_missing,
        list(failing),
        lambda post: payloads.disclosure_missing(post, failing[post.id]),
        now=now or datetime.now(UTC),
    )
