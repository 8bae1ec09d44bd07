from typing import Any
from uuid import UUID

from sqlalchemy import Select, exists, func, or_
from sqlalchemy.orm import selectinload

from shared.db import RawReads
from shared.domain.creator.schemas import CreatorFilters
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime, parse_number
from shared.domain.repository import OrgRepository, escape_like
from shared.models import Creator, CreatorAccount

# Unknown scores sort as -1 so they come last in descending order and keyset stays null-free.
SORT_COLUMNS = {
    "created_at": (Creator.created_at, parse_datetime),
    "influence_score": (func.coalesce(Creator.influence_score, -1.0), parse_number),
    "engagement_rate": (func.coalesce(Creator.engagement_rate, -1.0), parse_number),
    "followers": (func.coalesce(Creator.total_followers, -1), parse_number),
}


def sort_key(sort: str) -> SortKey:
    column, parse = SORT_COLUMNS[sort.lstrip("-")]
    return SortKey(column=column, descending=sort.startswith("-"), parse=parse)


def sort_value(creator: Creator, sort: str):
    name = sort.lstrip("-")
    if name == "created_at":
        return creator.created_at
    value = creator.total_followers if name == "followers" else getattr(creator, name)
    return -1 if value is None else value


# A creator and its account summaries in one round trip, the JSON built by Postgres.
READ_CREATOR = """
SELECT c.id, c.name, c.email, c.niches, c.country, c.language, c.tags, c.notes,
       c.influence_score, c.total_followers, c.engagement_rate, c.created_at, c.updated_at,
       c.archived_at,
       coalesce((SELECT json_agg(json_build_object(
                    'id', a.id, 'platform', a.platform, 'handle', a.handle, 'url', a.url,
                    'followers', a.followers, 'tier', a.tier,
                    'engagement_rate', a.engagement_rate, 'sync_status', a.sync_status)
                  ORDER BY a.created_at)
                 FROM creator_account a WHERE a.org_id = c.org_id AND a.creator_id = c.id),
                '[]') AS accounts
FROM creator c
WHERE c.org_id = $1 AND c.id = $2
"""


class CreatorReads:
    """The API's read model of a creator, on raw asyncpg (see shared.db.RawReads)."""

    def __init__(self, reads: RawReads, org_id: UUID) -> None:
        self.reads = reads
        self.org_id = org_id

    async def get(self, creator_id: UUID) -> dict[str, Any] | None:
        row = await self.reads.fetchrow(READ_CREATOR, self.org_id, creator_id)
        if row is None:
            return None
        return dict(row)


class CreatorRepository(OrgRepository[Creator]):
    model = Creator

    def with_accounts(self):
        return selectinload(Creator.accounts)

    def filtered(self, filters: CreatorFilters) -> Select[tuple[Creator]]:
        statement = self.select(self.with_accounts())
        statement = statement.where(
            Creator.archived_at.is_not(None) if filters.archived else Creator.archived_at.is_(None)
        )
        for condition in _creator_conditions(filters):
            statement = statement.where(condition)
        account_conditions = list(_account_conditions(filters))
        if account_conditions:
            statement = statement.where(
                exists().where(CreatorAccount.creator_id == Creator.id, *account_conditions)
            )
        return statement

    async def list(self, filters: CreatorFilters) -> list[Creator]:
        statement = apply_keyset(
            self.filtered(filters),
            sort_key(filters.sort),
            Creator.id,
            filters.cursor,
            filters.limit,
        )
        return list(await self.scalars(statement))


def _creator_conditions(filters: CreatorFilters):
    if filters.q:
        pattern = f"%{escape_like(filters.q)}%"
        needle = filters.q.lower()
        handle_match = exists().where(
            CreatorAccount.creator_id == Creator.id, CreatorAccount.handle.ilike(pattern)
        )
        yield or_(
            Creator.name.ilike(pattern),
            handle_match,
            Creator.niches.contains([needle]),
            Creator.tags.contains([needle]),
        )
    if filters.niche:
        yield Creator.niches.contains([filters.niche.lower()])
    if filters.country:
        yield Creator.country == filters.country
    if filters.language:
        yield func.lower(Creator.language).startswith(filters.language.lower())
    if filters.min_engagement_rate is not None:
        yield Creator.engagement_rate >= filters.min_engagement_rate


def _account_conditions(filters: CreatorFilters):
    if filters.platform:
        yield CreatorAccount.platform == filters.platform
    if filters.tier:
        yield CreatorAccount.tier == filters.tier
    if filters.min_followers is not None:
        yield CreatorAccount.followers >= filters.min_followers
    if filters.max_followers is not None:
        yield CreatorAccount.followers <= filters.max_followers
