from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Select, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import selectinload

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


# The account summary a creator is read with, built by Postgres so a read is one query.
ACCOUNT_SUMMARY = func.json_build_object(
    "id",
    CreatorAccount.id,
    "platform",
    CreatorAccount.platform,
    "handle",
    CreatorAccount.handle,
    "url",
    CreatorAccount.url,
    "followers",
    CreatorAccount.followers,
    "tier",
    CreatorAccount.tier,
    "engagement_rate",
    CreatorAccount.engagement_rate,
    "sync_status",
    CreatorAccount.sync_status,
)


class CreatorRepository(OrgRepository[Creator]):
    model = Creator

    async def read(self, creator_id: UUID) -> dict[str, Any] | None:
        """A creator and its account summaries in one round trip, as plain values."""
        accounts = (
            select(
                func.coalesce(
                    func.json_agg(aggregate_order_by(ACCOUNT_SUMMARY, CreatorAccount.created_at)),
                    literal_column("'[]'::json"),
                    type_=JSON,
                )
            )
            .where(CreatorAccount.org_id == Creator.org_id, CreatorAccount.creator_id == Creator.id)
            .scalar_subquery()
        )
        statement = select(*Creator.__table__.columns, accounts.label("accounts")).where(
            Creator.org_id == self.org_id, Creator.id == creator_id
        )
        row = (await self.session.execute(statement)).mappings().first()
        return dict(row) if row is not None else None

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
