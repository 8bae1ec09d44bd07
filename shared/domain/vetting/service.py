"""Vetting (docs/vetting.md): the organization's engagement benchmarks, and each account's
authenticity and influence, recomputed after every account sync, with the creator's influence
from its accounts'. An account whose score falls below the alert threshold emits
`account.authenticity_alert` once per fall."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.vetting.benchmarks import DEFAULTS, PLATFORM_ORDER, TIER_ORDER, Benchmark
from shared.domain.vetting.repository import BenchmarkRepository, VettingRepository
from shared.domain.vetting.schemas import (
    Authenticity,
    BenchmarkRead,
    BenchmarksRead,
    BenchmarksUpdate,
    Influence,
    InfluenceComponent,
)
from shared.metrics import vetting
from shared.metrics.vetting import PostFigures
from shared.models import CreatorAccount

# Everything a score reads from the follower history is within this window.
HISTORY = timedelta(days=vetting.HISTORY_DAYS)


async def list_benchmarks(session: AsyncSession, org_id: UUID) -> BenchmarksRead:
    """Every (platform, tier) pair: the organization's row where it set one, else the default."""
    overrides = {
        (row.platform, row.tier): row
        for row in await BenchmarkRepository(session, org_id).overrides()
    }
    rows = []
    for platform in PLATFORM_ORDER:
        for tier in TIER_ORDER:
            key = (platform.value, tier.value)
            row = overrides.get(key) or DEFAULTS[key]
            rows.append(_read(row, custom=key in overrides))
    return BenchmarksRead(benchmarks=rows)


def _read(row: Any, *, custom: bool) -> BenchmarkRead:
    return BenchmarkRead(
        platform=row.platform,
        tier=row.tier,
        engagement_rate=row.engagement_rate,
        definition=row.definition,
        source=row.source,
        custom=custom,
    )


async def replace_benchmarks(
    session: AsyncSession, org_id: UUID, data: BenchmarksUpdate
) -> BenchmarksRead:
    """The organization's overrides become the list as a whole; an empty list restores every
    default. Scores use them from each account's next sync."""
    rows = [
        {
            "platform": row.platform.value,
            "tier": row.tier.value,
            "engagement_rate": row.engagement_rate,
            "definition": row.definition,
            "source": row.source,
        }
        for row in data.benchmarks
    ]
    await BenchmarkRepository(session, org_id).replace_all(rows)
    return await list_benchmarks(session, org_id)


async def benchmark_for(
    session: AsyncSession, org_id: UUID, platform: str, tier: str | None
) -> Benchmark | None:
    if tier is None:
        return None
    row = await BenchmarkRepository(session, org_id).one(platform, tier)
    if row is None:
        return DEFAULTS.get((platform, tier))
    return Benchmark(row.platform, row.tier, row.engagement_rate, row.definition, row.source)


async def assess_account(
    session: AsyncSession,
    account: CreatorAccount,
    *,
    settled: Sequence[PostFigures],
    recent: Sequence[PostFigures],
    now: datetime,
    settings: Settings,
) -> None:
    """Authenticity and influence for the account, from `settled` (its last settled posts with
    a rate, as its engagement rate reads them) and `recent` (its newest posts, settled or not);
    the alert when the score fell below the threshold."""
    repository = VettingRepository(session, account.org_id)
    benchmark = await benchmark_for(session, account.org_id, account.platform, account.tier)
    label = f"{account.platform}/{account.tier}"
    rate = benchmark.engagement_rate if benchmark else None
    history = await repository.daily_followers(account.id, now - HISTORY, now)
    band = vetting.COMMENT_LIKE_BANDS.get(account.platform)
    result = vetting.authenticity(settled, rate, label, history, band)
    account.authenticity = Authenticity(
        score=result.score,
        signals=[vars(s) for s in result.signals],
        insufficient_history=result.insufficient_history,
        unchecked=result.unchecked,
        reason=result.reason,
        computed_at=now,
    ).model_dump(mode="json")
    account.authenticity_score = result.score
    await _alert(session, account, result, now=now, threshold=settings.authenticity_alert_below)

    growth_since = now - timedelta(days=vetting.GROWTH_DAYS)
    counts = await repository.followers_history(account.id, growth_since, now)
    niches = await repository.niches(account.creator_id)
    parts = [
        vetting.engagement_component(account.engagement_rate, rate, label),
        vetting.authenticity_component(result.score),
        vetting.consistency_component([p.published_at for p in recent if p.published_at]),
        vetting.growth_component(vetting.follower_growth(counts, now)),
        vetting.niche_component([p.caption for p in recent if p.caption], niches),
    ]
    influence = vetting.influence(parts)
    account.influence_score = influence.score
    account.influence = _influence_json(influence, now)


def _influence_json(result: vetting.InfluenceResult, now: datetime) -> dict[str, Any]:
    components = [
        InfluenceComponent(
            name=c.name, value=c.value, score=c.score, weight=round(w, 4), reason=c.reason
        )
        for c, w in result.components
    ]
    return Influence(
        score=result.score, components=components, missing=result.missing, computed_at=now
    ).model_dump(mode="json")


async def _alert(
    session: AsyncSession,
    account: CreatorAccount,
    result: vetting.AuthenticityResult,
    *,
    now: datetime,
    threshold: float,
) -> None:
    """Once per fall: the first score below the threshold emits and marks the account; a score
    back at or above it clears the mark. An unknown score (too little history) changes
    neither: it is no recovery."""
    if result.score is None:
        return
    if result.score >= threshold:
        account.authenticity_alerted_at = None
        return
    if account.authenticity_alerted_at is not None:
        return
    account.authenticity_alerted_at = now
    data = payloads.authenticity_alert(
        account_id=account.id,
        creator_id=account.creator_id,
        platform=account.platform,
        handle=account.handle,
        score=result.score,
        reasons=[s.detail for s in result.signals],
        at=now,
    )
    await events_service.emit(
        session, account.org_id, EventType.account_authenticity_alert, data, now=now
    )


async def assess_creator(
    session: AsyncSession, org_id: UUID, creator_id: UUID, *, now: datetime
) -> None:
    """The creator's influence: the follower-weighted mean of its accounts' scores (a side
    account with a small audience weighs little), each account a component."""
    repository = VettingRepository(session, org_id)
    accounts = await repository.scored_accounts(creator_id)
    if not accounts:
        influence = Influence(
            missing=["accounts: no account of the creator has an influence score yet"],
            computed_at=now,
        )
        await repository.set_creator_influence(creator_id, None, influence.model_dump(mode="json"))
        return
    weights = vetting.combine_accounts([(a.influence_score, a.followers) for a in accounts])
    score = round(sum(a.influence_score * w for a, w in zip(accounts, weights, strict=True)), 1)
    components = [
        InfluenceComponent(
            name=f"{a.platform}:{a.handle}",
            account_id=a.id,
            value=a.followers,
            score=a.influence_score,
            weight=round(w, 4),
            reason=f"the account's influence score, weighted by its {a.followers or 0:,} "
            "followers' share of the creator's",
        )
        for a, w in zip(accounts, weights, strict=True)
    ]
    influence = Influence(score=score, components=components, computed_at=now)
    await repository.set_creator_influence(creator_id, score, influence.model_dump(mode="json"))
