from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.crypto import encrypt_credentials
from shared.domain.account import sync
from shared.domain.account.repository import AccountRepository
from shared.domain.account.schemas import AccountCreate, CredentialsUpdate
from shared.domain.creator import service as creator_service
from shared.domain.discovery import documents
from shared.domain.pagination import Page, page_of
from shared.domain.post import lifecycle as post_lifecycle
from shared.errors import Conflict, Invalid, NotFound
from shared.jobs import JobQueue
from shared.models import AccountSnapshot, CreatorAccount
from shared.models.status import SyncStatus
from shared.platforms.base import Credentials
from shared.platforms.profiles import profile_url


async def create(
    session: AsyncSession, org_id: UUID, creator_id: UUID, data: AccountCreate, *, jobs: JobQueue
) -> CreatorAccount:
    creator = await creator_service.get(session, org_id, creator_id)
    repository = AccountRepository(session, org_id)
    existing = await repository.by_handle(data.platform, data.handle)
    if existing is not None:
        raise _duplicate(existing, creator_id)
    account = repository.add(
        CreatorAccount(
            creator_id=creator.id,
            platform=data.platform.value,
            handle=data.handle,
            external_id=data.external_id,
            url=profile_url(data.platform, data.handle),
            sync_status=SyncStatus.pending,
            next_sync_at=datetime.now(UTC),
        )
    )
    try:
        async with session.begin_nested():
            await repository.flush()
    except IntegrityError as exc:  # a concurrent request won the race for the same handle
        raise Conflict(f"{data.platform} account @{data.handle} already exists") from exc
    # The handle is searchable at once, before the first sync lists any post.
    await documents.refresh_creators(session, org_id, [creator.id])
    request_sync(jobs, org_id, account.id)
    return account


def _duplicate(existing: CreatorAccount, creator_id: UUID) -> Conflict:
    if existing.creator_id == creator_id:
        return Conflict(
            f"this creator already has the {existing.platform} account @{existing.handle}"
        )
    return Conflict(
        f"{existing.platform} account @{existing.handle} belongs to another creator "
        f"({existing.creator_id}) in this organization"
    )


async def get(session: AsyncSession, org_id: UUID, account_id: UUID) -> CreatorAccount:
    account = await AccountRepository(session, org_id).get(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


async def list_snapshots(
    session: AsyncSession, org_id: UUID, account_id: UUID, *, cursor: str | None, limit: int
) -> Page[AccountSnapshot]:
    account = await get(session, org_id, account_id)
    rows = await AccountRepository(session, org_id).snapshots(account.id, cursor, limit)
    return page_of(rows, limit, lambda s: (s.captured_at, s.account_id))


def request_sync(jobs: JobQueue, org_id: UUID, account_id: UUID) -> str:
    return sync.request(jobs, org_id, account_id)


async def set_credentials(
    session: AsyncSession,
    org_id: UUID,
    account_id: UUID,
    data: CredentialsUpdate,
    *,
    secret_key: str,
    jobs: JobQueue,
    now: datetime,
) -> CreatorAccount:
    """Store (or renew) the account's platform credentials by hand; an account stopped by an
    expired token resumes, and a sync runs now to prove the new credentials."""
    if not data.has_secret():
        raise Invalid.field(("body", "access_token"), "send an access_token or an api_key")
    account = await get(session, org_id, account_id)
    credentials = Credentials(
        access_token=data.access_token, api_key=data.api_key, extra=data.extra
    )
    account.external_id = data.external_id or account.external_id
    await store_credentials(
        session, account, credentials, Connected.manual(), secret_key=secret_key, jobs=jobs, now=now
    )
    return account


@dataclass(frozen=True)
class Connected:
    """How credentials came: by hand, or through an OAuth grant Sway refreshes (its expiry and
    the scopes the person granted)."""

    via: str
    expires_at: datetime | None = None
    scopes: tuple[str, ...] | None = None

    @classmethod
    def manual(cls) -> "Connected":
        return cls("manual")


async def store_credentials(
    session: AsyncSession,
    account: CreatorAccount,
    credentials: Credentials,
    connected: Connected,
    *,
    secret_key: str,
    jobs: JobQueue,
    now: datetime,
) -> None:
    """Seal the account's new credentials; posts paused by the old ones, or in error, get
    another try under the new ones, and a sync runs now."""
    account.credentials_encrypted = encrypt_credentials(credentials, secret_key)
    account.credential_key = credentials.key
    account.params_key = credentials.params_key
    account.connected_via = connected.via
    account.token_expires_at = connected.expires_at
    account.granted_scopes = list(connected.scopes) if connected.scopes is not None else None
    account.token_refreshed_at = now if connected.via == "oauth" else None
    account.token_refresh_lease_until = None
    account.sync_status = SyncStatus.pending
    account.sync_error = None
    account.next_sync_at = now
    await session.flush()
    await post_lifecycle.resume_account(session, account.org_id, account.id, now=now)
    request_sync(jobs, account.org_id, account.id)


async def archive_for_creator(session: AsyncSession, org_id: UUID, creator_id: UUID) -> None:
    await AccountRepository(session, org_id).archive_for_creator(creator_id)


async def refresh(session: AsyncSession, org_id: UUID, account_id: UUID, *, jobs: JobQueue) -> str:
    account = await get(session, org_id, account_id)
    return request_sync(jobs, org_id, account.id)
