"""Brand listening's SQL: the brand profile, the texts the scan reads (captions of tracked posts
and synced listings, stored comments), the mention rows it writes, each post's listening counts,
and the reads behind the listing endpoints and the campaign KPIs."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.pagination import decode_cursor, parse_datetime
from shared.models import (
    AccountRecentPost,
    BrandProfile,
    Campaign,
    Comment,
    ListeningScan,
    Mention,
    Post,
)


@dataclass(frozen=True, slots=True)
class Source:
    """One text the scan matches: a caption or a comment, and where it was said."""

    key: str
    source: str  # caption|comment
    text: str | None
    occurred_at: datetime
    account_id: UUID
    creator_id: UUID
    platform: str
    post_external_id: str
    post_id: UUID | None
    comment_id: UUID | None
    campaign_id: UUID | None


@dataclass(frozen=True, slots=True)
class MentionRow:
    source: Source
    term: str
    kind: str
    language: str | None
    sentiment: str
    score: float | None


def caption_key(account_id: UUID, external_id: str) -> str:
    return f"caption:{account_id}:{external_id}"


def comment_key(comment_id: UUID) -> str:
    return f"comment:{comment_id}"


# Tracked posts in the order of their unique index, after a cursor.
POSTS_AFTER = text("""
SELECT id, caption, coalesce(published_at, created_at) AS occurred_at, account_id, creator_id,
       platform, external_id, campaign_id
FROM post
WHERE org_id = :org AND (platform, external_id) > (:platform, :external_id)
ORDER BY platform, external_id
LIMIT :limit
""")

# Synced listings after a cursor, leaving out those of tracked posts (matched as posts).
LISTINGS_AFTER = text("""
SELECT r.account_id, r.external_id, r.caption, coalesce(r.published_at, r.seen_at) AS occurred_at,
       a.creator_id, a.platform, p.id IS NOT NULL AS tracked
FROM account_recent_post r
JOIN creator_account a ON a.id = r.account_id
LEFT JOIN post p ON p.org_id = r.org_id AND p.platform = a.platform
                AND p.external_id = r.external_id
WHERE r.org_id = :org AND (r.account_id, r.external_id) > (:account_id, :external_id)
ORDER BY r.account_id, r.external_id
LIMIT :limit
""")

_COMMENTS = """
SELECT c.id, c.text, c.published_at, c.post_id, p.external_id, p.account_id, p.creator_id,
       p.platform, p.campaign_id, c.language, c.sentiment, c.sentiment_score
FROM comment c
JOIN post p ON p.id = c.post_id
WHERE c.org_id = :org AND {where}
ORDER BY c.id
LIMIT :limit
"""
COMMENTS_UNANALYSED = text(_COMMENTS.format(where="c.analysed_at IS NULL"))
COMMENTS_AFTER = text(_COMMENTS.format(where="c.id > :after AND c.analysed_at IS NOT NULL"))

SET_ANALYSIS = text("""
UPDATE comment c SET language = v.language, sentiment = v.sentiment,
                     sentiment_score = v.score, analysed_at = :now
FROM unnest(CAST(:ids AS uuid[]), CAST(:languages AS text[]), CAST(:sentiments AS text[]),
            CAST(:scores AS float8[])) AS v(id, language, sentiment, score)
WHERE c.org_id = :org AND c.id = v.id AND c.analysed_at IS NULL
""")

EXISTING_TERMS = text("""
SELECT source_key, term, kind FROM mention
WHERE org_id = :org AND source_key = ANY(CAST(:keys AS text[]))
""")

DELETE_TERMS = text("""
DELETE FROM mention m
USING unnest(CAST(:keys AS text[]), CAST(:terms AS text[])) AS v(source_key, term)
WHERE m.org_id = :org AND m.source_key = v.source_key AND m.term = v.term
RETURNING m.post_id
""")

# A listing's caption mentions gain their post once it is tracked (and its campaign with it).
RELINK = text("""
UPDATE mention m SET post_id = v.post_id, campaign_id = v.campaign_id
FROM unnest(CAST(:keys AS text[]), CAST(:posts AS uuid[]), CAST(:campaigns AS uuid[]))
     AS v(source_key, post_id, campaign_id)
WHERE m.org_id = :org AND m.source_key = v.source_key
  AND (m.post_id IS DISTINCT FROM v.post_id OR m.campaign_id IS DISTINCT FROM v.campaign_id)
RETURNING m.post_id
""")

# Counted again from the rows themselves, so a count is never off by a lost increment.
RECOUNT = text("""
INSERT INTO post_listening (post_id, org_id, campaign_id, creator_id, platform, mentions,
                            competitor_mentions, positive, neutral, negative, unanalysed,
                            pending, counted_at)
SELECT p.id, p.org_id, p.campaign_id, p.creator_id, p.platform, m.brand, m.competitor,
       c.positive + (cap.sentiment = 'positive')::int,
       c.neutral + (cap.sentiment = 'neutral')::int,
       c.negative + (cap.sentiment = 'negative')::int,
       c.unanalysed + (cap.sentiment = 'unanalysed')::int,
       c.pending, :now
FROM post p
CROSS JOIN LATERAL (
    SELECT count(DISTINCT source_key) FILTER (WHERE kind <> 'competitor') AS brand,
           count(DISTINCT source_key) FILTER (WHERE kind = 'competitor') AS competitor
    FROM mention WHERE post_id = p.id
) m
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE sentiment = 'positive') AS positive,
           count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           count(*) FILTER (WHERE sentiment = 'unanalysed') AS unanalysed,
           count(*) FILTER (WHERE sentiment IS NULL) AS pending
    FROM comment WHERE post_id = p.id
) c
LEFT JOIN LATERAL (
    SELECT coalesce(
        (SELECT sentiment FROM mention
         WHERE post_id = p.id AND source = 'caption' AND kind <> 'competitor' LIMIT 1),
        'none') AS sentiment
) cap ON true
WHERE p.org_id = :org AND p.id = ANY(CAST(:posts AS uuid[]))
ON CONFLICT (post_id, org_id) DO UPDATE SET
    campaign_id = EXCLUDED.campaign_id,
    mentions = EXCLUDED.mentions, competitor_mentions = EXCLUDED.competitor_mentions,
    positive = EXCLUDED.positive, neutral = EXCLUDED.neutral, negative = EXCLUDED.negative,
    unanalysed = EXCLUDED.unanalysed, pending = EXCLUDED.pending, counted_at = EXCLUDED.counted_at
WHERE (post_listening.campaign_id, post_listening.mentions, post_listening.competitor_mentions,
       post_listening.positive,
       post_listening.neutral, post_listening.negative, post_listening.unanalysed,
       post_listening.pending)
      IS DISTINCT FROM (EXCLUDED.campaign_id, EXCLUDED.mentions, EXCLUDED.competitor_mentions,
                        EXCLUDED.positive,
                        EXCLUDED.neutral, EXCLUDED.negative, EXCLUDED.unanalysed,
                        EXCLUDED.pending)
RETURNING (SELECT campaign_id FROM post WHERE post.id = post_listening.post_id)
""")

# Organizations with something to listen to: a brand (their own or a campaign's), or comments
# waiting for analysis.
LISTENING_ORGS = text("""
SELECT org_id FROM brand_profile
UNION SELECT org_id FROM campaign WHERE brand IS NOT NULL
UNION SELECT DISTINCT org_id FROM comment WHERE analysed_at IS NULL
""")


class ListeningRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    # --- the brand profile ---

    async def profile(self) -> BrandProfile | None:
        return await self.session.get(BrandProfile, self.org_id)

    async def save_profile(self, terms: dict[str, list[str]]) -> BrandProfile:
        statement = insert(BrandProfile).values(org_id=self.org_id, **terms)
        statement = statement.on_conflict_do_update(
            index_elements=[BrandProfile.org_id], set_={**terms, "updated_at": text("now()")}
        ).returning(BrandProfile)
        return (
            await self.session.scalars(statement, execution_options={"populate_existing": True})
        ).one()

    async def campaign_brands(self) -> dict[UUID, dict[str, Any]]:
        """Each campaign's brand terms override, with its mentions (handles by definition)."""
        rows = await self.session.execute(
            select(Campaign.id, Campaign.brand, Campaign.mentions).where(
                Campaign.org_id == self.org_id,
                (Campaign.brand.is_not(None)) | (Campaign.mentions != []),
            )
        )
        return {id: {"brand": brand or {}, "mentions": mentions} for id, brand, mentions in rows}

    # --- the scan's progress ---

    async def scan_state(self) -> ListeningScan:
        await self.session.execute(
            insert(ListeningScan).values(org_id=self.org_id).on_conflict_do_nothing()
        )
        # FOR UPDATE: one scan of an organization at a time; a second waits, then finds the
        # work done.
        return (
            await self.session.scalars(
                select(ListeningScan)
                .where(ListeningScan.org_id == self.org_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one()

    # --- texts ---

    async def posts_after(self, platform: str, external_id: str, limit: int) -> list[Source]:
        rows = await self.session.execute(
            POSTS_AFTER,
            {"org": self.org_id, "platform": platform, "external_id": external_id, "limit": limit},
        )
        return [
            Source(
                caption_key(r.account_id, r.external_id), "caption", r.caption, r.occurred_at,
                r.account_id, r.creator_id, r.platform, r.external_id, r.id, None, r.campaign_id,
            )
            for r in rows
        ]  # fmt: skip

    async def listings_after(
        self, account_id: UUID, external_id: str, limit: int
    ) -> tuple[list[Source], int, tuple[UUID, str] | None]:
        """Untracked listings after the cursor, how many rows were read (tracked included), and
        the last row's key."""
        rows = (
            await self.session.execute(
                LISTINGS_AFTER,
                {
                    "org": self.org_id,
                    "account_id": account_id,
                    "external_id": external_id,
                    "limit": limit,
                },
            )
        ).all()
        sources = [
            Source(
                caption_key(r.account_id, r.external_id), "caption", r.caption, r.occurred_at,
                r.account_id, r.creator_id, r.platform, r.external_id, None, None, None,
            )
            for r in rows
            if not r.tracked
        ]  # fmt: skip
        last = (rows[-1].account_id, rows[-1].external_id) if rows else None
        return sources, len(rows), last

    async def comments(self, *, after: UUID | None, limit: int) -> list[tuple[Source, Any]]:
        """Comments waiting for analysis (`after` None), or analysed ones after `after`, each
        with its stored (language, sentiment, score)."""
        statement = COMMENTS_UNANALYSED if after is None else COMMENTS_AFTER
        params = {"org": self.org_id, "limit": limit}
        if after is not None:
            params["after"] = after
        rows = await self.session.execute(statement, params)
        return [
            (
                Source(
                    comment_key(r.id), "comment", r.text, r.published_at, r.account_id,
                    r.creator_id, r.platform, r.external_id, r.post_id, r.id, r.campaign_id,
                ),
                (r.language, r.sentiment, r.sentiment_score),
            )
            for r in rows
        ]  # fmt: skip

    async def set_analysis(
        self, analysed: Sequence[tuple[UUID, str | None, str, float | None]], now: datetime
    ) -> None:
        if not analysed:
            return
        columns = (list(column) for column in zip(*analysed, strict=True))
        ids, languages, sentiments, scores = columns
        await self.session.execute(
            SET_ANALYSIS,
            {
                "org": self.org_id, "ids": ids, "languages": languages,
                "sentiments": sentiments, "scores": scores, "now": now,
            },
        )  # fmt: skip

    # --- mentions ---

    async def existing_terms(self, keys: Sequence[str]) -> set[tuple[str, str, str]]:
        """The (source key, term, kind) of these texts' mention rows."""
        rows = await self.session.execute(EXISTING_TERMS, {"org": self.org_id, "keys": list(keys)})
        return {(key, term, kind) for key, term, kind in rows}

    async def delete_terms(self, found: Iterable[tuple[str, str, str]]) -> set[UUID]:
        """Remove these (source key, term, kind) rows; the posts whose counts change."""
        pairs = [(key, term) for key, term, _ in found]
        if not pairs:
            return set()
        keys, terms = (list(column) for column in zip(*pairs, strict=True))
        rows = await self.session.execute(
            DELETE_TERMS, {"org": self.org_id, "keys": keys, "terms": terms}
        )
        return {post_id for (post_id,) in rows if post_id is not None}

    async def add_mentions(self, rows: Sequence[MentionRow]) -> None:
        if not rows:
            return
        values = [
            {
                "org_id": self.org_id,
                "source_key": row.source.key,
                "source": row.source.source,
                "account_id": row.source.account_id,
                "creator_id": row.source.creator_id,
                "platform": row.source.platform,
                "post_external_id": row.source.post_external_id,
                "post_id": row.source.post_id,
                "comment_id": row.source.comment_id,
                "campaign_id": row.source.campaign_id,
                "term": row.term,
                "kind": row.kind,
                "occurred_at": row.source.occurred_at,
                "language": row.language,
                "sentiment": row.sentiment,
                "sentiment_score": row.score,
            }
            for row in rows
        ]
        await self.session.execute(insert(Mention).values(values).on_conflict_do_nothing())

    async def relink(self, sources: Sequence[Source]) -> set[UUID]:
        """Point caption mentions at their tracked post and its campaign, where they do not."""
        linked = [s for s in sources if s.source == "caption"]
        if not linked:
            return set()
        rows = await self.session.execute(
            RELINK,
            {
                "org": self.org_id,
                "keys": [s.key for s in linked],
                "posts": [s.post_id for s in linked],
                "campaigns": [s.campaign_id for s in linked],
            },
        )
        return {post_id for (post_id,) in rows if post_id is not None}

    async def recount(self, post_ids: Iterable[UUID], now: datetime) -> set[UUID]:
        """Count these posts again; the campaigns of those whose counts changed."""
        posts = sorted(set(post_ids))
        if not posts:
            return set()
        rows = await self.session.execute(RECOUNT, {"org": self.org_id, "posts": posts, "now": now})
        return {campaign_id for (campaign_id,) in rows if campaign_id is not None}


async def listening_orgs(session: AsyncSession) -> list[UUID]:
    return list((await session.scalars(LISTENING_ORGS)).all())


# --- reads behind the listing endpoints ---


def _mention_text():
    """The text a mention was found in: its comment's, its tracked post's caption, or its
    listing's caption (a listing that rolled off its account's latest posts has none left)."""
    listing = select(AccountRecentPost.caption).where(
        AccountRecentPost.account_id == Mention.account_id,
        AccountRecentPost.external_id == Mention.post_external_id,
    )
    caption = select(Post.caption).where(Post.id == Mention.post_id)
    comment = select(Comment.text).where(Comment.id == Mention.comment_id)
    return func.coalesce(
        comment.scalar_subquery(),
        caption.where(Mention.source == "caption").scalar_subquery(),
        listing.where(Mention.post_id.is_(None)).scalar_subquery(),
    )


def _newest_first(statement, at, id_column, filters):
    """From `since` on, after the cursor, newest first, `limit + 1` rows."""
    if filters.since is not None:
        statement = statement.where(at >= filters.since)
    if filters.cursor is not None:
        value, last_id = decode_cursor(filters.cursor, parse_datetime)
        # A row-value comparison, which the (…, time, id) indexes bound.
        statement = statement.where(tuple_(at, id_column) < tuple_(value, last_id))
    return statement.order_by(at.desc(), id_column.desc()).limit(filters.limit + 1)


class ListeningReads:
    """The listing endpoints' queries, newest first, `limit + 1` rows (the extra one says
    another page exists)."""

    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def mentions(self, filters, *, campaign_id: UUID | None) -> list[Any]:
        m = Mention
        statement = select(m, _mention_text().label("text")).where(m.org_id == self.org_id)
        if campaign_id is not None:
            statement = statement.where(m.campaign_id == campaign_id)
        if filters.competitors:
            statement = statement.where(m.kind == "competitor")
        else:
            statement = statement.where(m.kind != "competitor")
        for column, value in (
            (m.kind, filters.kind),
            (m.sentiment, filters.sentiment),
            (m.creator_id, filters.creator_id),
            (m.platform, filters.platform),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if filters.term is not None:
            statement = statement.where(func.lower(m.term) == filters.term.lower())
        statement = _newest_first(statement, m.occurred_at, m.id, filters)
        return list((await self.session.execute(statement)).all())

    async def comments(self, post_id: UUID, filters) -> list[Any]:
        c = Comment
        terms = (
            select(func.coalesce(func.array_agg(Mention.term), text("'{}'::text[]")))
            .where(Mention.org_id == self.org_id, Mention.comment_id == c.id)
            .scalar_subquery()
        )
        statement = select(c, terms.label("terms")).where(
            c.org_id == self.org_id, c.post_id == post_id
        )
        if filters.sentiment is not None:
            statement = statement.where(c.sentiment == filters.sentiment)
        if filters.term is not None:
            statement = statement.where(
                select(Mention.id)
                .where(
                    Mention.org_id == self.org_id,
                    Mention.comment_id == c.id,
                    func.lower(Mention.term) == filters.term.lower(),
                )
                .exists()
            )
        statement = _newest_first(statement, c.published_at, c.id, filters)
        return list((await self.session.execute(statement)).all())

    async def creator_captions(self, creator_id: UUID, since: datetime) -> list[Any]:
        """The creator's posts published since `since`, synced listings and tracked posts
        together (a post in both, once): platform, external id, caption, published_at, url."""
        return list(
            (
                await self.session.execute(
                    CREATOR_CAPTIONS, {"org": self.org_id, "creator": creator_id, "since": since}
                )
            ).all()
        )


# A creator's captions in a window: tracked posts, then listings not tracked.
CREATOR_CAPTIONS = text("""
SELECT platform, external_id, caption, published_at, url FROM post
WHERE org_id = :org AND creator_id = :creator AND published_at >= :since
UNION ALL
SELECT a.platform, r.external_id, r.caption, r.published_at, NULL
FROM account_recent_post r
JOIN creator_account a ON a.id = r.account_id
WHERE r.org_id = :org AND a.creator_id = :creator AND r.published_at >= :since
  AND NOT EXISTS (SELECT 1 FROM post p WHERE p.org_id = r.org_id AND p.platform = a.platform
                                         AND p.external_id = r.external_id)
ORDER BY published_at DESC
""")
