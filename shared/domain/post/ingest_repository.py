"""The ingestion's SQL: claim due posts, read a batch, write a batch. Each write is one
statement for the whole batch (arrays through unnest), never a round trip per row. Statements are
built once, at import: building a `text()` parses its bind parameters again on every call."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.post_snapshot import COUNTS

COUNT_TYPES = {name: "float8" if name == "watch_time_seconds" else "int8" for name in COUNTS}


@dataclass(frozen=True, slots=True)
class ClaimedPost:
    id: UUID
    org_id: UUID
    platform: str
    credential_key: str | None


@dataclass(frozen=True, slots=True)
class BatchPost:
    id: UUID
    external_id: str
    account_id: UUID
    campaign_id: UUID | None
    published_at: datetime | None


CLAIM = text("""
WITH due AS (
    SELECT p.id FROM post p
    JOIN creator_account a ON a.id = p.account_id
    WHERE p.status = 'tracking' AND p.next_refresh_at <= :now AND a.sync_status <> 'auth_expired'
    ORDER BY p.next_refresh_at
    LIMIT :limit
    FOR UPDATE OF p SKIP LOCKED
)
UPDATE post SET next_refresh_at = :lease_until
FROM due, creator_account a
WHERE post.id = due.id AND a.id = post.account_id
RETURNING post.id, post.org_id, post.platform, a.credential_key
""")

_COLUMNS = ", ".join(COUNTS)
_ARRAYS = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COUNT_TYPES.items())

# The posts still under a lease, each with its account's stored credentials, in one round trip.
LEASED = text("""
SELECT p.id, p.external_id, p.account_id, p.campaign_id, p.published_at, a.credentials_encrypted
FROM post p
LEFT JOIN creator_account a ON a.org_id = p.org_id AND a.id = p.account_id
WHERE p.org_id = :org AND p.id = ANY(CAST(:ids AS uuid[]))
  AND p.status = 'tracking' AND p.next_refresh_at = :lease
""")

INSERT_SNAPSHOTS = text(f"""
INSERT INTO post_snapshot (org_id, captured_at, post_id, {_COLUMNS})
SELECT :org, :captured_at, u.* FROM unnest(CAST(:id AS uuid[]), {_ARRAYS}) AS u
ON CONFLICT DO NOTHING
""")

UPDATE_LATEST = text(f"""
UPDATE post SET {", ".join(f"{name} = u.{name}" for name in COUNTS)}, last_refreshed_at = :at,
       missing_count = 0, next_refresh_at = u.next_refresh_at, updated_at = now(),
       status = CASE WHEN u.next_refresh_at IS NULL THEN 'stopped' ELSE post.status END
FROM unnest(CAST(:id AS uuid[]), {_ARRAYS}, CAST(:next_refresh_at AS timestamptz[]))
     AS u(id, {_COLUMNS}, next_refresh_at)
WHERE post.org_id = :org AND post.id = u.id
""")

MARK_MISSING = text("""
UPDATE post SET missing_count = missing_count + 1,
    status = CASE WHEN missing_count + 1 >= 2 THEN 'gone' ELSE status END,
    next_refresh_at = CASE WHEN missing_count + 1 >= 2 THEN NULL ELSE u.next_refresh_at END,
    updated_at = now()
FROM unnest(CAST(:id AS uuid[]), CAST(:next_refresh_at AS timestamptz[])) AS u(id, next_refresh_at)
WHERE post.org_id = :org AND post.id = u.id
RETURNING post.id, post.status
""")

POSTPONE = text("""
UPDATE post SET next_refresh_at = :until
WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[])) AND next_refresh_at = :lease
""")

EXPIRE_CREDENTIAL = text("""
UPDATE creator_account SET sync_status = 'auth_expired', sync_error = :error,
       next_sync_at = NULL, updated_at = now()
WHERE org_id = :org AND platform = :platform AND coalesce(credential_key, '') = :key
""")


async def claim_due_posts(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedPost]:
    """Every organization's due posts, leased until `lease_until` in the same statement. The
    scheduler is the one caller that spans tenants; each job it makes carries one org_id."""
    rows = await session.execute(CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})
    return [ClaimedPost(*row) for row in rows]


class IngestRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def leased_with_credentials(
        self, post_ids: Sequence[UUID], lease_until: datetime
    ) -> tuple[list[BatchPost], str | None]:
        """The posts of a batch still under this job's lease (a re-run after a commit, or after
        the scheduler re-claimed them, finds none and does nothing), and the encrypted
        credentials of the first one's account: every post of a batch shares one credential."""
        rows = (
            await self.session.execute(
                LEASED, {"org": self.org_id, "ids": list(post_ids), "lease": lease_until}
            )
        ).all()
        return [BatchPost(*row[:5]) for row in rows], rows[0][5] if rows else None

    async def insert_snapshots(self, captured_at: datetime, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(
            INSERT_SNAPSHOTS,
            {"org": self.org_id, "captured_at": captured_at, **_columns(rows, ("id", *COUNTS))},
        )

    async def update_latest(self, refreshed_at: datetime, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(
            UPDATE_LATEST,
            {
                "org": self.org_id,
                "at": refreshed_at,
                **_columns(rows, ("id", *COUNTS, "next_refresh_at")),
            },
        )

    async def mark_missing(self, rows: list[dict[str, Any]]) -> list[UUID]:
        """Missing once: try again on the usual cadence. Missing twice in a row: gone.
        Returns the ids that just became gone."""
        if not rows:
            return []
        result = await self.session.execute(
            MARK_MISSING, {"org": self.org_id, **_columns(rows, ("id", "next_refresh_at"))}
        )
        return [id for id, status in result if status == "gone"]

    async def postpone(
        self, post_ids: Sequence[UUID], lease_until: datetime, until: datetime
    ) -> None:
        await self.session.execute(
            POSTPONE,
            {"org": self.org_id, "ids": list(post_ids), "lease": lease_until, "until": until},
        )

    async def expire_credential(self, platform: str, credential_key: str | None, error: str) -> int:
        result = await self.session.execute(
            EXPIRE_CREDENTIAL,
            {
                "org": self.org_id,
                "platform": platform,
                "key": credential_key or "",
                "error": error[:1000],
            },
        )
        return result.rowcount


def _columns(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Row dicts → one array per column, the shape unnest wants."""
    return {name: [row[name] for row in rows] for name in names}
