"""The SQL of discovery's text: creators' search documents and terms, and the hashtags of their
recent captions (search.py has the searches, similar.py the lookalikes)."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Text, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

# The organization's creators among :creator_ids, one primary-key probe each. Below, their
# accounts are reached by creator alone: an organization filter there can tempt the planner,
# when statistics are stale (right after a bulk import), into reading the organization's whole
# index for every creator.
TARGET = """
    SELECT c.id, c.name, c.niches, c.tags
    FROM unnest(:creator_ids) AS given(id)
    JOIN creator c ON c.id = given.id
    WHERE c.org_id = :org_id
"""
# The captions a creator's document reads, numbered newest first, for the creators of a `target`
# CTE: its accounts' listed posts and its tracked posts (a tracked post also listed counts
# once), the newest :caption_limit, each cut to :caption_chars.
RECENT_CAPTIONS = r"""
    SELECT t.id AS creator_id, recent.caption_no, recent.caption
    FROM target t
    CROSS JOIN LATERAL (
        SELECT left(listed.caption, :caption_chars) AS caption,
               row_number() OVER (ORDER BY listed.published_at DESC NULLS LAST) AS caption_no
        FROM (
            SELECT r.caption, r.published_at
            FROM creator_account a
            JOIN account_recent_post r ON r.account_id = a.id AND r.org_id = a.org_id
            WHERE a.creator_id = t.id AND r.caption <> ''
            UNION ALL
            SELECT p.caption, p.published_at
            FROM creator_account a
            JOIN post p ON p.account_id = a.id AND p.org_id = a.org_id
            WHERE a.creator_id = t.id AND p.caption <> ''
              AND NOT EXISTS (
                  SELECT 1 FROM account_recent_post r
                  WHERE r.account_id = p.account_id AND r.external_id = p.external_id
              )
        ) listed
        ORDER BY listed.published_at DESC NULLS LAST
        LIMIT :caption_limit
    ) recent
"""
# A hashtag as captions write it: '#', then letters, digits and '_', with inner dots.
HASHTAG = r"#(\w+(?:\.\w+)*)"

# One statement for any number of creators (an import's thousands as well as one PATCH): the
# captions are the newest `caption_limit` of the creator's accounts' listed posts and tracked
# posts (a tracked post also listed counts once), each cut to `caption_chars`.
#
# search_document, config 'simple' (no stemming, no stopwords: any language, no extension):
#   A  the name; each handle as the parser reads it, its parts split at punctuation, and the whole
#      handle as one lexeme (so "ada.br" is a prefix of "ada.brews" however the parser cut it)
#   B  niches and tags
#   C  the captions
# terms, at most `term_limit`, in this order: niches and tags as stored, then caption hashtags
# ('#' + lower case) by frequency, then caption words by frequency: the captions' lexemes of 3+
# letters or digits (not a link, a host or an email, not only digits, not a stopword, not one of
# the creator's hashtags); ties in code point order.
REFRESH_DOCUMENTS = text(
    r"""
WITH target AS ({TARGET}),
handles AS (
    SELECT a.creator_id,
           string_agg(a.handle, ' ') AS handles,
           string_agg('''' || replace(replace(a.handle_key, '\', '\\'), '''', '''''')
                      || '''\:1A', ' ') AS whole
    FROM target t
    JOIN creator_account a ON a.creator_id = t.id
    GROUP BY a.creator_id
),
captions AS ({RECENT_CAPTIONS}),
bodies AS (
    SELECT creator_id, body, to_tsvector('simple', body) AS vector
    FROM (SELECT creator_id, string_agg(caption, ' ') AS body FROM captions GROUP BY 1) joined
),
hashtags AS (
    SELECT creator_id, lower(tag[1]) AS tag, count(*) AS n
    FROM bodies, regexp_matches(body, '{HASHTAG}', 'g') AS tag
    GROUP BY 1, 2
),
candidates AS (
    -- Each term once per creator: a label (niche or tag) at its first place, a hashtag apart
    -- from the words by its '#', a word only when it is neither a label nor a hashtag.
    SELECT t.id AS creator_id, label.term, 0::bigint AS kind, 0::bigint AS n, min(label.ord) AS ord
    FROM target t, unnest(t.niches || t.tags) WITH ORDINALITY AS label(term, ord)
    GROUP BY 1, 2
    UNION ALL
    SELECT creator_id, '#' || tag, 1, n, 0 FROM hashtags
    UNION ALL
    -- The words are the caption vector's lexemes, counted by their positions: the parser has
    -- already split and lower-cased them for the document.
    SELECT b.creator_id, w.lexeme, 2, cardinality(w.positions), 0
    FROM bodies b
    JOIN target t ON t.id = b.creator_id
    CROSS JOIN unnest(b.vector) AS w
    WHERE char_length(w.lexeme) >= 3
      AND w.lexeme !~ '[^[:alnum:]]'
      AND w.lexeme !~ '^[0-9]+$'
      AND w.lexeme <> ALL(:stopwords)
      AND w.lexeme <> ALL(t.niches || t.tags)
      AND NOT EXISTS (
          SELECT 1 FROM hashtags h WHERE h.creator_id = b.creator_id AND h.tag = w.lexeme
      )
),
ranked AS (
    SELECT creator_id, term,
           row_number() OVER (
               PARTITION BY creator_id ORDER BY kind, n DESC, ord, term COLLATE "C"
           ) AS rank
    FROM candidates
),
term_lists AS (
    SELECT creator_id, array_agg(term ORDER BY rank) AS terms
    FROM ranked
    WHERE rank <= :term_limit
    GROUP BY creator_id
),
built AS (
    SELECT t.id,
           setweight(to_tsvector('simple', t.name || ' ' || coalesce(h.handles, '') || ' '
                     || regexp_replace(coalesce(h.handles, ''), '[\W_]+', ' ', 'g')), 'A')
           || coalesce(h.whole::tsvector, ''::tsvector)
           || setweight(to_tsvector('simple', array_to_string(t.niches || t.tags, ' ')), 'B')
           || setweight(coalesce(b.vector, ''::tsvector), 'C') AS document,
           coalesce(tl.terms, '{}') AS terms
    FROM target t
    LEFT JOIN handles h ON h.creator_id = t.id
    LEFT JOIN bodies b ON b.creator_id = t.id
    LEFT JOIN term_lists tl ON tl.creator_id = t.id
)
-- A row whose document and terms come out the same is not written: a re-import or a sync that
-- brought nothing new costs no new row version and no index entries.
UPDATE creator c
SET search_document = built.document, terms = built.terms
FROM built
WHERE c.org_id = :org_id AND c.id = built.id
  AND (c.search_document IS DISTINCT FROM built.document OR c.terms IS DISTINCT FROM built.terms)
""".replace("{TARGET}", TARGET)
    .replace("{RECENT_CAPTIONS}", RECENT_CAPTIONS)
    .replace("{HASHTAG}", HASHTAG)
).bindparams(
    bindparam("creator_ids", type_=ARRAY(Uuid)),
    bindparam("stopwords", type_=ARRAY(Text)),
)

HASHTAG_CAPTIONS = text(
    r"""
WITH target AS ({TARGET}),
captions AS ({RECENT_CAPTIONS}),
tagged AS (
    SELECT DISTINCT creator_id, caption_no, '#' || lower(tag[1]) AS hashtag
    FROM captions, regexp_matches(caption, '{HASHTAG}', 'g') AS tag
)
SELECT creator_id, hashtag, count(*) AS captions
FROM tagged
WHERE hashtag = ANY(:hashtags)
GROUP BY creator_id, hashtag
""".replace("{TARGET}", TARGET)
    .replace("{RECENT_CAPTIONS}", RECENT_CAPTIONS)
    .replace("{HASHTAG}", HASHTAG)
).bindparams(
    bindparam("creator_ids", type_=ARRAY(Uuid)),
    bindparam("hashtags", type_=ARRAY(Text)),
)


class DocumentRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def refresh(
        self,
        creator_ids: Sequence[UUID],
        *,
        stopwords: Sequence[str],
        caption_limit: int,
        caption_chars: int,
        term_limit: int,
    ) -> None:
        await self.session.execute(
            REFRESH_DOCUMENTS,
            {
                "org_id": self.org_id,
                "creator_ids": list(creator_ids),
                "stopwords": list(stopwords),
                "caption_limit": caption_limit,
                "caption_chars": caption_chars,
                "term_limit": term_limit,
            },
        )

    async def hashtag_captions(
        self,
        creator_ids: Sequence[UUID],
        hashtags: Sequence[str],
        *,
        caption_limit: int,
        caption_chars: int,
    ) -> dict[UUID, dict[str, int]]:
        """In how many of each creator's recent captions (those its document reads) each of
        `hashtags` appears."""
        if not creator_ids or not hashtags:
            return {}
        rows = await self.session.execute(
            HASHTAG_CAPTIONS,
            {
                "org_id": self.org_id,
                "creator_ids": list(creator_ids),
                "hashtags": list(hashtags),
                "caption_limit": caption_limit,
                "caption_chars": caption_chars,
            },
        )
        counts: dict[UUID, dict[str, int]] = {}
        for creator_id, hashtag, captions in rows:
            counts.setdefault(creator_id, {})[hashtag] = captions
        return counts
