"""The SQL of lookalikes (docs/discovery.md, "Lookalikes"): the organization's sample of
creators whose terms weigh each term, and the candidates sharing the source's rarest terms.
likeness.py scores them."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

# The sample: the organization's :sample newest unarchived creators (the index on
# (org_id, created_at, id)). Its fingerprint changes whenever its rows do: a row's
# (id, xmin, ctid) is new with every row version (an update, a terms refresh) and the ids change
# when a creator joins or leaves the sample; a freeze or a rewrite (VACUUM FREEZE, VACUUM FULL)
# changes it too, which costs a recount, never a stale answer. The terms come back only when the
# fingerprint is not :known, so counts taken on the very same rows are reused; fingerprint and
# terms come from one statement, so from one snapshot.
SAMPLE = text(
    """
WITH sample AS MATERIALIZED (
    SELECT terms, hashtextextended(id::text || xmin::text || ctid::text, 0) AS version
    FROM creator
    WHERE org_id = :org_id AND archived_at IS NULL
    ORDER BY created_at DESC
    LIMIT :sample
),
counted AS (SELECT count(*) || ':' || coalesce(sum(version), 0) AS fingerprint FROM sample)
SELECT counted.fingerprint, NULL::text[] AS terms FROM counted
UNION ALL
SELECT NULL, sample.terms FROM sample, counted WHERE counted.fingerprint IS DISTINCT FROM :known
"""
)

# The candidates come from the GIN index on terms (&&): every creator having one of the
# :probe terms, with all its terms, to be scored by the caller. Scoring them in Postgres (a
# hash join per term, ~45,000 rows for 900 candidates, then one aggregate per candidate) took
# three times as long as reading them here and scoring in Python.
CANDIDATES = text(
    """
SELECT id, terms FROM creator
WHERE org_id = :org_id AND archived_at IS NULL AND id <> :creator_id AND terms && :probe
"""
).bindparams(bindparam("probe", type_=ARRAY(Text)))


@dataclass(frozen=True)
class Sample:
    fingerprint: str
    # None when the fingerprint was the one given: the counts taken on it still hold.
    terms: list[list[str]] | None


class SimilarRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def sample(self, size: int, *, known: str | None) -> Sample:
        """The fingerprint of the organization's `size` newest unarchived creators, and their term
        lists unless the fingerprint is `known`."""
        rows = (
            await self.session.execute(
                SAMPLE, {"org_id": self.org_id, "sample": size, "known": known}
            )
        ).all()
        (fingerprint,) = [row.fingerprint for row in rows if row.fingerprint is not None]
        if fingerprint == known:
            return Sample(fingerprint, None)
        return Sample(fingerprint, [row.terms for row in rows if row.fingerprint is None])

    async def candidates(
        self, creator_id: UUID, probe: Sequence[str]
    ) -> list[tuple[UUID, list[str]]]:
        """(id, terms) of the organization's other unarchived creators having any of `probe`."""
        result = await self.session.execute(
            CANDIDATES, {"org_id": self.org_id, "creator_id": creator_id, "probe": list(probe)}
        )
        return [(row.id, row.terms) for row in result]
