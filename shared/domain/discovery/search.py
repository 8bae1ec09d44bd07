"""The SQL of discovery's searches: the creator filters, ranked by fit to a campaign (fit.py)
or sorted like the creator list."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Integer,
    Numeric,
    Row,
    Select,
    Text,
    any_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

from shared.domain.creator.repository import (
    LISTED,
    SORT_ATTRIBUTES,
    UNKNOWN,
    search_conditions,
    sort_key,
)
from shared.domain.creator.schemas import CreatorSearch
from shared.domain.discovery.fit import Targets
from shared.domain.pagination import apply_keyset, decode_cursor, parse_number
from shared.domain.repository import OrgRepository
from shared.models import Creator, CreatorAccount

MATCHED = ("matched_niches", "matched_hashtags", "matched_platforms", "matched_country")


def _in_order(values: Sequence[str], present) -> ColumnElement[list[str]]:
    """The `values` for which `present(value)` holds, as an array in their order."""
    given = (
        func.unnest(literal(list(values), ARRAY(Text)))
        .table_valued("v", with_ordinality="o")
        .render_derived(name="given")
    )
    return func.array(
        select(given.c.v).where(present(given.c.v)).order_by(given.c.o).scalar_subquery()
    )


def _has_account_on(platform: ColumnElement[str]) -> ColumnElement[bool]:
    # Two levels below the creator's SELECT, which auto-correlation would not reach: everything
    # but the accounts comes from the enclosing queries.
    return (
        exists()
        .where(
            CreatorAccount.creator_id == Creator.id,
            CreatorAccount.org_id == Creator.org_id,
            CreatorAccount.platform == platform,
        )
        .correlate_except(CreatorAccount)
    )


def _matched_columns(targets: Targets) -> list[ColumnElement[Any]]:
    countries = literal(targets.countries, ARRAY(Text))
    return [
        _in_order(targets.niches, lambda v: v == any_(Creator.niches)).label("matched_niches"),
        _in_order(targets.hashtags, lambda v: v == any_(Creator.terms)).label("matched_hashtags"),
        _in_order(targets.platforms, _has_account_on).label("matched_platforms"),
        case((Creator.country == any_(countries), Creator.country)).label("matched_country"),
    ]


def _fit_score(found: CTE, targets: Targets) -> ColumnElement[float]:
    """fit.py's score from the matched columns of `found`, rounded to 0.1 as the API shows it."""
    weights = targets.weights()
    if not weights:
        return literal(0.0, Float)
    parts: list[ColumnElement[float]] = []
    for name, weight in weights.items():
        if name == "countries":
            parts.append(cast(found.c.matched_country.is_not(None), Integer) * float(weight))
        else:
            share = float(weight) / len(getattr(targets, name))
            parts.append(cast(func.cardinality(found.c[f"matched_{name}"]), Float) * share)
    total = sum(parts[1:], parts[0]) * (100.0 / sum(weights.values()))
    return cast(func.round(cast(total, Numeric), 1), Float)


def parse_fit_key(value: Any) -> tuple[float, float]:
    """A fit cursor's value: [fit score, influence score or -1]."""
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("not a fit key")
    return parse_number(value[0]), parse_number(value[1])


class DiscoveryRepository(OrgRepository[Creator]):
    model = Creator

    def _searched(self, filters: CreatorSearch, statement: Select) -> Select:
        return statement.where(
            Creator.org_id == self.org_id,
            Creator.archived_at.is_(None),
            *search_conditions(filters),
        )

    async def sorted(self, filters: CreatorSearch, sort: str) -> list[Creator]:
        statement = self._searched(filters, self.select(*LISTED))
        statement = apply_keyset(
            statement, sort_key(sort), Creator.id, filters.cursor, filters.limit
        )
        return list(await self.scalars(statement))

    async def fitted(self, filters: CreatorSearch, targets: Targets, sort: str | None) -> list[Row]:
        """A page (limit + 1 rows) of (id, fit, matched_niches, matched_hashtags,
        matched_platforms, matched_country, sort_value): in the order of `sort`, or best fit
        first when None, ties by influence score then id."""
        columns = [getattr(Creator, attribute) for attribute in SORT_ATTRIBUTES]
        searched = self._searched(filters, select(Creator.id, *columns, *_matched_columns(targets)))
        # Materialized: each creator's matches are computed once, then scored, compared, sorted.
        found = searched.cte("found").prefix_with("MATERIALIZED")
        score = _fit_score(found, targets)
        picked = [found.c[name] for name in MATCHED]
        if sort is not None:
            key = sort_key(sort, found.c)
            statement = select(
                found.c.id, score.label("fit"), *picked, key.column.label("sort_value")
            )
            statement = apply_keyset(statement, key, found.c.id, filters.cursor, filters.limit)
            return list((await self.session.execute(statement)).all())
        influence = func.coalesce(found.c.influence_score, UNKNOWN)
        statement = select(
            found.c.id, score.label("fit"), *picked, influence.label("influence_key")
        )
        if filters.cursor is not None:
            (fit, strength), last_id = decode_cursor(filters.cursor, parse_fit_key)
            statement = statement.where(
                tuple_(score, influence, found.c.id) < tuple_(fit, strength, last_id)
            )
        statement = statement.order_by(score.desc(), influence.desc(), found.c.id.desc())
        return list((await self.session.execute(statement.limit(filters.limit + 1))).all())

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Creator]:
        statement = self.select(*LISTED).where(Creator.id.in_(ids))
        return {creator.id: creator for creator in await self.scalars(statement)}
