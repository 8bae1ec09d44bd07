"""Comments of tracked posts (docs/listening.md): a cron picks the posts due a read, a job reads
each one's newest comments within its platform's budget and upserts them by the platform's
comment id. Analysis (language, sentiment, mentions) runs later, in the listening scan, over the
rows whose `analysed_at` is null; a comment whose text changed is cleared for it again.

When a post was last read is kept in Redis (`comments:read:<post id>`, expiring after
SWAY_COMMENTS_REFRESH_S), not in a column: the newest stored comment cannot say it (a post may
have none), and losing the key only makes a read come early, which stores nothing twice."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.crypto import decrypt_credentials
from shared.db import new_id
from shared.domain.comment import repository
from shared.domain.comment.repository import CommentRepository
from shared.domain.listening import profile as listening
from shared.jobs import JobPayload, JobQueue
from shared.platforms.base import Credentials, Platform
from shared.platforms.comments import CommentPage, PlatformComment

READ_COMMENTS = "comment.read"
# Candidates examined per statement while looking for posts due a read.
SCAN_CHUNK = 1000
LAST_ID = UUID(int=2**128 - 1)


class ReadComments(JobPayload):
    """The payload of one `comment.read` job."""

    org_id: UUID
    post_id: UUID


@dataclass(frozen=True, slots=True)
class CommentTarget:
    org_id: UUID
    post_id: UUID
    platform: Platform
    external_id: str
    credential_key: str | None
    credentials: Credentials | None

    @property
    def bucket(self) -> str:
        return self.credential_key or "app"


@dataclass(frozen=True, slots=True)
class Stored:
    new: int
    changed: int


def read_key(post_id: UUID) -> str:
    return f"comments:read:{post_id}"


def author_hash(org_id: UUID, platform: str, author_id: str | None) -> str | None:
    """A pseudonym of the author: the same person's comments group within one organization and
    platform, and nowhere else; the platform's id itself is never stored."""
    if not author_id:
        return None
    return hashlib.sha256(f"{org_id}:{platform}:{author_id}".encode()).hexdigest()


def _window_start(now: datetime, settings: Settings) -> datetime:
    return now - timedelta(days=settings.comments_window_days)


async def schedule(
    session: AsyncSession,
    *,
    redis: Redis,
    now: datetime,
    settings: Settings,
    platforms: list[str],
) -> int:
    """Queue a read of every readable post not read within SWAY_COMMENTS_REFRESH_S, at most
    SWAY_SCHEDULER_BATCH_LIMIT per run (the job id names the post, so a read already queued is
    not queued twice). Returns the reads queued."""
    queue, queued = JobQueue.of(session), 0
    since, limit = _window_start(now, settings), settings.scheduler_batch_limit
    # Published in the future is possible (a platform's clock, a scheduled post): start past it.
    before = (datetime.max.replace(tzinfo=UTC), LAST_ID)
    while queued < limit:
        rows = await repository.candidates(
            session, platforms=platforms, since=since, before=before, limit=SCAN_CHUNK
        )
        if not rows:
            break
        read = await redis.mget([read_key(post_id) for post_id, _, _ in rows])
        for (post_id, org_id, _), last in zip(rows, read, strict=True):
            if last is None and queued < limit:
                payload = ReadComments(org_id=org_id, post_id=post_id)
                queue.defer(READ_COMMENTS, payload, job_id=f"{READ_COMMENTS}:{post_id}")
                queued += 1
        post_id, _, published_at = rows[-1]
        before = (published_at, post_id)
    return queued


async def load(
    session: AsyncSession, org_id: UUID, post_id: UUID, *, now: datetime, settings: Settings
) -> CommentTarget | None:
    """The post to read and its account's credentials; None when its comments are no longer
    read (gone, paused, archived, out of the window). CredentialsError when they do not decrypt
    under SWAY_SECRET_KEY."""
    row = await CommentRepository(session, org_id).target(post_id, _window_start(now, settings))
    if row is None:
        return None
    post_id, platform, external_id, credential_key, token = row
    credentials = decrypt_credentials(token, settings.secret_key.get_secret_value())
    return CommentTarget(
        org_id, post_id, Platform(platform), external_id, credential_key, credentials
    )


async def record(
    session: AsyncSession, target: CommentTarget, page: CommentPage, *, now: datetime
) -> Stored:
    """Upsert the page's comments. Comments new or whose text changed wait for analysis: the
    listening scan of the organization is queued for them."""
    comments = list({c.external_id: c for c in page.comments}.values())  # one row per id
    if not comments:
        return Stored(new=0, changed=0)
    rows = _columns(target, comments)
    repo = CommentRepository(session, target.org_id)
    written = await repo.upsert(target.post_id, target.platform, now, rows)
    new = sum(1 for inserted, _ in written if inserted)
    if any(unanalysed for _, unanalysed in written):
        listening.defer_scan(session, target.org_id)
    return Stored(new=new, changed=len(written) - new)


async def mark_read(redis: Redis, post_id: UUID, *, now: datetime, settings: Settings) -> None:
    await redis.set(read_key(post_id), now.isoformat(), ex=settings.comments_refresh_s)


def _columns(target: CommentTarget, comments: list[PlatformComment]) -> dict[str, list]:
    return {
        "id": [new_id() for _ in comments],
        "external_id": [c.external_id for c in comments],
        "parent": [c.parent_external_id for c in comments],
        "text": [c.text for c in comments],
        "published_at": [c.published_at for c in comments],
        "like_count": [c.like_count for c in comments],
        "author_hash": [author_hash(target.org_id, target.platform, c.author_id) for c in comments],
    }
