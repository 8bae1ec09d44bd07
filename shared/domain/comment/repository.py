"""The comment reader's SQL. Choosing the posts to read spans tenants (like the post claim and the
story scheduler); everything else is one organization's, filtered by org_id."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.status import PostStatus

# Posts whose comments are read: tracked ones, and those stopped only because their numbers
# settled at the refresh horizon (status_detail null; archiving and failures set one). Stories
# have no comments (replies to a story are private messages).
READABLE = f"""(p.status = '{PostStatus.tracking}'
       OR (p.status = '{PostStatus.stopped}' AND p.status_detail IS NULL))
  AND p.kind IS DISTINCT FROM 'story'
  AND p.published_at >= :since"""

# Newest published first, by the (published_at, id) index: a run reads only the window's posts,
# however many older ones the organizations keep, and when more are due than a run queues, the
# freshest posts (where the talk is) go first.
CANDIDATES = text(f"""
SELECT p.id, p.org_id, p.published_at FROM post p
WHERE p.platform = ANY(CAST(:platforms AS text[])) AND {READABLE}
  AND (p.published_at, p.id) < (:before_at, :before_id)
ORDER BY p.published_at DESC, p.id DESC
LIMIT :limit
""")

TARGET = text(f"""
SELECT p.id, p.platform, p.external_id, a.credential_key, a.credentials_encrypted
FROM post p
JOIN creator_account a ON a.org_id = p.org_id AND a.id = p.account_id
WHERE p.org_id = :org AND p.id = :id AND {READABLE}
""")

_ANALYSIS = ("language", "sentiment", "sentiment_score", "analysed_at")
_KEEP_IF_SAME_TEXT = ", ".join(
    f"{name} = CASE WHEN c.text = EXCLUDED.text THEN c.{name} END" for name in _ANALYSIS
)
# A changed text is a new text to analyse: its analysis is cleared. An unchanged row is not
# written at all (the WHERE), so it is not returned either: what comes back is new or changed.
UPSERT = text(f"""
INSERT INTO comment AS c (id, org_id, post_id, platform, external_id, parent_external_id, text,
                          published_at, like_count, author_hash, fetched_at)
SELECT u.id, :org, :post, :platform, u.external_id, u.parent, u.text, u.published_at,
       u.like_count, u.author_hash, :at
FROM unnest(CAST(:id AS uuid[]), CAST(:external_id AS text[]), CAST(:parent AS text[]),
            CAST(:text AS text[]), CAST(:published_at AS timestamptz[]),
            CAST(:like_count AS int8[]), CAST(:author_hash AS text[]))
     AS u(id, external_id, parent, text, published_at, like_count, author_hash)
ON CONFLICT (org_id, platform, external_id) DO UPDATE SET
    text = EXCLUDED.text, like_count = EXCLUDED.like_count, fetched_at = EXCLUDED.fetched_at,
    {_KEEP_IF_SAME_TEXT}
WHERE c.text IS DISTINCT FROM EXCLUDED.text OR c.like_count IS DISTINCT FROM EXCLUDED.like_count
RETURNING c.xmax = 0 AS inserted, c.analysed_at IS NULL AS unanalysed
""")


async def candidates(
    session: AsyncSession,
    *,
    platforms: Sequence[str],
    since: datetime,
    before: tuple[datetime, UUID],
    limit: int,
) -> list[tuple[UUID, UUID, datetime]]:
    """(post id, org id, published_at) of readable posts published before `before` (a
    (published_at, id) cursor), newest first: a keyset page."""
    params = {
        "platforms": list(platforms),
        "since": since,
        "before_at": before[0],
        "before_id": before[1],
        "limit": limit,
    }
    return [tuple(row) for row in await session.execute(CANDIDATES, params)]


class CommentRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def target(self, post_id: UUID, since: datetime) -> Any:
        """(id, platform, external_id, credential_key, credentials_encrypted) of the post if its
        comments are still to be read, else None."""
        params = {"org": self.org_id, "id": post_id, "since": since}
        return (await self.session.execute(TARGET, params)).first()

    async def upsert(
        self, post_id: UUID, platform: str, at: datetime, rows: dict[str, list[Any]]
    ) -> list[Any]:
        """Insert or update the comments, column by column; returns (inserted, unanalysed) for
        each row written."""
        params = {"org": self.org_id, "post": post_id, "platform": platform, "at": at, **rows}
        return list(await self.session.execute(UPSERT, params))
