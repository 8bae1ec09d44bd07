"""What brand listening answers: a campaign's (or the organization's) mentions, a post's
comments, and a creator's brand history for vetting (docs/listening.md)."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.campaign import service as campaign_service
from shared.domain.creator import service as creator_service
from shared.domain.listening import profile as profile_service
from shared.domain.listening.repository import ListeningReads, ListeningRepository
from shared.domain.listening.schemas import (
    BrandHistoryQuery,
    BrandHistoryRead,
    BrandSeen,
    ListFilters,
    MentionFilters,
)
from shared.domain.pagination import Page, page_of
from shared.domain.post import disclosure
from shared.domain.post import service as post_service
from shared.listening.matching import normalize

EXAMPLES = 3


def _sentiment(label: str | None, score: float | None, language: str | None) -> dict | None:
    if label is None:
        return None
    return {"label": label, "score": score, "language": language}


def _mention(row: Any) -> dict:
    m = row.Mention
    return {
        "id": m.id, "source": m.source, "term": m.term, "kind": m.kind, "text": row.text,
        "occurred_at": m.occurred_at, "platform": m.platform, "creator_id": m.creator_id,
        "account_id": m.account_id, "post_id": m.post_id, "post_external_id": m.post_external_id,
        "comment_id": m.comment_id, "campaign_id": m.campaign_id,
        "sentiment": _sentiment(m.sentiment, m.sentiment_score, m.language),
    }  # fmt: skip


def _comment(row: Any) -> dict:
    c = row.Comment
    return {
        "id": c.id, "post_id": c.post_id, "platform": c.platform, "external_id": c.external_id,
        "parent_external_id": c.parent_external_id, "text": c.text,
        "published_at": c.published_at, "like_count": c.like_count,
        "author_hash": c.author_hash, "terms": list(row.terms),
        "sentiment": _sentiment(c.sentiment, c.sentiment_score, c.language),
    }  # fmt: skip


async def mention_page(
    session: AsyncSession, org_id: UUID, filters: MentionFilters, *, campaign_id: UUID | None
) -> Page[dict]:
    """Mentions newest first; of one campaign's posts when `campaign_id` is given."""
    if campaign_id is not None:
        await campaign_service.get(session, org_id, campaign_id)
    rows = await ListeningReads(session, org_id).mentions(filters, campaign_id=campaign_id)
    page = page_of(rows, filters.limit, lambda row: (row.Mention.occurred_at, row.Mention.id))
    return Page([_mention(row) for row in page.items], page.next_cursor)


async def comment_page(
    session: AsyncSession, org_id: UUID, post_id: UUID, filters: ListFilters
) -> Page[dict]:
    await post_service.get(session, org_id, post_id)
    rows = await ListeningReads(session, org_id).comments(post_id, filters)
    page = page_of(rows, filters.limit, lambda row: (row.Comment.published_at, row.Comment.id))
    return Page([_comment(row) for row in page.items], page.next_cursor)


def _months_before(now: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    for day in range(now.day, 0, -1):
        try:
            return now.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 1st")


def _keys(terms: list[str]) -> set[str]:
    """Terms as brand keys: normalized, without spaces or "@" ("Blue Bottle" is bluebottle)."""
    return {_key(term) for term in terms}


def _key(term: str) -> str:
    return normalize(term).replace(" ", "").lstrip("@")


def _brands_in(caption: str, own: set[str], matcher) -> dict[str, str]:
    """The brands a sponsored caption names, by normalized key: its @handles (not the
    creator's own) and the brand profile's terms it contains, each with how it reads."""
    named = {_key(h): f"@{h}" for h in disclosure.mentions(caption) if h not in own}
    for match in matcher.find(caption):
        named.setdefault(_key(match.term), match.term)
    return named


async def brand_history(
    session: AsyncSession,
    org_id: UUID,
    creator_id: UUID,
    query: BrandHistoryQuery,
    *,
    now: datetime | None = None,
) -> BrandHistoryRead:
    """The brands a creator named in disclosed sponsored posts over the last `months`, so a
    team sees competitor conflicts before contracting. Read from the creator's synced listings
    and tracked posts: a platform whose listing holds fewer posts reaches less far back."""
    creator = await creator_service.get(session, org_id, creator_id)
    since = _months_before(now or datetime.now(UTC), query.months)
    repository = ListeningRepository(session, org_id)
    profile = await profile_service.get(session, org_id)
    matcher = (await profile_service.matchers(repository))(None)
    competitors = _keys(profile.competitors)
    ours = _keys([*profile.handles, *profile.keywords, *profile.products])
    own = {account.handle.lower().lstrip("@") for account in creator.accounts}
    rows = await ListeningReads(session, org_id).creator_captions(creator_id, since)
    seen: dict[str, dict] = {}
    sponsored = 0
    for row in rows:
        if not disclosure.check(row.caption, required=True, platform=row.platform)["found"]:
            continue
        sponsored += 1
        for key, label in _brands_in(row.caption or "", own, matcher).items():
            brand = seen.setdefault(
                key, {"brand": label, "posts": 0, "last": None, "platforms": set(), "examples": []}
            )
            brand["posts"] += 1
            brand["platforms"].add(row.platform)
            brand["last"] = max(filter(None, (brand["last"], row.published_at)), default=None)
            if len(brand["examples"]) < EXAMPLES:
                brand["examples"].append(row.url or f"{row.platform}:{row.external_id}")
    brands = [
        BrandSeen(
            brand=found["brand"], posts=found["posts"], last_posted_at=found["last"],
            platforms=sorted(found["platforms"]), competitor=key in competitors,
            own_brand=key in ours, examples=found["examples"],
        )
        for key, found in sorted(seen.items(), key=lambda item: (-item[1]["posts"], item[0]))
    ]  # fmt: skip
    return BrandHistoryRead(
        creator_id=creator_id,
        months=query.months,
        since=since,
        sponsored_posts=sponsored,
        posts_read=len(rows),
        brands=brands,
        competitor_conflicts=[brand.brand for brand in brands if brand.competitor],
    )
