from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Text, and_, cast, exists, func, literal
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import defer, selectinload

from shared.db import RawReads
from shared.domain.creator.schemas import CreatorFilters, CreatorSearch
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime, parse_number
from shared.domain.repository import OrgRepository
from shared.models import Creator, CreatorAccount

# Unknown figures sort below every known one (last in descending order) and keep the keyset
# null-free: -1 is below any count, rate or score; an ROI can be negative, down to -1 (all
# cost, no revenue) and below with refunds, so it takes a sentinel no ROI reaches.
UNKNOWN = -1
UNKNOWN_ROI = -1e18
# Each sort, the attribute it reads and the value an unknown takes.
SORT_FIELDS = {
    "influence_score": ("influence_score", UNKNOWN),
    "engagement_rate": ("engagement_rate", UNKNOWN),
    "followers": ("total_followers", UNKNOWN),
    "past_roi": ("past_roi", UNKNOWN_ROI),
    "past_engagement_rate": ("past_engagement_rate", UNKNOWN),
    "past_on_time_rate": ("past_on_time_rate", UNKNOWN),
    "past_campaigns": ("past_campaigns", UNKNOWN),
}

# A creator as lists show it: with its accounts, without what only searches read (a document is
# kilobytes of text, 50 of them per page).
LISTED = (
    selectinload(Creator.accounts),
    defer(Creator.search_document),
    defer(Creator.terms),
)
# What a sort may read, besides the id.
SORT_ATTRIBUTES = ("created_at", *(attribute for attribute, _ in SORT_FIELDS.values()))


def sort_key(sort: str, entity: Any = Creator) -> SortKey:
    """The keyset sort of `sort` on `entity` (Creator, or an alias of it over a subquery)."""
    name = sort.lstrip("-")
    descending = sort.startswith("-")
    if name == "created_at":
        return SortKey(column=entity.created_at, descending=descending, parse=parse_datetime)
    attribute, unknown = SORT_FIELDS[name]
    column = func.coalesce(getattr(entity, attribute), unknown)
    return SortKey(column, descending=descending, parse=parse_number)


def sort_value(creator: Creator, sort: str) -> Any:
    """The creator's value of the sort column, as the keyset compares it."""
    name = sort.lstrip("-")
    if name == "created_at":
        return creator.created_at
    attribute, unknown = SORT_FIELDS[name]
    value = getattr(creator, attribute)
    return unknown if value is None else value


# websearch_to_tsquery reads the words, quotes, "or" and "-" of what a user types; every lexeme
# it gives ('word') then becomes a prefix ('word':*), so a partial handle or word still matches.
PREFIXED = r"'((?:[^']|'')*)'"


def text_query(q: str) -> ColumnElement[Any]:
    parsed = cast(func.websearch_to_tsquery("simple", literal(q, Text)), Text)
    return cast(func.regexp_replace(parsed, PREFIXED, r"'\1':*", "g"), TSQUERY)


def matches_text(q: str) -> ColumnElement[bool]:
    query = text_query(q)
    # A q without a word (only punctuation) matches no creator, rather than every one.
    return and_(Creator.search_document.bool_op("@@")(query), func.numnode(query) > 0)


def search_conditions(filters: CreatorSearch) -> list[ColumnElement[bool]]:
    """The WHERE of a creator search (list and discovery), archived or not aside."""
    conditions = list(_creator_conditions(filters))
    account_conditions = list(_account_conditions(filters))
    if account_conditions:
        conditions.append(
            exists().where(
                CreatorAccount.creator_id == Creator.id,
                CreatorAccount.org_id == Creator.org_id,
                *account_conditions,
            )
        )
    return conditions


def _creator_conditions(filters: CreatorSearch):
    if filters.q:
        yield matches_text(filters.q)
    if filters.niche:
        yield Creator.niches.contains([filters.niche.lower()])
    if filters.country:
        yield Creator.country == filters.country
    if filters.language:
        yield func.lower(Creator.language).startswith(filters.language.lower())
    if filters.min_engagement_rate is not None:
        yield Creator.engagement_rate >= filters.min_engagement_rate
    if filters.posted_within_days is not None:
        yield Creator.last_posted_at >= func.now() - func.make_interval(
            0, 0, 0, filters.posted_within_days
        )


def _account_conditions(filters: CreatorSearch):
    if filters.platform:
        yield CreatorAccount.platform == filters.platform
    if filters.tier:
        yield CreatorAccount.tier == filters.tier
    if filters.min_followers is not None:
        yield CreatorAccount.followers >= filters.min_followers
    if filters.max_followers is not None:
        yield CreatorAccount.followers <= filters.max_followers
    if filters.min_authenticity is not None:
        yield CreatorAccount.authenticity_score >= filters.min_authenticity


# A creator and its account summaries in one round trip, the JSON built by Postgres.
READ_CREATOR = """
SELECT c.id, c.name, c.email, c.niches, c.country, c.language, c.tags, c.notes,
       c.influence_score, c.influence::json AS influence, c.total_followers, c.engagement_rate,
       c.last_posted_at,
       c.past_campaigns, c.past_engagement_rate, c.past_roi, c.past_on_time_rate,
       c.created_at, c.updated_at, c.archived_at,
       coalesce((SELECT json_agg(json_build_object(
                    'id', a.id, 'platform', a.platform, 'handle', a.handle, 'url', a.url,
                    'followers', a.followers, 'tier', a.tier,
                    'engagement_rate', a.engagement_rate,
                    'authenticity_score', a.authenticity_score, 'sync_status', a.sync_status)
                  ORDER BY a.created_at)
                 FROM creator_account a WHERE a.org_id = c.org_id AND a.creator_id = c.id),
                '[]') AS accounts
FROM creator c
WHERE c.org_id = $1 AND c.id = $2
"""


# The same, as one JSON document: the API's schema parses and checks it in one pass
# (pydantic-core's parser), cheaper than asyncpg decoding each column, then json the accounts,
# then the schema validating the Python values.
READ_CREATOR_JSON = f"SELECT to_json(creator)::text FROM ({READ_CREATOR}) creator"


class CreatorReads:
    """The API's read model of a creator, on raw asyncpg (see shared.db.RawReads)."""

    def __init__(self, reads: RawReads, org_id: UUID) -> None:
        self.reads = reads
        self.org_id = org_id

    async def get_json(self, creator_id: UUID) -> str | None:
        """The creator with its accounts as JSON text, in CreatorRead's fields; None if the
        organization has no such creator."""
        return await self.reads.fetchval(READ_CREATOR_JSON, self.org_id, creator_id)


class CreatorRepository(OrgRepository[Creator]):
    model = Creator

    def with_accounts(self):
        return selectinload(Creator.accounts)

    def filtered(self, filters: CreatorFilters) -> Select[tuple[Creator]]:
        statement = self.select(*LISTED)
        statement = statement.where(
            Creator.archived_at.is_not(None) if filters.archived else Creator.archived_at.is_(None)
        )
        return statement.where(*search_conditions(filters))

    async def list(self, filters: CreatorFilters) -> list[Creator]:
        statement = apply_keyset(
            self.filtered(filters),
            sort_key(filters.sort),
            Creator.id,
            filters.cursor,
            filters.limit,
        )
        return list(await self.scalars(statement))
