"""Account sync: read what to fetch, record what the platform said. The platform call itself
happens between these two steps, outside any transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs as job_names
from shared.config import Settings
from shared.crypto import decrypt_credentials
from shared.domain.account.repository import AccountRepository, due_accounts
from shared.domain.post import capture
from shared.domain.post.repository import PostRepository
from shared.jobs import JobQueue
from shared.metrics.tiers import tier_for
from shared.platforms.base import AccountRef, AccountStats, Credentials, Platform, PostInfo

# A claimed account is pushed this far ahead, so the next scheduler tick does not claim it again
# while its job is still queued; a successful sync then sets the real next time.
CLAIM_LEASE = timedelta(minutes=10)


# The first sync of an account looks this far back for campaign posts.
FIRST_LOOKBACK = timedelta(days=30)
# Later syncs overlap the previous one a little: posts can appear in a listing late.
OVERLAP = timedelta(days=2)


@dataclass(frozen=True)
class SyncTarget:
    account_id: UUID
    ref: AccountRef
    credentials: Credentials | None
    credential_key: str | None
    since: datetime


def sync_interval(settings: Settings, platform: str) -> timedelta:
    if platform == Platform.demo:
        return timedelta(seconds=settings.demo_account_sync_interval_s)
    return timedelta(seconds=settings.account_sync_interval_s)


async def load_target(
    session: AsyncSession, org_id: UUID, account_id: UUID, settings: Settings
) -> SyncTarget | None:
    account = await AccountRepository(session, org_id).get(account_id)
    if account is None:
        return None
    credentials = decrypt_credentials(
        account.credentials_encrypted, settings.secret_key.get_secret_value()
    )
    ref = AccountRef(Platform(account.platform), account.handle, account.external_id)
    since = (account.last_synced_at - OVERLAP) if account.last_synced_at else None
    since = since or datetime.now(UTC) - FIRST_LOOKBACK
    return SyncTarget(account.id, ref, credentials, account.credential_key, since)


async def record_stats(
    session: AsyncSession,
    org_id: UUID,
    account_id: UUID,
    stats: AccountStats,
    *,
    listed: list[PostInfo] | None,
    now: datetime,
    settings: Settings,
) -> int:
    """Write the follower snapshot and latest counts; with a post listing, capture campaign
    posts and resolve URL-tracked ones. Returns how many posts were newly captured."""
    repository = AccountRepository(session, org_id)
    account = await repository.get(account_id)
    if account is None:
        return 0
    await repository.add_snapshot(
        account.id, now, stats.followers, stats.following, stats.posts_count
    )
    account.external_id = account.external_id or stats.external_id
    account.followers = stats.followers
    account.following = stats.following
    account.posts_count = stats.posts_count
    account.tier = tier_for(stats.followers)
    account.sync_status = "ok"
    account.sync_error = None
    account.last_synced_at = now
    account.next_sync_at = now + sync_interval(settings, account.platform)
    await session.flush()
    await repository.refresh_creator_totals(account.creator_id)
    await PostRepository(session, org_id).fill_followers_at_post(account.id, stats.followers)
    if listed is None:
        return 0
    await capture.resolve_pending(session, account, listed, now=now)
    return len(await capture.capture(session, account, listed, now=now))


async def defer_sync(
    session: AsyncSession, org_id: UUID, account_id: UUID, until: datetime
) -> None:
    await AccountRepository(session, org_id).set_sync_state(account_id, next_sync_at=until)


async def record_failure(
    session: AsyncSession,
    org_id: UUID,
    account_id: UUID,
    *,
    status: str,
    error: str,
    retry_at: datetime | None,
) -> None:
    """`retry_at` None stops syncing until a person fixes the cause (e.g. reconnects a token)."""
    await AccountRepository(session, org_id).set_sync_state(
        account_id, sync_status=status, sync_error=error[:1000], next_sync_at=retry_at
    )


async def schedule_due(session: AsyncSession, *, now: datetime, limit: int) -> int:
    accounts = await due_accounts(session, now, limit)
    queue = JobQueue.of(session)
    for account in accounts:
        account.next_sync_at = now + CLAIM_LEASE
        queue.defer(
            job_names.SYNC_ACCOUNT,
            str(account.org_id),
            str(account.id),
            job_id=f"{job_names.SYNC_ACCOUNT}:{account.id}",
        )
    await session.flush()
    return len(accounts)
