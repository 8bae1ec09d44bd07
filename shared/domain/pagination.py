"""Keyset (cursor) pagination: stable under inserts, O(limit) per page at any depth.

A cursor is an opaque base64url JSON of the last row's sort key and id."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, tuple_

from shared.errors import Invalid

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True)
class SortKey:
    """A sort column (already null-free, e.g. wrapped in coalesce), its direction, and how to
    turn the JSON value in a cursor back into the column's type (raising ValueError if it can't)."""

    column: ColumnElement[Any]
    descending: bool
    parse: Callable[[Any], Any]


def parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    return datetime.fromisoformat(value)


def parse_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return value


def encode_cursor(value: Any, id: UUID) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, str(id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parse: Callable[[Any], Any]) -> tuple[Any, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return parse(value), UUID(id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeError) as exc:
        raise Invalid.field(("query", "cursor"), "cursor is not one this API issued") from exc


def apply_keyset(
    statement: Select, key: SortKey, id_column: ColumnElement[UUID], cursor: str | None, limit: int
) -> Select:
    if cursor is not None:
        value, last_id = decode_cursor(cursor, key.parse)
        statement = statement.where(_after(key, id_column, value, last_id))
    order = (key.column.desc(), id_column.desc()) if key.descending else (key.column, id_column)
    return statement.order_by(*order).limit(limit + 1)


def _after(key: SortKey, id_column: ColumnElement[UUID], value: Any, last_id: UUID):
    # A row-value comparison in both directions: a btree on (…, column, id) takes it as one
    # Index Cond and starts the scan at the cursor. The `col < v OR (col = v AND id < last)`
    # spelling is only a Filter, so a deep page would read every row before it. The plain bound
    # on the column says nothing new, but partition pruning reads it (and no row comparison):
    # a page of a partitioned history skips the partitions on the far side of its cursor.
    if key.descending:
        return and_(key.column <= value, tuple_(key.column, id_column) < tuple_(value, last_id))
    return and_(key.column >= value, tuple_(key.column, id_column) > tuple_(value, last_id))


def page_of(rows: Sequence[T], limit: int, key_of) -> Page[T]:
    """`rows` were fetched with limit + 1: the extra row only says another page exists."""
    if len(rows) <= limit:
        return Page(rows, None)
    items = rows[:limit]
    value, id = key_of(items[-1])
    return Page(items, encode_cursor(value, id))


class PageRead(BaseModel, Generic[T]):
    """The list envelope of API.md: `{"items": [...], "next_cursor": "..." | null}`."""

    items: list[T]
    next_cursor: str | None
