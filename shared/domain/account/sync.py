"""Account sync: read what to fetch, record what the platform said. The platform call itself
happens between these two steps, outside any transaction.

Every outcome of a sync sets the account's `next_sync_at` (see `failure_for`), and every write
applies only to the account as `load_target` found it: a sync that ran while new credentials
arrived, or while its creator was archived, writes nothing of its stale result."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs as job_names
from shared.config import Settings
from shared.crypto import CredentialsError, decrypt_credentials
from shared.domain.account import metrics as account_metrics
from shared.domain.account.repository import AccountRepository, due_accounts
from shared.domain.discovery import documents
from shared.domain.post import capture
from shared.domain.post.repository import PostRepository
from shared.jobs import JobPayload, JobQueue
from shared.models import CreatorAccount
from shared.models.status import SyncStatus
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    InvalidInput,
    NotConfigured,
    NotFound,
    Platform,
    PlatformUnavailable,
    PostInfo,
    RateLimited,
)

# A claimed account is pushed this far ahead, so the next scheduler tick does not claim it again
# while its job is still queued or retrying. Every outcome of the job then sets the real next
# time, so the lease only decides when a job never ended (a killed worker).
CLAIM_LEASE = timedelta(minutes=10)
# The platform stayed unavailable through every try of the job: try again this soon (or on the
# account's usual interval, if that is sooner) rather than wait a whole day.
OUTAGE_RETRY = timedelta(minutes=15)

# The first sync of an account looks this far back for campaign posts.
FIRST_LOOKBACK = timedelta(days=30)
# Later syncs overlap the previous one a little: posts can appear in a listing late.
OVERLAP = timedelta(days=2)

# What the user is told to do when a sync cannot work until a person changes something.
FIX_INPUT = (
    "This account cannot sync until its handle or external_id is corrected (PUT "
    "/v1/accounts/{id}/credentials can set external_id; it syncs again at once)."
)
FIX_SECRET = (
    "Set SWAY_SECRET_KEY to (or add) the key these credentials were stored under and POST "
    "/v1/accounts/{id}/refresh, or PUT /v1/accounts/{id}/credentials again."
)


class SyncAccount(JobPayload):
    """The payload of one `account.sync` job."""

    org_id: UUID
    account_id: UUID


def request(jobs: JobQueue, org_id: UUID, account_id: UUID) -> str:
    """One pending sync per account: a second request while one is queued is a no-op."""
    job_id = f"{job_names.SYNC_ACCOUNT}:{account_id}"
    jobs.defer(
        job_names.SYNC_ACCOUNT, SyncAccount(org_id=org_id, account_id=account_id), job_id=job_id
    )
    return job_id


@dataclass(frozen=True)
class SyncTarget:
    account_id: UUID
    ref: AccountRef
    credentials: Credentials | None
    # The credentials as loaded: the sync's writes apply only while the account still has them.
    credential_key: str | None
    since: datetime
    # Set when the stored credentials could not be decrypted: nothing can be fetched.
    unreadable: CredentialsError | None = None


@dataclass(frozen=True)
class Failure:
    status: SyncStatus
    error: str
    retry_at: datetime | None  # None: stopped until a person fixes the cause


def sync_interval(settings: Settings, platform: str) -> timedelta:
    if platform == Platform.demo:
        return timedelta(seconds=settings.demo_account_sync_interval_s)
    return timedelta(seconds=settings.account_sync_interval_s)


async def load_target(
    session: AsyncSession, org_id: UUID, account_id: UUID, settings: Settings
) -> SyncTarget | None:
    """What to sync; None when the account is gone or its creator archived."""
    account = await AccountRepository(session, org_id).for_sync(account_id)
    if account is None:
        return None
    credentials, unreadable = None, None
    try:
        credentials = decrypt_credentials(
            account.credentials_encrypted, settings.secret_key.get_secret_value()
        )
    except CredentialsError as exc:
        unreadable = exc
    ref = AccountRef(Platform(account.platform), account.handle, account.external_id)
    since = (account.last_synced_at - OVERLAP) if account.last_synced_at else None
    since = since or datetime.now(UTC) - FIRST_LOOKBACK
    return SyncTarget(account.id, ref, credentials, account.credential_key, since, unreadable)


async def record_stats(
    session: AsyncSession,
    org_id: UUID,
    target: SyncTarget,
    stats: AccountStats,
    *,
    listed: list[PostInfo] | None,
    now: datetime,
    settings: Settings,
) -> int | None:
    """Write the follower snapshot and latest counts; with a post listing, resolve URL-tracked
    posts, keep the listed posts as the account's recent posts and capture campaign posts.
    Returns how many posts were newly captured, or None when the account changed since
    `target` was loaded (nothing is written then)."""
    repository = AccountRepository(session, org_id)
    account = await repository.lock_unchanged(target.account_id, target.credential_key)
    if account is None:
        await repository.resume_renewed(target.account_id, target.credential_key, now)
        return None
    await repository.add_snapshot(
        account.id, now, stats.followers, stats.following, stats.posts_count
    )
    _apply(account, stats, now, settings)
    await session.flush()
    # Resolve first: a URL-tracked post then holds its API id before capture inserts that id,
    # so capture's insert is a no-op instead of a second row for the same post; and a post it
    # absorbs brings its own followers_at_post before today's count fills the ones missing.
    if listed is not None:
        await capture.resolve_pending(session, account, listed, now=now)
    await PostRepository(session, org_id).fill_followers_at_post(account.id, stats.followers)
    if listed is not None:
        # The account's own recent posts, campaign posts or not: what its engagement rate,
        # vetting and discovery read.
        await repository.upsert_recent_posts(account.id, listed, stats.followers, now)
    # Tier, engagement rate, vetting and the creator's totals, once followers_at_post is filled.
    await account_metrics.recompute(session, account, now=now, settings=settings)
    if listed is None:
        return 0
    captured = await capture.capture(session, account, listed, now=now)
    # New captions, listed or captured: the creator's search document and terms follow.
    await documents.refresh_creators(session, org_id, [account.creator_id])
    return len(captured)


async def record_history(
    session: AsyncSession, org_id: UUID, account_id: UUID, counts: list[tuple[datetime, int]]
) -> None:
    """Follower counts for past times, as a platform that keeps its own history reports them
    (the demo seed backfills its accounts' days this way): vetting's follower-spike check and
    growth need days of history, which syncs alone take days to gather."""
    repository = AccountRepository(session, org_id)
    for at, followers in counts:
        await repository.add_snapshot(account_id, at, followers, None, None)


def _apply(account: CreatorAccount, stats: AccountStats, now: datetime, settings: Settings) -> None:
    account.external_id = account.external_id or stats.external_id
    account.followers = stats.followers
    account.following = stats.following
    account.posts_count = stats.posts_count
    account.sync_status = SyncStatus.ok
    account.sync_error = None
    account.last_synced_at = now
    account.next_sync_at = now + sync_interval(settings, account.platform)


def failure_for(
    exc: Exception, target: SyncTarget, *, settings: Settings, now: datetime
) -> Failure:
    """What a failed sync means for the account: a state the user can see, and when to retry."""
    usual = now + sync_interval(settings, target.ref.platform)
    fix_input, fix_secret = (fix.format(id=target.account_id) for fix in (FIX_INPUT, FIX_SECRET))
    match exc:
        case RateLimited():
            return Failure(
                SyncStatus.rate_limited, str(exc), now + timedelta(seconds=exc.retry_after_s)
            )
        case AuthExpired():
            return Failure(SyncStatus.auth_expired, str(exc), None)
        case NotFound():
            return Failure(SyncStatus.not_found, str(exc), None)
        case NotConfigured():
            # Retried by itself (SWAY_CONFIG_RETRY_S), so syncs resume once the setting is fixed
            # and the worker restarted (settings are read when it starts).
            retry_at = now + timedelta(seconds=settings.config_retry_s)
            return Failure(SyncStatus.config_error, str(exc), retry_at)
        case InvalidInput():
            return Failure(SyncStatus.error, f"{exc}. {fix_input}", None)
        case CredentialsError():
            return Failure(SyncStatus.error, f"{exc}. {fix_secret}", None)
        case PlatformUnavailable():
            retry_at = min(usual, now + OUTAGE_RETRY)
            return Failure(SyncStatus.error, f"platform unavailable: {exc}", retry_at)
        case AdapterError():
            return Failure(SyncStatus.error, str(exc), usual)
    # A bug or an outage of our own: say what, keep the details (SQL, say) for the log.
    first_line = (str(exc).splitlines() or [""])[0]
    error = f"unexpected {type(exc).__name__}: {first_line} (the worker log has the details)"
    return Failure(SyncStatus.error, error, usual)


async def record_failure(
    session: AsyncSession, org_id: UUID, target: SyncTarget, failure: Failure, *, now: datetime
) -> bool:
    """False when the account changed since `target` was loaded: nothing is written then."""
    return await _write(
        session,
        org_id,
        target,
        now,
        sync_status=failure.status,
        sync_error=failure.error[:1000],
        next_sync_at=failure.retry_at,
    )


async def defer_sync(
    session: AsyncSession, org_id: UUID, target: SyncTarget, until: datetime, *, now: datetime
) -> bool:
    return await _write(session, org_id, target, now, next_sync_at=until)


async def _write(session, org_id: UUID, target: SyncTarget, now: datetime, **values) -> bool:
    repository = AccountRepository(session, org_id)
    if await repository.set_sync_state(target.account_id, target.credential_key, **values):
        return True
    await repository.resume_renewed(target.account_id, target.credential_key, now)
    return False


async def schedule_due(session: AsyncSession, *, now: datetime, limit: int) -> int:
    accounts = await due_accounts(session, now, limit)
    queue = JobQueue.of(session)
    for account in accounts:
        account.next_sync_at = now + CLAIM_LEASE
        request(queue, account.org_id, account.id)
    await session.flush()
    return len(accounts)
