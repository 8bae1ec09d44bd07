"""The ingestion's SQL: claim due posts, read a batch, write a batch. Each write is one
statement for the whole batch (arrays through unnest), never a round trip per row."""

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

    async def leased(self, post_ids: Sequence[UUID], lease_until: datetime) -> list[BatchPost]:
        """The posts of a batch still under this job's lease: a re-run after a commit, or after
        the scheduler re-claimed them, finds none and does nothing."""
        rows = await self.session.execute(
            text("""SELECT id, external_id, account_id, campaign_id, published_at FROM post
                    WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[]))
                      AND status = 'tracking' AND next_refresh_at = :lease"""),
            {"org": self.org_id, "ids": list(post_ids), "lease": lease_until},
        )
        return [BatchPost(*row) for row in rows]

    async def credentials_of(self, account_id: UUID) -> str | None:
        return await self.session.scalar(
            text("SELECT credentials_encrypted FROM creator_account WHERE org_id = :org AND id = :id"),
            {"org": self.org_id, "id": account_id},
        )

    async def insert_snapshots(self, captured_at: datetime, rows: list[dict[str, Any]]) -> None:
        columns = ", ".join(COUNTS)
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COUNT_TYPES.items())
        await self.session.execute(
            text(f"""INSERT INTO post_snapshot (org_id, captured_at, post_id, {columns})
                     SELECT :org, :captured_at, u.* FROM unnest(CAST(:id AS uuid[]), {arrays}) AS u
                     ON CONFLICT DO NOTHING"""),
            {"org": self.org_id, "captured_at": captured_at, **_columns(rows, ("id", *COUNTS))},
        )

    async def update_latest(self, refreshed_at: datetime, rows: list[dict[str, Any]]) -> None:
        sets = ", ".join(f"{name} = u.{name}" for name in COUNTS)
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COUNT_TYPES.items())
        await self.session.execute(
            text(f"""UPDATE post SET {sets}, last_refreshed_at = :at, missing_count = 0,
                            next_refresh_at = u.next_refresh_at, updated_at = now(),
                            status = CASE WHEN u.next_refresh_at IS NULL THEN 'stopped'
                                          ELSE post.status END
                     FROM unnest(CAST(:id AS uuid[]), {arrays},
                                 CAST(:next_refresh_at AS timestamptz[]))
                          AS u(id, {", ".join(COUNTS)}, next_refresh_at)
                     WHERE post.org_id = :org AND post.id = u.id"""),
            {"org": self.org_id, "at": refreshed_at,
             **_columns(rows, ("id", *COUNTS, "next_refresh_at"))},
        )

    async def mark_missing(self, rows: list[dict[str, Any]]) -> list[UUID]:
        """Missing once: try again on the usual cadence. Missing twice in a row: gone.
        Returns the ids that just became gone."""
        if not rows:
            return []
        result = await self.session.execute(
            text("""UPDATE post SET missing_count = missing_count + 1,
                        status = CASE WHEN missing_count + 1 >= 2 THEN 'gone' ELSE status END,
                        next_refresh_at = CASE WHEN missing_count + 1 >= 2 THEN NULL
                                               ELSE u.next_refresh_at END,
                        updated_at = now()
                    FROM unnest(CAST(:id AS uuid[]), CAST(:next_refresh_at AS timestamptz[]))
                         AS u(id, next_refresh_at)
                    WHERE post.org_id = :org AND post.id = u.id
                    RETURNING post.id, post.status"""),
            {"org": self.org_id, **_columns(rows, ("id", "next_refresh_at"))},
        )
        return [id for id, status in result if status == "gone"]

    async def postpone(self, post_ids: Sequence[UUID], lease_until: datetime, until: datetime) -> None:
        await self.session.execute(
            text("""UPDATE post SET next_refresh_at = :until
                    WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[]))
                      AND next_refresh_at = :lease"""),
            {"org": self.org_id, "ids": list(post_ids), "lease": lease_until, "until": until},
        )

    async def expire_credential(self, platform: str, credential_key: str | None, error: str) -> int:
        result = await self.session.execute(
            text("""UPDATE creator_account SET sync_status = 'auth_expired', sync_error = :error,
                           next_sync_at = NULL, updated_at = now()
                    WHERE org_id = :org AND platform = :platform
                      AND coalesce(credential_key, '') = :key"""),
            {"org": self.org_id, "platform": platform, "key": credential_key or "",
             "error": error[:1000]},
        )
        return result.rowcount


def _columns(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Row dicts → one array per column, the shape unnest wants."""
    return {name: [row[name] for row in rows] for name in names}
