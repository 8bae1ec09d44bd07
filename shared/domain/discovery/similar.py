"""The SQL of lookalikes (docs/discovery.md, "Lookalikes"): creators sharing a creator's terms,
scored by the IDF-weighted Jaccard index of the two term sets."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Row, Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

# A term is worth its rarity in the organization: weight = ln((N + 1) / (df + 1)), N the
# organization's :sample newest unarchived creators, df how many of them have the term (a term
# every sampled creator has weighs 0, one none has ln(N + 1)). The score is the weighted Jaccard
# index: the weight of the terms both have over the weight of the terms either has. Plain Jaccard
# let the words every caption uses decide: on 100,000 creators the best lookalikes shared only
# those, and every creator with one of them had to be scored (8 s).
#
# Candidates come from the GIN index on terms (&&): the creators with at least one of the
# source's rarest terms, taken rarest first for as long as the sampled creators having them stay
# within :budget of the sample (always the rarest one; every term when the organization is
# smaller than the sample, which makes the answer exact). Each candidate is scored on all its
# terms.
SIMILAR = text(
    """
WITH sample AS (
    SELECT terms FROM creator
    WHERE org_id = :org_id AND archived_at IS NULL
    ORDER BY created_at DESC
    LIMIT :sample
),
sized AS (SELECT count(*)::float8 AS n, ln(count(*)::float8 + 1) AS top FROM sample),
df AS (
    SELECT t.term, count(*) AS df FROM sample, unnest(sample.terms) AS t(term) GROUP BY t.term
),
weighted AS (SELECT df.term, ln((sized.n + 1) / (df.df + 1)) AS weight FROM df, sized),
source AS (
    SELECT s.term, s.ord, coalesce(df.df, 0) AS df,
           ln((sized.n + 1) / (coalesce(df.df, 0) + 1)) AS weight,
           -- heaviest first, then in the source's order: how the reasons are listed
           row_number() OVER (ORDER BY coalesce(df.df, 0), s.ord) AS rank
    FROM unnest(:terms) WITH ORDINALITY AS s(term, ord)
    CROSS JOIN sized
    LEFT JOIN df ON df.term = s.term
),
probe AS (
    SELECT ranked.term
    FROM (
        SELECT term, row_number() OVER (ORDER BY df, ord) AS rarity,
               sum(df) OVER (ORDER BY df, ord) AS reach
        FROM source
    ) ranked, sized
    WHERE ranked.rarity = 1 OR sized.n < :sample OR ranked.reach <= :budget * sized.n
),
candidate AS (
    SELECT c.id, c.terms FROM creator c
    WHERE c.org_id = :org_id AND c.archived_at IS NULL AND c.id <> :creator_id
      AND c.terms && ARRAY(SELECT term FROM probe)
),
scored AS (
    SELECT c.id,
           sum(s.weight) AS shared,
           sum(coalesce(df.weight, sized.top)) AS whole,
           -- the shared terms' ranks, put in order by the caller: an ordered aggregate rules
           -- out a hash aggregate, and sorting every candidate's terms was a third of the query
           array_agg(s.rank) FILTER (WHERE s.term IS NOT NULL) AS shared_ranks
    FROM candidate c
    CROSS JOIN unnest(c.terms) AS t(term)
    CROSS JOIN sized
    LEFT JOIN source s ON s.term = t.term
    LEFT JOIN weighted df ON df.term = t.term
    GROUP BY c.id
)
SELECT scored.id,
       round((scored.shared / (source_weight.total + scored.whole - scored.shared))::numeric, 4)
           ::float8 AS score,
       scored.shared_ranks,
       (SELECT array_agg(term ORDER BY rank) FROM source) AS ranked_terms
FROM scored, (SELECT sum(weight) AS total FROM source) source_weight
WHERE scored.shared > 0
ORDER BY score DESC, scored.id DESC
LIMIT :limit
"""
).bindparams(bindparam("terms", type_=ARRAY(Text)))


class SimilarRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def similar(
        self, creator_id: UUID, terms: Sequence[str], *, limit: int, sample: int, budget: float
    ) -> list[Row]:
        """(id, score, shared_ranks, ranked_terms) of the creators most like the one with
        `terms`, best first: ranked_terms are the source's terms heaviest first, and shared_ranks
        the places (from 1) of the shared ones among them."""
        result = await self.session.execute(
            SIMILAR,
            {
                "org_id": self.org_id,
                "creator_id": creator_id,
                "terms": list(terms),
                "limit": limit,
                "sample": sample,
                "budget": budget,
            },
        )
        return list(result.all())
