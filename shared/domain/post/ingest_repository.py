"""The ingestion's SQL: claim due posts, read a batch, write a batch, and move posts in and out of
the due set. Each write is one statement for the whole batch (arrays through unnest), never a
round trip per row. Statements are built once, at import: building a `text()` parses its bind
parameters again on every call.

Every write of a batch is fenced by its lease (`lease_until = :lease`): Postgres re-checks that
condition after taking each row's lock, so of two copies of one batch running at once, only the
first to write changes anything, and the second finds no row still holding its lease.

No column a refresh writes is indexed on `post` (the claim's index is `post_schedule`'s, see
shared/domain/post/schedule.py), so every refresh of a post is a HOT update: a new row version
on the same page and no new index entries. Each statement that changes what the schedule is
derived from goes through `rescheduling`, which writes the narrow schedule row in the same
statement."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.post.schedule import rescheduling
from shared.metrics.engagement import AGE_TOLERANCE, AGES, engagements_sql
from shared.models.post_snapshot import COUNTS
from shared.models.status import PostStatus, SyncStatus

COUNT_TYPES = {name: "float8" if name == "watch_time_seconds" else "int8" for name in COUNTS}
TRACKING = f"'{PostStatus.tracking}'"
# What archiving stops, and what new credentials resume.
LIVE = ", ".join(f"'{s}'" for s in (PostStatus.pending, PostStatus.tracking, PostStatus.paused))
RESUMABLE = f"'{PostStatus.paused}', '{PostStatus.error}'"


@dataclass(frozen=True, slots=True)
class ClaimedPost:
    id: UUID
    org_id: UUID
    platform: str
    credential_key: str | None
    params_key: str | None


@dataclass(frozen=True, slots=True)
class Refresh:
    """One batch's refreshed posts (rows of id, counts and next_refresh_at), read at `at`,
    written only where `lease` still holds."""

    at: datetime
    lease: datetime
    rows: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class BatchPost:
    id: UUID
    external_id: str
    account_id: UUID
    campaign_id: UUID | None
    published_at: datetime | None
    created_at: datetime


# Instagram stories are refreshed by the story poller alone (shared/domain/story): their insights
# end with the story, 24 h after it is posted, and a refresh after that would overwrite the final
# insights or find the story gone.
NOT_A_STORY = "(p.kind IS DISTINCT FROM 'story' OR p.platform <> 'instagram')"

# Fair across organizations: each organization with due posts gets an equal share of the limit,
# so one tenant with a million due posts cannot starve another with ten. A share an organization
# does not use is not handed on within the tick; the next tick (10 s later) comes soon enough.
# The due posts are found in post_schedule and locked there and in post with SKIP LOCKED, so the
# claim never waits for (or deadlocks with) a batch writing one of them; the conditions on the
# post repeat what the schedule says, so the claim can never take a post that is not due.
_DUE = f"""orgs AS (
    SELECT o.id FROM organization o
    WHERE EXISTS (SELECT 1 FROM post_schedule s WHERE s.org_id = o.id AND s.due_at <= :now)
), share AS (
    SELECT CAST(ceil(CAST(:limit AS numeric) / greatest(count(*), 1)) AS int) AS n FROM orgs
), due AS (
    SELECT d.id, orgs.id AS org_id FROM orgs CROSS JOIN share CROSS JOIN LATERAL (
        SELECT p.id FROM post_schedule s JOIN post p ON p.org_id = s.org_id AND p.id = s.post_id
        WHERE s.org_id = orgs.id AND s.due_at <= :now
          AND p.status = {TRACKING} AND {NOT_A_STORY} AND p.next_refresh_at <= :now
          AND (p.lease_until IS NULL OR p.lease_until <= :now)
        ORDER BY s.due_at
        LIMIT share.n
        FOR UPDATE OF s, p SKIP LOCKED
    ) d
)"""
CLAIM = rescheduling(
    """UPDATE post SET lease_until = :lease_until
FROM due, creator_account a
WHERE post.org_id = due.org_id AND post.id = due.id
  AND a.org_id = post.org_id AND a.id = post.account_id""",
    ("post.id", "post.org_id", "post.platform", "a.credential_key", "a.params_key"),
    before=_DUE,
)

_COLUMNS = ", ".join(COUNTS)
_ARRAYS = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COUNT_TYPES.items())

# The posts still under a lease, each with its account's stored credentials, in one round trip.
LEASED = text(f"""
SELECT p.id, p.external_id, p.account_id, p.campaign_id, p.published_at, p.created_at,
       a.credentials_encrypted
FROM post p
LEFT JOIN creator_account a ON a.org_id = p.org_id AND a.id = p.account_id
WHERE p.org_id = :org AND p.id = ANY(CAST(:ids AS uuid[]))
  AND p.status = {TRACKING} AND p.lease_until = :lease
""")

_INSERT_SNAPSHOTS = f"INSERT INTO post_snapshot (org_id, captured_at, post_id, {_COLUMNS})"

# A batch's snapshots alone: write_refresh's insert on its own, which the ingestion benchmark
# sets against raw COPY (the job writes snapshots through write_refresh).
INSERT_SNAPSHOTS = text(f"""
{_INSERT_SNAPSHOTS}
SELECT :org, :captured_at, u.* FROM unnest(CAST(:id AS uuid[]), {_ARRAYS}) AS u
ON CONFLICT DO NOTHING
""")

# Age-normalized engagements (METRICS.md) are kept on the post by every batch write, so the KPIs
# sum them without reading snapshot history.


def _distance(at: str, seconds: int) -> str:
    return f"abs(extract(epoch FROM {at} - (post.published_at + interval '{seconds} seconds')))"


def _nearer_age(age: str, seconds: int, at: str) -> str:
    """SET clauses that take the refresh read at `at` for `age` when it is within tolerance and
    nearer to the age than the snapshot kept so far."""
    nearer = (
        f"post.published_at IS NOT NULL AND {_distance(at, seconds)} <= {seconds * AGE_TOLERANCE}"
        f" AND (post.engagements_{age}_at IS NULL"
        f" OR {_distance(at, seconds)} < {_distance(f'post.engagements_{age}_at', seconds)})"
    )
    return (
        f"engagements_{age} = CASE WHEN {nearer} THEN {engagements_sql('u')}"
        f" ELSE post.engagements_{age} END,"
        f" engagements_{age}_at = CASE WHEN {nearer} THEN {at} ELSE post.engagements_{age}_at END"
    )


def _age_from_history(age: str, seconds: int) -> str:
    window = seconds * AGE_TOLERANCE
    target = f"post.published_at + interval '{seconds} seconds'"
    return f"""(engagements_{age}, engagements_{age}_at) = (
        SELECT {engagements_sql("s")}, s.captured_at FROM post_snapshot s
        WHERE s.post_id = post.id
          AND s.captured_at BETWEEN {target} - interval '{window} seconds'
                                AND {target} + interval '{window} seconds'
        ORDER BY abs(extract(epoch FROM s.captured_at - ({target}))), s.captured_at
        LIMIT 1)"""


# For posts whose publish time was just learned, or whose history was just merged: the ages
# from the snapshots already kept (no snapshot near an age leaves it null).
AGES_FROM_HISTORY = text(f"""
UPDATE post SET {", ".join(_age_from_history(age, seconds) for age, seconds in AGES.items())}
WHERE post.org_id = :org AND post.id = ANY(CAST(:ids AS uuid[]))
""")

# Refreshes' latest counts and next refresh on each post still holding its batch's lease, and the
# snapshots of those posts, in one statement: one round trip and one set of arrays for any number
# of one organization's batches. Each row carries its batch's read time and lease; the statement
# returns the ordinal of every row it wrote, so each batch learns which of its posts it held.
WRITE_REFRESH = rescheduling(
    f"""
UPDATE post SET {", ".join(f"{name} = u.{name}" for name in COUNTS)}, last_refreshed_at = u.at,
       {", ".join(_nearer_age(age, seconds, "u.at") for age, seconds in AGES.items())},
       missing_count = 0, next_refresh_at = u.next_refresh_at, lease_until = NULL,
       status_detail = NULL, updated_at = now(),
       status = CASE WHEN u.next_refresh_at IS NULL THEN '{PostStatus.stopped}' ELSE post.status END
FROM u
WHERE post.org_id = :org AND post.id = u.id AND post.lease_until = u.lease
""",
    ("u.n",),
    before=f"""u AS (
    SELECT * FROM unnest(CAST(:id AS uuid[]), {_ARRAYS}, CAST(:next_refresh_at AS timestamptz[]),
                         CAST(:at AS timestamptz[]), CAST(:lease AS timestamptz[]))
        WITH ORDINALITY AS u(id, {_COLUMNS}, next_refresh_at, at, lease, n)
)""",
    # By ordinal, not by post: two batches of one post (a stale one and the one holding its
    # lease) may share the statement, and only the holder's counts are a snapshot.
    after=f"""snapshots AS (
    {_INSERT_SNAPSHOTS}
    SELECT :org, u.at, u.id, {", ".join(f"u.{name}" for name in COUNTS)}
    FROM u JOIN changed ON changed.n = u.n
    ON CONFLICT DO NOTHING
)""",
)

_FOLLOWERS = """(SELECT s.followers FROM account_snapshot s
     WHERE s.org_id = post.org_id AND s.account_id = post.account_id
       AND s.followers IS NOT NULL AND s.captured_at {op} u.published_at
     ORDER BY s.captured_at {order} LIMIT 1)"""

# What a post tracked by id learns on its first refresh: its age, kind, caption and URL, and from
# its age the follower count at publication (METRICS.md followers_at_post).
LEARN_DETAILS = rescheduling(
    f"""
UPDATE post SET published_at = coalesce(post.published_at, u.published_at),
    kind = coalesce(post.kind, u.kind), caption = coalesce(post.caption, u.caption),
    url = coalesce(post.url, u.url),
    disclosure = CASE WHEN post.caption IS NULL AND u.caption IS NOT NULL
                      THEN CAST(u.disclosure AS jsonb) ELSE post.disclosure END,
    followers_at_post = CASE WHEN post.published_at IS NOT NULL OR u.published_at IS NULL
                             THEN post.followers_at_post
                             ELSE coalesce({_FOLLOWERS.format(op="<=", order="DESC")},
                                           {_FOLLOWERS.format(op=">", order="ASC")},
                                           post.followers_at_post) END
FROM unnest(CAST(:id AS uuid[]), CAST(:published_at AS timestamptz[]), CAST(:kind AS text[]),
            CAST(:caption AS text[]), CAST(:url AS text[]), CAST(:disclosure AS text[]))
     AS u(id, published_at, kind, caption, url, disclosure), post AS old
WHERE post.org_id = :org AND post.id = u.id AND old.org_id = post.org_id AND old.id = post.id
""",
    ("post.id", "old.caption IS NULL AND u.caption IS NOT NULL AS captioned"),
)

MARK_MISSING = rescheduling(
    f"""
UPDATE post SET missing_count = missing_count + 1,
    status = CASE WHEN missing_count + 1 >= 2 THEN '{PostStatus.gone}' ELSE status END,
    next_refresh_at = CASE WHEN missing_count + 1 >= 2 THEN NULL ELSE u.next_refresh_at END,
    lease_until = NULL, updated_at = now()
FROM unnest(CAST(:id AS uuid[]), CAST(:next_refresh_at AS timestamptz[])) AS u(id, next_refresh_at)
WHERE post.org_id = :org AND post.id = u.id AND post.lease_until = :lease
""",
    ("post.id", "post.status"),
)

MARK_ERROR = rescheduling(
    f"""
UPDATE post SET status = '{PostStatus.error}', status_detail = u.reason, next_refresh_at = NULL,
    lease_until = NULL, updated_at = now()
FROM unnest(CAST(:id AS uuid[]), CAST(:reason AS text[])) AS u(id, reason)
WHERE post.org_id = :org AND post.id = u.id AND post.lease_until = :lease
""",
    ("post.id",),
)

RELEASE = rescheduling(
    """
UPDATE post SET next_refresh_at = :until, lease_until = NULL, status_detail = :detail
WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[]))
  AND lease_until = :lease
"""
)

RENEW_LEASE = rescheduling(
    """
UPDATE post SET lease_until = :renewed
WHERE org_id = :org AND id = ANY(CAST(:ids AS uuid[]))
  AND lease_until = :lease
""",
    ("post.id",),
)

EXPIRE_ACCOUNTS = text(f"""
UPDATE creator_account SET sync_status = '{SyncStatus.auth_expired}', sync_error = :error,
       next_sync_at = NULL, updated_at = now()
WHERE org_id = :org AND platform = :platform AND credential_key IS NOT DISTINCT FROM :key
RETURNING id
""")

# Out of the due set (a post not tracked has no due time), so the scheduler never walks them.
PAUSE_ACCOUNTS_POSTS = rescheduling(
    f"""
UPDATE post SET status = '{PostStatus.paused}', status_detail = :detail, lease_until = NULL,
       updated_at = now()
WHERE org_id = :org AND account_id = ANY(CAST(:accounts AS uuid[])) AND status = {TRACKING}
"""
)

RESUME_ACCOUNT_POSTS = rescheduling(
    f"""
UPDATE post SET status = {TRACKING}, status_detail = NULL, lease_until = NULL,
       next_refresh_at = :now, updated_at = now()
WHERE org_id = :org AND account_id = :account AND status IN ({RESUMABLE})
"""
)

STOP_POSTS = f"""
UPDATE post SET status = '{PostStatus.stopped}', status_detail = :detail, lease_until = NULL,
       next_refresh_at = NULL, updated_at = now()
WHERE org_id = :org AND {{column}} = :id AND status IN ({LIVE})
"""
STOP_CAMPAIGN_POSTS = rescheduling(STOP_POSTS.format(column="campaign_id"))
STOP_CREATOR_POSTS = rescheduling(STOP_POSTS.format(column="creator_id"))

RESUME_CAMPAIGN_POSTS = rescheduling(
    f"""
UPDATE post SET status = {TRACKING}, status_detail = NULL, next_refresh_at = :now,
       updated_at = now()
WHERE org_id = :org AND campaign_id = :id AND status = '{PostStatus.stopped}'
  AND status_detail = :detail
"""
)


async def claim_due_posts(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedPost]:
    """Every organization's due posts (among them those whose lease ran out: a job killed, or
    one that never started in time), leased until `lease_until` in the same statement. The
    scheduler is the one caller that spans tenants; each job it makes carries one org_id."""
    rows = await session.execute(CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})
    return [ClaimedPost(*row) for row in rows]


async def ages_from_history(session: AsyncSession, org_id: UUID, ids: Sequence[UUID]) -> None:
    await session.execute(AGES_FROM_HISTORY, {"org": org_id, "ids": list(ids)})


class IngestRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def _run(self, statement, **params: Any):
        return await self.session.execute(statement, {"org": self.org_id, **params})

    async def leased_with_credentials(
        self, post_ids: Sequence[UUID], lease_until: datetime
    ) -> tuple[list[BatchPost], str | None]:
        """The posts of a batch still under this job's lease (a re-run after a commit, or after
        the scheduler re-claimed them, finds none and does nothing), and the encrypted
        credentials of the first one's account: every post of a batch shares one credential."""
        rows = (await self._run(LEASED, ids=list(post_ids), lease=lease_until)).all()
        return [BatchPost(*row[:6]) for row in rows], rows[0][6] if rows else None

    async def write_refresh(
        self, refreshed_at: datetime, lease: datetime, rows: list[dict[str, Any]]
    ) -> set[UUID]:
        """The latest counts and next refresh of the posts still holding the lease, and their
        snapshots; returns the ids of those posts."""
        [held] = await self.write_refreshes([Refresh(refreshed_at, lease, rows)])
        return held

    async def write_refreshes(self, refreshes: Sequence[Refresh]) -> list[set[UUID]]:
        """Several batches' `write_refresh` in one statement; for each, the ids it wrote."""
        rows = [row for refresh in refreshes for row in refresh.rows]
        columns = _columns(rows, ("id", *COUNTS, "next_refresh_at"))
        columns["at"] = [refresh.at for refresh in refreshes for _ in refresh.rows]
        columns["lease"] = [refresh.lease for refresh in refreshes for _ in refresh.rows]
        owner = [i for i, refresh in enumerate(refreshes) for _ in refresh.rows]
        held: list[set[UUID]] = [set() for _ in refreshes]
        for n in (await self._run(WRITE_REFRESH, **columns)).scalars():
            held[owner[n - 1]].add(rows[n - 1]["id"])
        return held

    async def insert_snapshots(self, captured_at: datetime, rows: list[dict[str, Any]]) -> None:
        columns = _columns(rows, ("id", *COUNTS))
        await self._run(INSERT_SNAPSHOTS, captured_at=captured_at, **columns)

    async def learn_details(self, rows: list[dict[str, Any]]) -> set[UUID]:
        """Returns the ids of the posts whose caption (and so their disclosure check) this
        wrote: those that had none (the self-join reads each row as it was)."""
        names = ("id", "published_at", "kind", "caption", "url", "disclosure")
        result = await self._run(LEARN_DETAILS, **_columns(rows, names))
        captioned = {row.id for row in result if row.captioned}
        await ages_from_history(self.session, self.org_id, [row["id"] for row in rows])
        return captioned

    async def mark_missing(self, lease: datetime, rows: list[dict[str, Any]]) -> list[UUID]:
        """Missing once: try again on the usual cadence. Missing twice in a row: gone.
        Returns the ids that just became gone."""
        if not rows:
            return []
        columns = _columns(rows, ("id", "next_refresh_at"))
        result = await self._run(MARK_MISSING, lease=lease, **columns)
        return [id for id, status in result if status == PostStatus.gone]

    async def mark_error(self, lease: datetime, reasons: dict[UUID, str]) -> set[UUID]:
        if not reasons:
            return set()
        ids, texts = list(reasons), [reason[:1000] for reason in reasons.values()]
        return set((await self._run(MARK_ERROR, lease=lease, id=ids, reason=texts)).scalars())

    async def release(
        self, post_ids: Sequence[UUID], lease: datetime, until: datetime, detail: str | None
    ) -> None:
        await self._run(RELEASE, ids=list(post_ids), lease=lease, until=until, detail=detail)

    async def renew_lease(
        self, post_ids: Sequence[UUID], lease: datetime, renewed: datetime
    ) -> list[UUID]:
        result = await self._run(RENEW_LEASE, ids=list(post_ids), lease=lease, renewed=renewed)
        return list(result.scalars())

    async def expire_credential(
        self, platform: str, credential_key: str | None, error: str, detail: str
    ) -> int:
        """The accounts of this credential become auth_expired and their tracked posts paused;
        returns how many accounts. Accounts whose credentials were renewed since (another key)
        are untouched."""
        result = await self._run(
            EXPIRE_ACCOUNTS, platform=platform, key=credential_key, error=error[:1000]
        )
        accounts = list(result.scalars())
        await self._run(PAUSE_ACCOUNTS_POSTS, accounts=accounts, detail=detail)
        return len(accounts)

    async def pause_account_posts(self, account_id: UUID, detail: str) -> None:
        """The account's tracked posts leave the due set until it is connected again."""
        await self._run(PAUSE_ACCOUNTS_POSTS, accounts=[account_id], detail=detail)

    async def resume_account(self, account_id: UUID, now: datetime) -> None:
        await self._run(RESUME_ACCOUNT_POSTS, account=account_id, now=now)

    async def stop_campaign(self, campaign_id: UUID, detail: str) -> None:
        await self._run(STOP_CAMPAIGN_POSTS, id=campaign_id, detail=detail)

    async def resume_campaign(self, campaign_id: UUID, detail: str, now: datetime) -> None:
        await self._run(RESUME_CAMPAIGN_POSTS, id=campaign_id, detail=detail, now=now)

    async def stop_creator(self, creator_id: UUID, detail: str) -> None:
        await self._run(STOP_CREATOR_POSTS, id=creator_id, detail=detail)


def _columns(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Row dicts → one array per column, the shape unnest wants."""
    return {name: [row[name] for row in rows] for name in names}
