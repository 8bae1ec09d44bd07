"""The story poller's SQL. The scheduler's statements span tenants (like the post claim); the
rest are one organization's, filtered by org_id."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.status import PostStatus, SyncStatus

STORY = "p.platform = 'instagram' AND p.kind = 'story'"
# When a story leaves the API: 24 h after it was posted (or, for one whose time is unknown,
# after Sway began tracking it).
EXPIRES = "(coalesce(p.published_at, p.created_at) + interval '24 hours')"

STOP_EXPIRED = text(f"""
UPDATE post p SET status = '{PostStatus.stopped}', status_detail = :detail,
    next_refresh_at = NULL, lease_until = NULL, updated_at = now()
WHERE {STORY} AND p.status = '{PostStatus.tracking}' AND {EXPIRES} <= :now
RETURNING p.org_id, p.campaign_id
""")

# Connected Instagram accounts (credentials stored, not refused) of unarchived creators, in
# organizations with an active campaign that captures on Instagram.
CONNECTED = text(f"""
SELECT a.org_id, a.id FROM creator_account a
JOIN creator c ON c.id = a.creator_id AND c.org_id = a.org_id
WHERE a.platform = 'instagram' AND a.credentials_encrypted IS NOT NULL
  AND a.sync_status NOT IN ('{SyncStatus.auth_expired}', '{SyncStatus.archived}',
                            '{SyncStatus.not_found}')
  AND c.archived_at IS NULL
  AND EXISTS (
      SELECT 1 FROM campaign k
      WHERE k.org_id = a.org_id AND k.status = 'active'
        AND (k.platforms = '{{}}' OR 'instagram' = ANY(k.platforms))
  )
ORDER BY a.org_id, a.id
LIMIT :limit
""")

# Accounts with a tracked story inside its last :window seconds not yet captured there.
FINAL_DUE = text(f"""
SELECT DISTINCT p.org_id, p.account_id FROM post p
WHERE {STORY} AND p.status = '{PostStatus.tracking}'
  AND {EXPIRES} > :now AND {EXPIRES} - make_interval(secs => :window) <= :now
  AND (p.last_refreshed_at IS NULL
       OR p.last_refreshed_at < {EXPIRES} - make_interval(secs => :window))
LIMIT :limit
""")

TRACKED = text(f"""
SELECT p.id, p.external_id, p.campaign_id FROM post p
WHERE p.org_id = :org AND p.account_id = :account AND {STORY}
  AND p.status = '{PostStatus.tracking}' AND p.external_id = ANY(CAST(:ids AS text[]))
""")

SET_NEXT = text("""
UPDATE post SET next_refresh_at = :next
WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[]))
""")

# Held by this poll while it writes: the ingestion's fenced writes then apply to these alone
# (a manual refresh holding one keeps it, until its lease runs out).
LEASE = text(f"""
UPDATE post SET lease_until = :lease
WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[])) AND status = '{PostStatus.tracking}'
  AND (lease_until IS NULL OR lease_until <= :now)
RETURNING id
""")


async def stop_expired(session: AsyncSession, *, now: datetime, detail: str) -> list[Any]:
    return list(await session.execute(STOP_EXPIRED, {"now": now, "detail": detail}))


async def connected_accounts(session: AsyncSession, *, limit: int) -> list[tuple[UUID, UUID]]:
    return [tuple(row) for row in await session.execute(CONNECTED, {"limit": limit})]


async def final_due(
    session: AsyncSession, *, now: datetime, window_s: int, limit: int
) -> list[tuple[UUID, UUID]]:
    params = {"now": now, "window": window_s, "limit": limit}
    return [tuple(row) for row in await session.execute(FINAL_DUE, params)]


class StoryRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def tracked(self, account_id: UUID, external_ids: Sequence[str]) -> list[Any]:
        """The account's tracked stories among these ids: (id, external_id, campaign_id)."""
        params = {"org": self.org_id, "account": account_id, "ids": list(external_ids)}
        return list(await self.session.execute(TRACKED, params))

    async def set_next(self, post_ids: Sequence[UUID], next_at: datetime) -> None:
        params = {"org": self.org_id, "ids": list(post_ids), "next": next_at}
        await self.session.execute(SET_NEXT, params)

    async def lease(self, post_ids: Sequence[UUID], lease: datetime, now: datetime) -> set[UUID]:
        params = {"org": self.org_id, "ids": list(post_ids), "lease": lease, "now": now}
        return set((await self.session.execute(LEASE, params)).scalars())
