"""Discovery: the organization's creators found by filters and text, ranked by fit to a campaign
(fit.py), and lookalikes by shared terms (docs/discovery.md)."""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.audience import service as audience_service
from shared.domain.campaign import service as campaign_service
from shared.domain.creator import service as creator_service
from shared.domain.creator.repository import sort_value
from shared.domain.discovery import documents, likeness
from shared.domain.discovery.fit import AudienceData, Matched, Targets, audience_fit, reasons
from shared.domain.discovery.repository import DocumentRepository
from shared.domain.discovery.schemas import (
    FIT_SORT,
    AudienceFit,
    CreatorSummary,
    DiscoveredCreator,
    DiscoverFilters,
    Fit,
    SimilarCreator,
    SimilarCreators,
    Similarity,
)
from shared.domain.discovery.search import MATCHED, DiscoveryRepository
from shared.domain.discovery.similar import SimilarRepository
from shared.domain.pagination import Page, encode_cursor
from shared.errors import Invalid, NotFound
from shared.models import Creator

DEFAULT_SORT = "-created_at"
# Lookalikes (likeness.py): how many of the organization's newest creators a term's rarity is
# counted on, and what share of them the candidates' rarest terms may reach.
SAMPLE = 1_000
BUDGET = 0.01
# The organizations whose counts this process keeps: each is reused only while its sample's
# rows are unchanged (similar.py), and weighs up to a few megabytes (at most 50 terms for
# each of the 1,000 sampled creators).
WEIGHTS_KEPT = 32
_weights = likeness.WeightsCache(WEIGHTS_KEPT)


async def discover(
    session: AsyncSession, org_id: UUID, filters: DiscoverFilters
) -> Page[DiscoveredCreator]:
    if filters.campaign_id is None:
        if filters.sort == FIT_SORT:
            raise Invalid.field(("query", "sort"), "sorting by fit needs a campaign_id")
        return await _sorted(session, org_id, filters, filters.sort or DEFAULT_SORT)
    campaign = await campaign_service.get(session, org_id, filters.campaign_id)
    return await _fitted(session, org_id, filters, Targets.of(campaign))


async def _sorted(
    session: AsyncSession, org_id: UUID, filters: DiscoverFilters, sort: str
) -> Page[DiscoveredCreator]:
    rows = await DiscoveryRepository(session, org_id).sorted(filters, sort)
    items = [DiscoveredCreator.model_validate({**_summary(c), "fit": None}) for c in rows]
    next_cursor = None
    if len(rows) > filters.limit:
        items, last = items[: filters.limit], rows[filters.limit - 1]
        next_cursor = encode_cursor(sort_value(last, sort), last.id)
    return Page(items, next_cursor)


async def _fitted(
    session: AsyncSession, org_id: UUID, filters: DiscoverFilters, targets: Targets
) -> Page[DiscoveredCreator]:
    repository = DiscoveryRepository(session, org_id)
    sort = None if filters.sort in (None, FIT_SORT) else filters.sort
    rows = await repository.fitted(filters, targets, sort)
    page, more = rows[: filters.limit], len(rows) > filters.limit
    creators = await repository.by_ids([row.id for row in page])
    matched = {row.id: Matched(*(getattr(row, name) for name in MATCHED)) for row in page}
    counts = await DocumentRepository(session, org_id).hashtag_captions(
        [row.id for row in page if matched[row.id].hashtags],
        targets.hashtags,
        caption_limit=documents.CAPTION_LIMIT,
        caption_chars=documents.CAPTION_CHARS,
    )
    audiences = await _audience_fits(session, org_id, targets, [row.id for row in page])
    items = [
        DiscoveredCreator.model_validate(
            {
                **_summary(creators[row.id]),
                "fit": Fit(score=row.fit, reasons=reasons(matched[row.id], counts.get(row.id, {}))),
                "audience_fit": audiences.get(row.id),
            }
        )
        for row in page
    ]
    next_cursor = None
    if more:
        last = page[-1]
        value = last.sort_value if sort is not None else [last.fit, last.influence_key]
        next_cursor = encode_cursor(value, last.id)
    return Page(items, next_cursor)


async def _audience_fits(
    session: AsyncSession, org_id: UUID, targets: Targets, creator_ids: list[UUID]
) -> dict[UUID, AudienceFit]:
    """The page's audience fits, shown beside fit and not ranked by: audience data exists only
    for connected accounts, and ranking by it would rank by who connected."""
    if not targets.audience:
        return {}
    data = await audience_service.of_creators(session, org_id, creator_ids)
    fits = {}
    for creator_id in creator_ids:
        accounts = [AudienceData(f, shares) for _, f, shares in data.get(creator_id, [])]
        score, said = audience_fit(targets.audience, accounts)
        fits[creator_id] = AudienceFit(score=score, reasons=said)
    return fits


def _summary(creator: Creator) -> dict[str, Any]:
    return {name: getattr(creator, name) for name in CreatorSummary.model_fields}


async def similar(
    session: AsyncSession, org_id: UUID, creator_id: UUID, *, limit: int
) -> SimilarCreators:
    source = await creator_service.get(session, org_id, creator_id)
    if source.archived_at is not None:
        raise NotFound(f"creator {creator_id} not found")
    terms = list(source.terms or [])
    if not terms:
        return SimilarCreators(creator_id=source.id, terms=[], items=[])
    repository = SimilarRepository(session, org_id)
    weights = await _sample_weights(repository, org_id)
    ranked = likeness.heaviest_first(terms, weights)
    probe = likeness.probe(ranked, weights, sample=SAMPLE, budget=BUDGET)
    candidates = await repository.candidates(source.id, probe)
    matches = likeness.best(ranked, candidates, weights, limit=limit)
    creators = await DiscoveryRepository(session, org_id).by_ids([m.creator_id for m in matches])
    items = [
        SimilarCreator.model_validate(
            {
                **_summary(creators[match.creator_id]),
                "similarity": Similarity(score=match.score, reasons=match.shared),
            }
        )
        for match in matches
    ]
    return SimilarCreators(creator_id=source.id, terms=terms, items=items)


async def _sample_weights(repository: SimilarRepository, org_id: UUID) -> likeness.Weights:
    """The organization's term weights, counted again only when its sample changed."""
    kept = _weights.get(org_id)
    sample = await repository.sample(SAMPLE, known=kept.fingerprint if kept else None)
    if kept is not None and sample.terms is None:
        return kept
    weights = likeness.Weights.count(sample.fingerprint, sample.terms or [])
    _weights.put(org_id, weights)
    return weights
