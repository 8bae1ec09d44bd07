"""The scheduler's index, `post_schedule`, kept in step with the posts it describes.

`post` holds the truth (status, kind, next_refresh_at, lease_until); `post_schedule.due_at` is
derived from it (DUE) and exists so the claim can find due posts without any index on `post`
that a refresh would change. Every statement that changes what DUE reads is written through
`rescheduling`, which derives the new due time of each row it changed in the same statement;
ORM writes call `sync` before their transaction ends. Every post gets its row when it is made
(`sync` upserts), so `rescheduling` only ever updates one."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from shared.models.status import PostStatus


def due(post: str) -> str:
    """When the scheduler next looks at the post `post` names (a table alias): its next refresh
    while it is tracked and free, when its lease runs out while a job holds it (a lease that
    ran out makes it due again, with no sweep to release it), never when it is not tracked or
    is an Instagram story (the story poller refreshes those)."""
    return (
        f"CASE WHEN {post}.status = '{PostStatus.tracking}'"
        f" AND ({post}.kind IS DISTINCT FROM 'story' OR {post}.platform <> 'instagram')"
        f" THEN coalesce({post}.lease_until, {post}.next_refresh_at) END"
    )


_UPSERT = """INSERT INTO post_schedule (org_id, post_id, due_at)
    SELECT {org}, {id}, {due} FROM {rows}
    ON CONFLICT (post_id, org_id) DO UPDATE SET due_at = EXCLUDED.due_at
    WHERE post_schedule.due_at IS DISTINCT FROM EXCLUDED.due_at"""


def rescheduling(
    update: str, returning: Sequence[str] = (), *, before: str = "", after: str = ""
) -> TextClause:
    """`update` (an UPDATE of `post` with no RETURNING) that also writes the schedule of every
    post it changed; the statement returns the `returning` expressions (each a column of post
    or `expression AS name`). `before` and `after` are more WITH queries, around the update's
    `changed` (its rows: s_org, s_id, s_due and the returned columns)."""
    extra = "".join(f", {expression}" for expression in returning)
    names = [expression.rsplit(" AS ", 1)[-1].rsplit(".", 1)[-1] for expression in returning]
    return text(f"""
WITH {before.strip() + "," if before else ""} changed AS (
    {update.strip()}
    RETURNING post.org_id AS s_org, post.id AS s_id, {due("post")} AS s_due{extra}
), rescheduled AS (
    UPDATE post_schedule s SET due_at = c.s_due FROM changed c
    WHERE s.org_id = c.s_org AND s.post_id = c.s_id AND s.due_at IS DISTINCT FROM c.s_due
){", " + after.strip() if after else ""}
SELECT {", ".join(names) or "count(*)"} FROM changed""")


SYNC = text(
    _UPSERT.format(
        org="p.org_id",
        id="p.id",
        due=due("p"),
        rows="post p WHERE p.org_id = :org AND p.id = ANY(CAST(:ids AS uuid[]))",
    )
)

# Every post's schedule from scratch: the migration that made the table, and bulk loads.
SYNC_ALL = text(_UPSERT.format(org="p.org_id", id="p.id", due=due("p"), rows="post p"))


async def sync(session: AsyncSession, org_id: UUID, post_ids: Sequence[UUID]) -> None:
    """Derive the schedule of posts an ORM write just changed (or made), after its flush."""
    if post_ids:
        await session.flush()
        await session.execute(SYNC, {"org": org_id, "ids": list(post_ids)})


async def sync_all(session: AsyncSession) -> None:
    await session.execute(SYNC_ALL)
