"""The listening scan: what turns stored texts into mentions and sentiment (docs/listening.md).

One organization at a time, a batch per transaction, in this order of urgency:
1. comments stored or edited and not analysed yet: language, sentiment, then matching;
2. after a brand change, every stored comment matched again (its analysis is kept);
3. every caption of tracked posts and synced listings, one pass per
   SWAY_LISTENING_CAPTION_PASS_S (captions change rarely, and a pass is a cheap keyset walk).
Each batch replaces its texts' mention rows by what matching finds now and counts its posts
again, so running a batch twice changes nothing. A job works SWAY_LISTENING_JOB_S at most and
queues the next to carry on; progress lives in `listening_scan`, so a killed job only repeats
its last batch."""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.domain.kpi.stale import mark_stale as mark_kpis_stale
from shared.domain.listening import profile as profile_service
from shared.domain.listening.repository import ListeningRepository, MentionRow, Source
from shared.listening.matching import Matcher
from shared.listening.sentiment import Analysis, analyse_many
from shared.models import ListeningScan

ZERO_ID = UUID(int=0)
POSTS, LISTINGS = "post", "listing"


@dataclass
class Batch:
    """What one batch did: which step, how many texts, how many mention rows it added."""

    step: str
    texts: int = 0
    mentions: int = 0
    more: bool = False


async def step(
    session: AsyncSession, org_id: UUID, settings: Settings, *, now: datetime
) -> Batch | None:
    """One batch of the most urgent work; None when there is none."""
    repository = ListeningRepository(session, org_id)
    state = await repository.scan_state()
    matcher_for = await profile_service.matchers(repository)
    limit = settings.listening_batch
    batch = await _unanalysed_comments(repository, matcher_for, limit, now)
    if batch is None and state.comments_after is not None:
        batch = await _rematch_comments(repository, state, matcher_for, limit, now)
    if batch is None and _captions_due(state, settings, now):
        batch = await _captions(repository, state, matcher_for, limit, now)
    return batch


async def _unanalysed_comments(repository, matcher_for, limit: int, now: datetime):
    rows = await repository.comments(after=None, limit=limit)
    if not rows:
        return None
    sources = [source for source, _ in rows]
    analyses = await _analyse([source.text or "" for source in sources])
    pairs = list(zip(sources, analyses, strict=True))
    await repository.set_analysis(
        [(s.comment_id, a.language, a.sentiment, a.score) for s, a in pairs], now
    )
    known = {source.key: analysis for source, analysis in pairs}
    added, touched = await _write(repository, sources, matcher_for, known)
    await _recount(repository, touched | {source.post_id for source in sources}, now)
    return Batch("comments", len(sources), added, more=len(rows) == limit)


async def _rematch_comments(repository, state: ListeningScan, matcher_for, limit, now):
    rows = await repository.comments(after=state.comments_after, limit=limit)
    known = {source.key: Analysis(*stored) for source, stored in rows}
    sources = [source for source, _ in rows]
    added, touched = await _write(repository, sources, matcher_for, known)
    await _recount(repository, touched, now)
    done = len(rows) < limit
    state.comments_after = None if done else sources[-1].comment_id
    return Batch("comment rematch", len(sources), added, more=not done)


def _captions_due(state: ListeningScan, settings: Settings, now: datetime) -> bool:
    if state.captions_cursor is not None or state.captions_scanned_at is None:
        return True
    return now - state.captions_scanned_at >= timedelta(seconds=settings.listening_caption_pass_s)


async def _captions(repository, state: ListeningScan, matcher_for, limit: int, now: datetime):
    """One batch of the caption pass: tracked posts by (platform, external id), then synced
    listings by (account, external id)."""
    phase, first, second = _cursor(state.captions_cursor)
    if phase == POSTS:
        sources = await repository.posts_after(first, second, limit)
        read = len(sources)
        last = (sources[-1].platform, sources[-1].post_external_id) if sources else None
    else:
        sources, read, last = await repository.listings_after(UUID(first), second, limit)
    added, touched = await _write(repository, sources, matcher_for, {})
    touched |= await repository.relink(sources)
    await _recount(repository, touched, now)
    if read == limit:
        state.captions_cursor = f"{phase}:{last[0]}:{last[1]}"
    elif phase == POSTS:
        state.captions_cursor = f"{LISTINGS}:{ZERO_ID}:"
    else:
        state.captions_cursor, state.captions_scanned_at = None, now
    more = state.captions_cursor is not None
    return Batch(f"captions ({phase}s)", len(sources), added, more=more)


async def _recount(repository: ListeningRepository, posts: set[UUID], now: datetime) -> None:
    """Count the posts again; campaigns whose figures moved get a KPI snapshot soon."""
    for campaign_id in await repository.recount(posts, now):
        mark_kpis_stale(repository.session, repository.org_id, campaign_id)


def _cursor(cursor: str | None) -> tuple[str, str, str]:
    """(phase, first key, second key): the caption pass's position; external ids may hold ':'."""
    if cursor is None:
        return POSTS, "", ""
    phase, first, second = cursor.split(":", 2)
    return phase, first, second


async def _write(
    repository: ListeningRepository,
    sources: Sequence[Source],
    matcher_for: Callable[[UUID | None], Matcher],
    known: dict[str, Analysis],
) -> tuple[int, set[UUID]]:
    """Make the texts' mention rows what matching finds now: rows of terms no longer found go,
    new ones come with the text's sentiment (analysed here for captions, `known` for
    comments). Returns the rows added and the posts whose counts changed."""
    found = {source.key: matcher_for(source.campaign_id).find(source.text) for source in sources}
    existing = await repository.existing_terms(list(found))
    wanted = {(key, m.term, m.kind) for key, matches in found.items() for m in matches}
    # A term whose kind changed (a product now listed as a competitor) is replaced.
    touched = await repository.delete_terms(existing - wanted)
    new = [
        (source, match)
        for source in sources
        for match in found[source.key]
        if (source.key, match.term, match.kind) not in existing
    ]
    analyses = await _analyses({source for source, _ in new}, known)
    await repository.add_mentions(
        [
            MentionRow(source, match.term, match.kind, *_fields(analyses[source.key]))
            for source, match in new
        ]
    )
    touched |= {source.post_id for source, _ in new if source.post_id is not None}
    return len(new), touched


async def _analyse(texts: list[str]) -> list[Analysis]:
    # Off the event loop: a batch is about a second of CPU, and the worker's other jobs (and
    # arq's own bookkeeping) share the loop.
    return await asyncio.to_thread(analyse_many, texts) if texts else []


async def _analyses(sources: set[Source], known: dict[str, Analysis]) -> dict[str, Analysis]:
    missing = sorted((s for s in sources if s.key not in known), key=lambda s: s.key)
    fresh = await _analyse([source.text or "" for source in missing])
    return known | {source.key: analysis for source, analysis in zip(missing, fresh, strict=True)}


def _fields(analysis: Analysis) -> tuple[str | None, str, float | None]:
    return analysis.language, analysis.sentiment, analysis.score


async def run(
    transaction: Callable[[], Any], org_id: UUID, settings: Settings, *, clock=time.monotonic
) -> tuple[list[Batch], bool]:
    """Batches, each in its own `transaction()`, until none is left or the job's time is up.
    Returns them and whether work remains."""
    deadline = clock() + settings.listening_job_s
    batches: list[Batch] = []
    while True:
        async with transaction() as session:
            batch = await step(session, org_id, settings, now=datetime.now(UTC))
        if batch is None:
            return batches, False
        batches.append(batch)
        if clock() >= deadline:
            return batches, True
