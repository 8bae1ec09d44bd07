"""Creators' full-text search documents and lookalike terms, rebuilt from what Sway knows of
them: name, handles, niches, tags and the captions of their recent posts. Whoever changes one
of those calls `refresh_creators` in the same unit of work (docs/discovery.md)."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.discovery.repository import DocumentRepository
from shared.domain.discovery.stopwords import STOPWORDS

# The newest captions a document reads (listed and tracked posts together), and how much of
# each: enough vocabulary to characterize a creator, bounded so one refresh stays cheap.
CAPTION_LIMIT = 30
CAPTION_CHARS = 2_000
# How many terms lookalikes compare: niches and tags first, then hashtags and words by frequency.
TERM_LIMIT = 50

_STOPWORDS = sorted(STOPWORDS)


async def refresh_creators(
    session: AsyncSession, org_id: UUID, creator_ids: Sequence[UUID]
) -> None:
    """Rebuild `search_document` and `terms` of the organization's creators `creator_ids`, in
    one statement whatever their number (ids of another organization are ignored)."""
    if not creator_ids:
        return
    # Pending ORM changes (a new name, a new account) must be in the rows the statement reads.
    await session.flush()
    await DocumentRepository(session, org_id).refresh(
        sorted(set(creator_ids)),
        stopwords=_STOPWORDS,
        caption_limit=CAPTION_LIMIT,
        caption_chars=CAPTION_CHARS,
        term_limit=TERM_LIMIT,
    )
