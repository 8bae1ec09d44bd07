from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads
from shared.domain.account import service as account_service
from shared.domain.creator.repository import CreatorReads, CreatorRepository, sort_value
from shared.domain.creator.schemas import CreatorCreate, CreatorFilters, CreatorUpdate
from shared.domain.discovery import documents
from shared.domain.pagination import Page, page_of
from shared.domain.post import lifecycle as post_lifecycle
from shared.errors import NotFound
from shared.models import Creator

# What a creator's search document and terms are made of, besides its accounts and posts.
DOCUMENT_INPUTS = {"name", "niches", "tags"}


def _normalized(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return sorted({value.lower() for value in values})


async def create(session: AsyncSession, org_id: UUID, data: CreatorCreate) -> Creator:
    fields = data.model_dump()
    fields["niches"] = _normalized(data.niches)
    fields["tags"] = _normalized(data.tags)
    repository = CreatorRepository(session, org_id)
    creator = repository.add(Creator(**fields))
    await repository.flush()
    await documents.refresh_creators(session, org_id, [creator.id])
    return await get(session, org_id, creator.id)


async def get(session: AsyncSession, org_id: UUID, creator_id: UUID) -> Creator:
    repository = CreatorRepository(session, org_id)
    creator = await repository.get(creator_id, repository.with_accounts())
    if creator is None:
        raise NotFound(f"creator {creator_id} not found")
    return creator


async def read(reads: RawReads, org_id: UUID, creator_id: UUID) -> str:
    """The creator as the API shows it, in one query (the hot read path): JSON text for
    CreatorRead to parse."""
    creator = await CreatorReads(reads, org_id).get_json(creator_id)
    if creator is None:
        raise NotFound(f"creator {creator_id} not found")
    return creator


async def list_page(session: AsyncSession, org_id: UUID, filters: CreatorFilters) -> Page[Creator]:
    # max_followers below min_followers is a range nothing falls in: the query answers an
    # empty page (the document cannot say "max >= min", so it is not an error).
    rows = await CreatorRepository(session, org_id).list(filters)
    return page_of(rows, filters.limit, lambda c: (sort_value(c, filters.sort), c.id))


async def update(
    session: AsyncSession, org_id: UUID, creator_id: UUID, data: CreatorUpdate
) -> Creator:
    creator = await get(session, org_id, creator_id)
    # CreatorUpdate refuses null for name, niches and tags: what is sent here is a value.
    changes = data.model_dump(exclude_unset=True)
    for field in ("niches", "tags"):
        if field in changes:
            changes[field] = _normalized(changes[field]) or []
    for field, value in changes.items():
        setattr(creator, field, value)
    await session.flush()
    if changes.keys() & DOCUMENT_INPUTS:
        await documents.refresh_creators(session, org_id, [creator.id])
    return creator


async def archive(session: AsyncSession, org_id: UUID, creator_id: UUID) -> None:
    creator = await get(session, org_id, creator_id)
    if creator.archived_at is None:
        creator.archived_at = datetime.now(UTC)
        await session.flush()
        await post_lifecycle.stop_creator(session, org_id, creator.id)
        await account_service.archive_for_creator(session, org_id, creator.id)
