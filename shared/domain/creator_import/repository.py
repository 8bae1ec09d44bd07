"""The import's SQL: a chunk's lookups and writes are a few set-based statements whatever its
size (rows travel as one JSON array, unpacked by jsonb_to_recordset), never one per row."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from shared.models.status import SyncStatus

STORED_FIELDS = ("name", "email", "niches", "country", "language", "tags", "notes")


@dataclass(frozen=True, slots=True)
class Stored:
    """A creator of the organization that an item may match, as stored."""

    id: UUID
    fields: dict[str, Any]
    archived: bool


@dataclass(frozen=True, slots=True)
class Known:
    """What the organization already has under a chunk's emails and accounts."""

    by_email: dict[str, list[UUID]]
    by_account: dict[tuple[str, str], UUID]
    creators: dict[UUID, Stored]


_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")

# (org_id, platform, handle_key) is the unique index: one probe per key.
_ACCOUNTS = text(
    """
SELECT a.platform, a.handle_key, a.creator_id
FROM unnest(:platforms, :keys) AS k(platform, handle_key)
JOIN creator_account a
  ON a.org_id = :org AND a.platform = k.platform AND a.handle_key = k.handle_key
"""
).bindparams(bindparam("platforms", type_=ARRAY(Text)), bindparam("keys", type_=ARRAY(Text)))

# Two arms, not one OR: each is an index probe (lower(email) as the index on creator (org_id,
# lower(email)) has it; the primary key), where an OR scans the organization's every creator.
_COLUMNS = """id, name, email, niches, country, language, tags, notes, created_at,
              archived_at IS NOT NULL AS archived, lower(email) AS email_key"""
_CREATORS = text(
    f"""
SELECT {_COLUMNS} FROM creator WHERE org_id = :org AND lower(email) = ANY(:emails)
UNION ALL
SELECT {_COLUMNS} FROM creator WHERE org_id = :org AND id = ANY(:ids)
ORDER BY created_at, id
"""
).bindparams(bindparam("emails", type_=ARRAY(Text)))

_RECORD = """jsonb_to_recordset(:rows) AS r(
    id uuid, name text, email text, niches text[], country text, language text, tags text[],
    notes text)"""

_INSERT_CREATORS = text(
    f"""
INSERT INTO creator (id, org_id, name, email, niches, country, language, tags, notes)
SELECT r.id, :org, r.name, r.email, r.niches, r.country, r.language, r.tags, r.notes
FROM {_RECORD}
"""
).bindparams(bindparam("rows", type_=JSONB))

_UPDATE_CREATORS = text(
    f"""
UPDATE creator AS c
SET name = r.name, email = r.email, niches = r.niches, country = r.country,
    language = r.language, tags = r.tags, notes = r.notes, updated_at = now()
FROM {_RECORD}
WHERE c.org_id = :org AND c.id = r.id
"""
).bindparams(bindparam("rows", type_=JSONB))

# DO NOTHING, then counted: a handle taken by a concurrent request since the lookup is noticed
# by the caller instead of failing the statement.
_INSERT_ACCOUNTS = text(
    """
INSERT INTO creator_account (
    id, org_id, creator_id, platform, handle, handle_key, external_id, url, sync_status,
    next_sync_at)
SELECT r.id, :org, r.creator_id, r.platform, r.handle, r.handle_key, r.external_id, r.url,
       :pending, now()
FROM jsonb_to_recordset(:rows) AS r(
    id uuid, creator_id uuid, platform text, handle text, handle_key text, external_id text,
    url text)
ON CONFLICT (org_id, platform, handle_key) DO NOTHING
RETURNING id
"""
).bindparams(bindparam("rows", type_=JSONB))

_ANALYZE = text("ANALYZE creator, creator_account")
# What the planner believes the table holds (-1: never analyzed).
_PLANNED_ROWS = text(
    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'creator'::regclass"
)

_ORGANIZATIONS = text("SELECT id FROM organization ORDER BY created_at, id LIMIT :limit")


class ImportRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def lock(self) -> None:
        """One import at a time per organization, until commit: two imports of the same new
        email would otherwise both create it (emails are not unique in the table)."""
        await self.session.execute(_LOCK, {"key": f"creator_import:{self.org_id}"})

    async def known(self, emails: Sequence[str], accounts: Sequence[tuple[str, str]]) -> Known:
        rows = await self.session.execute(
            _ACCOUNTS,
            {
                "org": self.org_id,
                "platforms": [platform for platform, _ in accounts],
                "keys": [key for _, key in accounts],
            },
        )
        by_account = {(row.platform, row.handle_key): row.creator_id for row in rows}
        creators = await self.session.execute(
            _CREATORS,
            {"org": self.org_id, "emails": list(emails), "ids": list(set(by_account.values()))},
        )
        by_email: dict[str, list[UUID]] = {}
        stored: dict[UUID, Stored] = {}
        wanted = set(emails)
        for row in creators:
            if row.id in stored:
                continue  # found by its email and by one of its accounts
            fields = {name: getattr(row, name) for name in STORED_FIELDS}
            stored[row.id] = Stored(row.id, fields, row.archived)
            if row.email_key in wanted:
                by_email.setdefault(row.email_key, []).append(row.id)
        return Known(by_email, by_account, stored)

    async def insert_creators(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(_INSERT_CREATORS, {"org": self.org_id, "rows": rows})

    async def update_creators(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(_UPDATE_CREATORS, {"org": self.org_id, "rows": rows})

    async def insert_accounts(self, rows: list[dict[str, Any]]) -> list[UUID]:
        """The ids of the accounts inserted: fewer than given if a handle was taken meanwhile."""
        if not rows:
            return []
        inserted = await self.session.execute(
            _INSERT_ACCOUNTS,
            {"org": self.org_id, "rows": rows, "pending": SyncStatus.pending.value},
        )
        return list(inserted.scalars())


async def analyze(session: AsyncSession) -> int:
    """Fresh planner statistics for the tables an import grows (whole tables: ANALYZE has no
    per-organization form); returns the creators the planner now counts."""
    await session.execute(_ANALYZE)
    return await planned_creators(session)


async def planned_creators(session: AsyncSession) -> int:
    return (await session.execute(_PLANNED_ROWS)).scalar_one()


async def organization_ids(session: AsyncSession, limit: int) -> list[UUID]:
    """The oldest organizations' ids, for the command line to find the only one (an operator
    tool across tenants: it reads ids only)."""
    return list((await session.execute(_ORGANIZATIONS, {"limit": limit})).scalars())
