"""Keeping OAuth connections alive (docs/connecting.md, "Refresh").

A cron finds every token about to expire and queues one job per account. The job first takes
the account's refresh lease in a transaction of its own, so of several workers only one spends
a rotating refresh token; then calls the platform with no transaction open; then stores the new
tokens only if its lease still stands (a person may have connected the account anew meanwhile).
A refusal for good ends the connection: the account is `auth_expired` with the reason, its posts
pause, and `account.connection_lost` goes out. Anything else is tried again a little later."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import jobs as job_names
from shared.config import Settings
from shared.crypto import CredentialsError, decrypt_credentials, encrypt_credentials
from shared.db import unit_of_work
from shared.domain.connection import repository
from shared.domain.connection.repository import RefreshRepository
from shared.domain.connection.service import app_for, provider
from shared.domain.events import payloads
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.post import lifecycle as post_lifecycle
from shared.errors import Conflict
from shared.jobs import JobPayload, JobQueue
from shared.models import CreatorAccount
from shared.models.status import SyncStatus
from shared.platforms.base import AdapterError, Credentials, Platform, RateLimited
from shared.platforms.oauth.base import AuthorizationRefused, TokenGrant

# A refresh that failed for a passing reason (an outage, a throttle) is tried again this soon.
RETRY_AFTER = timedelta(minutes=5)
# What a paused post says once its account's connection is lost.
LOST_DETAIL = "the account's connection ended; connect it again"


class RefreshToken(JobPayload):
    org_id: UUID
    account_id: UUID


def request(jobs: JobQueue, org_id: UUID, account_id: UUID) -> str:
    """One pending refresh per account: a second request while one is queued is a no-op."""
    job_id = f"{job_names.REFRESH_TOKEN}:{account_id}"
    payload = RefreshToken(org_id=org_id, account_id=account_id)
    jobs.defer(job_names.REFRESH_TOKEN, payload, job_id=job_id)
    return job_id


async def schedule_due(
    session: AsyncSession, *, settings: Settings, now: datetime, limit: int = 500
) -> int:
    before = now + timedelta(seconds=settings.token_refresh_ahead_s)
    due = await repository.due_refreshes(session, before=before, now=now, limit=limit)
    queue = JobQueue.of(session)
    for org_id, account_id in due:
        request(queue, org_id, account_id)
    return len(due)


@dataclass(frozen=True)
class Held:
    """A credential this worker holds the lease of."""

    platform: Platform
    credentials: Credentials
    lease: datetime


async def refresh_account(
    sessionmaker: async_sessionmaker[AsyncSession],
    payload: RefreshToken,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    now: datetime,
) -> str:
    """Refresh one account's token; what happened, in a word, for the job's result."""
    held = await _take(sessionmaker, payload, settings=settings, now=now)
    if isinstance(held, str):
        return held
    try:
        app = app_for(held.platform, settings)
        grant = await provider(held.platform, settings, http).refresh(app, held.credentials)
    except AuthorizationRefused as exc:
        return await _end(sessionmaker, payload, held, str(exc), now=now)
    except (AdapterError, Conflict) as exc:
        retry_at = now + _retry_delay(exc)
        await _release(sessionmaker, payload, held, retry_at)
        return f"retry at {retry_at.isoformat()}: {exc}"
    return await _store(sessionmaker, payload, held, grant, settings=settings, now=now)


async def _take(
    sessionmaker: async_sessionmaker[AsyncSession],
    payload: RefreshToken,
    *,
    settings: Settings,
    now: datetime,
) -> Held | str:
    until = now + timedelta(seconds=settings.token_refresh_lease_s)
    before = now + timedelta(seconds=settings.token_refresh_ahead_s)
    async with unit_of_work(sessionmaker) as session:
        account = await RefreshRepository(session, payload.org_id).take_lease(
            payload.account_id, before=before, now=now, until=until
        )
        if account is None:
            return "not due"  # refreshed by another worker, held, reconnected or gone
        try:
            credentials = decrypt_credentials(
                account.credentials_encrypted, settings.secret_key.get_secret_value()
            )
        except CredentialsError as exc:
            await _lose(session, account, f"{exc}; connect the account again", now=now)
            return "undecryptable"
        if credentials is None:
            await _lose(session, account, "no credentials stored; connect the account", now=now)
            return "no credentials"
        return Held(Platform(account.platform), credentials, until)


async def _store(
    sessionmaker: async_sessionmaker[AsyncSession],
    payload: RefreshToken,
    held: Held,
    grant: TokenGrant,
    *,
    settings: Settings,
    now: datetime,
) -> str:
    old = held.credentials
    # Platforms that do not rotate leave refresh_token out of the answer: keep the one we have.
    renewed = Credentials(
        access_token=grant.access_token,
        api_key=old.api_key,
        extra=old.extra,
        refresh_token=grant.refresh_token or old.refresh_token,
        subject=old.subject,
    )
    async with unit_of_work(sessionmaker) as session:
        account = await RefreshRepository(session, payload.org_id).holding(
            payload.account_id, held.lease
        )
        if account is None:
            return "superseded"  # connected anew while we refreshed: theirs stands
        account.credentials_encrypted = encrypt_credentials(
            renewed, settings.secret_key.get_secret_value()
        )
        account.token_expires_at = _expiry(grant, now)
        account.granted_scopes = list(grant.scopes) or account.granted_scopes
        account.token_refreshed_at = now
        account.token_refresh_lease_until = None
    return "refreshed"


async def _release(
    sessionmaker: async_sessionmaker[AsyncSession],
    payload: RefreshToken,
    held: Held,
    retry_at: datetime,
) -> None:
    """Keep the lease until the retry: the cron leaves the account alone till then."""
    async with unit_of_work(sessionmaker) as session:
        account = await RefreshRepository(session, payload.org_id).holding(
            payload.account_id, held.lease
        )
        if account is not None:
            account.token_refresh_lease_until = retry_at


async def _end(
    sessionmaker: async_sessionmaker[AsyncSession],
    payload: RefreshToken,
    held: Held,
    reason: str,
    *,
    now: datetime,
) -> str:
    async with unit_of_work(sessionmaker) as session:
        account = await RefreshRepository(session, payload.org_id).holding(
            payload.account_id, held.lease
        )
        if account is None:
            return "superseded"
        await _lose(session, account, reason, now=now)
    return "connection lost"


async def _lose(
    session: AsyncSession, account: CreatorAccount, reason: str, *, now: datetime
) -> None:
    """The connection cannot be kept: the account waits for a person to connect it again."""
    account.sync_status = SyncStatus.auth_expired
    account.sync_error = reason[:1000]
    account.next_sync_at = None
    # Never due again: only a new connection (or credentials PUT) sets an expiry once more.
    account.token_expires_at = None
    account.token_refresh_lease_until = None
    await session.flush()
    await post_lifecycle.pause_account(session, account.org_id, account.id, LOST_DETAIL)
    data = payloads.account_connection_lost(account, reason=reason, at=now)
    await events_service.emit(
        session, account.org_id, EventType.account_connection_lost, data, now=now
    )


def _expiry(grant: TokenGrant, now: datetime) -> datetime | None:
    return None if grant.expires_in_s is None else now + timedelta(seconds=grant.expires_in_s)


def _retry_delay(exc: Exception) -> timedelta:
    if isinstance(exc, RateLimited):
        return max(RETRY_AFTER, timedelta(seconds=exc.retry_after_s))
    return RETRY_AFTER
