from datetime import UTC, datetime, timedelta

import pytest
from arq import Retry
from sqlalchemy import select

from services.worker.jobs import accounts
from services.worker.main import WorkerSettings
from shared import config_problems
from shared import jobs as job_names
from shared.crypto import encrypt_credentials
from shared.domain.account import service as account_service
from shared.domain.account import sync
from shared.domain.account.schemas import CredentialsUpdate
from shared.domain.creator import service as creator_service
from shared.jobs import JobQueue
from shared.models import AccountSnapshot, Creator
from shared.models.status import SyncStatus
from shared.platforms.base import (
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    InvalidInput,
    MalformedResponse,
    NotConfigured,
    Platform,
    PlatformUnavailable,
    RateLimited,
)
from shared.platforms.demo import followers_at
from tests.factories import create_account, create_creator, create_tenant
from tests.fakes import ScriptedAdapter
from tests.worker.conftest import NOW, run_burst

STATS = AccountStats(
    external_id="2244994945",
    handle="a",
    display_name="A",
    followers=1_200,
    following=10,
    posts_count=30,
)
DAY = timedelta(days=1)  # SWAY_ACCOUNT_SYNC_INTERVAL_S's default


async def _snapshots(session, account_id):
    return (
        await session.scalars(
            select(AccountSnapshot).where(AccountSnapshot.account_id == account_id)
        )
    ).all()


class TestSyncAccount:
    async def test_demo_sync_writes_snapshot_and_latest(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, handle="ada.brews")
        result = await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        assert result == "ok"
        expected = followers_at("ada.brews", NOW)
        [snapshot] = await _snapshots(session, account.id)
        assert snapshot.followers == expected
        await session.refresh(account)
        assert (account.followers, account.sync_status) == (expected, "ok")
        assert account.tier == (
            "mid" if expected >= 50_000 else "micro" if expected >= 5_000 else "nano"
        )
        assert account.next_sync_at - account.last_synced_at == timedelta(seconds=300)
        await session.refresh(creator)
        assert creator.total_followers == expected

    async def test_auth_expired_stops_only_that_account(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        broken = await create_account(
            session, tenant.org_id, creator.id, handle="broken", platform="x"
        )
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, accounts=[AuthExpired("x: token revoked", platform="x")]
        )
        assert (
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(broken.id)).dump(),
            )
            == "auth_expired"
        )
        await session.refresh(broken)
        assert (broken.sync_status, broken.next_sync_at) == ("auth_expired", None)
        assert "revoked" in broken.sync_error
        healthy = await create_account(session, tenant.org_id, creator.id, handle="fine")
        assert (
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(healthy.id)).dump(),
            )
            == "ok"
        )

    async def test_rate_limited_retries_after_hint(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, platform="x", handle="a")
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, accounts=[RateLimited("slow down", retry_after_s=900, platform="x")]
        )
        before = datetime.now(UTC)
        await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        await session.refresh(account)
        assert account.sync_status == "rate_limited"
        assert timedelta(seconds=899) <= account.next_sync_at - before <= timedelta(seconds=905)
        assert await _snapshots(session, account.id) == []

    async def test_foreign_org_id_finds_nothing(self, worker_ctx, session):
        a = await create_tenant(session, "A")
        b = await create_tenant(session, "B")
        creator = await create_creator(session, a.org_id)
        account = await create_account(session, a.org_id, creator.id)
        assert (
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(b.org_id), account_id=str(account.id)).dump(),
            )
            == "gone"
        )
        assert await _snapshots(session, account.id) == []


class RenewedMidSync(ScriptedAdapter):
    """The user PUTs new credentials while the platform call is in flight."""

    def __init__(self, renew, **script) -> None:
        super().__init__(Platform.x, **script)
        self._renew = renew

    async def fetch_account(self, account, creds):
        await self._renew()
        return await super().fetch_account(account, creds)


class Raising(ScriptedAdapter):
    async def fetch_account(self, account, creds):
        raise RuntimeError("adapter bug: unexpected shape")


def _close_to(moment: datetime | None, expected: datetime) -> bool:
    return moment is not None and abs(moment - expected) < timedelta(seconds=10)


async def _renewer(sessionmaker, settings, tenant, account, *, then_leased=False):
    """Renew the account's credentials the way PUT /v1/accounts/{id}/credentials does; then,
    optionally, the scheduler claims the now due account (its job is dropped as a duplicate of
    the running one)."""

    async def renew() -> None:
        async with sessionmaker() as other:
            renewed = await account_service.set_credentials(
                other,
                tenant.org_id,
                account.id,
                CredentialsUpdate(access_token="a-fresh-token"),
                secret_key=settings.secret_key.get_secret_value(),
                jobs=JobQueue(),
                now=datetime.now(UTC),
            )
            if then_leased:
                renewed.next_sync_at = datetime.now(UTC) + sync.CLAIM_LEASE
            await other.commit()

    return renew


async def _x_account(session, tenant, **fields):
    creator = await create_creator(session, tenant.org_id)
    return await create_account(
        session, tenant.org_id, creator.id, platform="x", handle="a", **fields
    )


class TestSyncAgainstRenewedCredentials:
    async def test_stale_auth_expired_does_not_undo_new_credentials(
        self, worker_ctx, session, sessionmaker, settings
    ):
        tenant = await create_tenant(session)
        old = Credentials(access_token="the-old-token")
        account = await _x_account(
            session,
            tenant,
            credentials_encrypted=encrypt_credentials(old, settings.secret_key.get_secret_value()),
            credential_key=old.key,
        )
        renew = await _renewer(sessionmaker, settings, tenant, account)
        worker_ctx["adapters"][Platform.x] = RenewedMidSync(
            renew, accounts=[AuthExpired("x: token revoked", platform="x")]
        )
        result = await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        assert result == "superseded"
        await session.refresh(account)
        assert account.sync_status == SyncStatus.pending
        assert account.credential_key == Credentials(access_token="a-fresh-token").key
        assert account.sync_error is None
        assert _close_to(account.next_sync_at, datetime.now(UTC))

    async def test_stale_success_does_not_undo_new_credentials(
        self, worker_ctx, session, sessionmaker, settings
    ):
        tenant = await create_tenant(session)
        account = await _x_account(session, tenant)
        renew = await _renewer(sessionmaker, settings, tenant, account, then_leased=True)
        worker_ctx["adapters"][Platform.x] = RenewedMidSync(renew, accounts=[STATS])
        assert await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        ) == ("superseded")
        await session.refresh(account)
        assert (account.sync_status, account.followers) == (SyncStatus.pending, None)
        # The new credentials' own sync is due at once.
        assert _close_to(account.next_sync_at, datetime.now(UTC))
        assert await _snapshots(session, account.id) == []


class TestSyncFailuresAreVisible:
    """Every failure leaves a sync_status and sync_error the user can read, and sets the next
    sync explicitly (never the scheduler's 10-minute claim lease)."""

    @pytest.mark.parametrize(
        ("error", "retry_in", "says"),
        [
            (
                InvalidInput("x: the handle contains a control character", platform="x"),
                None,
                "handle or external_id is corrected",
            ),
            (AdapterError("linkedin: @a is not an organization"), DAY, "not an organization"),
            (MalformedResponse("x: body is not JSON", platform="x"), DAY, "body is not JSON"),
        ],
    )
    async def test_adapter_errors_become_error(
        self, worker_ctx, session, redis, error, retry_in, says
    ):
        tenant = await create_tenant(session)
        account = await _x_account(session, tenant, next_sync_at=datetime.now(UTC))
        assert await accounts.schedule_account_syncs(worker_ctx) == 1  # leased, as in production
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(Platform.x, accounts=[error])
        result = await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        assert result == "error"
        await session.refresh(account)
        assert account.sync_status == SyncStatus.error
        assert says in account.sync_error
        if retry_in is None:
            assert account.next_sync_at is None
        else:
            assert _close_to(account.next_sync_at, datetime.now(UTC) + retry_in)

    async def test_undecryptable_credentials_name_the_secret_key(self, worker_ctx, session):
        tenant = await create_tenant(session)
        account = await _x_account(
            session, tenant, credentials_encrypted="sealed-under-another-key", credential_key="k1"
        )
        worker_ctx["adapters"][Platform.x] = adapter = ScriptedAdapter(Platform.x)
        result = await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        assert result == "error"
        assert adapter.calls == []
        await session.refresh(account)
        assert account.sync_status == SyncStatus.error
        assert "SWAY_SECRET_KEY" in account.sync_error
        assert account.next_sync_at is None

    async def test_unexpected_exception_is_recorded_then_raised(self, worker_ctx, session):
        tenant = await create_tenant(session)
        account = await _x_account(session, tenant)
        worker_ctx["adapters"][Platform.x] = Raising(Platform.x)
        with pytest.raises(RuntimeError):
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
            )
        await session.refresh(account)
        assert account.sync_status == SyncStatus.error
        assert account.sync_error.startswith("unexpected RuntimeError: adapter bug")
        assert _close_to(account.next_sync_at, datetime.now(UTC) + DAY)

    async def test_outage_retries_then_leaves_a_visible_error(self, worker_ctx, session):
        tenant = await create_tenant(session)
        account = await _x_account(session, tenant)
        outage = PlatformUnavailable("x: 503 Service Unavailable", platform="x")
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(Platform.x, accounts=[outage] * 2)
        with pytest.raises(Retry):
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
            )
        await session.refresh(account)
        assert account.sync_status == SyncStatus.pending
        worker_ctx["job_try"] = accounts.MAX_TRIES
        result = await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        assert result == "error"
        await session.refresh(account)
        assert account.sync_status == SyncStatus.error
        assert "503" in account.sync_error
        assert _close_to(account.next_sync_at, datetime.now(UTC) + timedelta(minutes=15))

    def test_last_try_is_the_registered_one(self):
        [registered] = [f for f in WorkerSettings.functions if f.name == job_names.SYNC_ACCOUNT]
        assert registered.max_tries == accounts.MAX_TRIES


class TestConfigurationErrors:
    async def test_not_configured_is_config_error_retried_by_itself(
        self, worker_ctx, session, redis
    ):
        tenant = await create_tenant(session)
        account = await _x_account(session, tenant)
        problem = "x: the app bearer token is refused; check SWAY_X_BEARER_TOKEN"
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, accounts=[NotConfigured(problem, platform="x"), STATS]
        )
        result = await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        assert result == "config_error"
        await session.refresh(account)
        assert (account.sync_status, account.sync_error) == (SyncStatus.config_error, problem)
        assert _close_to(account.next_sync_at, datetime.now(UTC) + timedelta(minutes=15))
        assert await config_problems.current(redis) == {"x": problem}
        # Fixed (and the worker restarted): the next sync works and the problem is forgotten.
        assert (
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
            )
            == "ok"
        )
        assert await config_problems.current(redis) == {}
        await session.refresh(account)
        assert (account.sync_status, account.sync_error) == (SyncStatus.ok, None)

    async def test_success_with_own_token_does_not_clear_it(self, worker_ctx, session, redis):
        tenant = await create_tenant(session)
        key = worker_ctx["settings"].secret_key.get_secret_value()
        own = Credentials(access_token="users-own-token")
        account = await _x_account(
            session,
            tenant,
            credentials_encrypted=encrypt_credentials(own, key),
            credential_key=own.key,
        )
        await config_problems.report(redis, "x", "x: app bearer token missing")
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(Platform.x, accounts=[STATS])
        assert (
            await accounts.sync_account(
                worker_ctx,
                sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
            )
            == "ok"
        )
        assert await config_problems.current(redis) == {"x": "x: app bearer token missing"}


class TestArchivedCreators:
    async def test_archived_creators_accounts_are_not_synced(self, worker_ctx, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session,
            tenant.org_id,
            creator.id,
            handle="archived",
            next_sync_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        await creator_service.archive(session, tenant.org_id, creator.id)
        await session.commit()
        assert await accounts.schedule_account_syncs(worker_ctx) == 0
        assert not await redis.exists(f"arq:job:account.sync:{account.id}")
        # A job queued before the archive does nothing.
        assert await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        ) == ("gone")
        assert await _snapshots(session, account.id) == []


class TestScheduleAccountSyncs:
    async def test_due_accounts_enqueued_once(self, worker_ctx, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        now = datetime.now(UTC)
        due = await create_account(
            session,
            tenant.org_id,
            creator.id,
            handle="due",
            next_sync_at=now - timedelta(minutes=1),
        )
        later = await create_account(
            session,
            tenant.org_id,
            creator.id,
            handle="later",
            next_sync_at=now + timedelta(hours=1),
        )
        assert await accounts.schedule_account_syncs(worker_ctx) >= 1
        assert await redis.exists(f"arq:job:account.sync:{due.id}")
        assert not await redis.exists(f"arq:job:account.sync:{later.id}")
        await session.refresh(due)
        assert due.next_sync_at > now
        # A second tick finds it leased, so it is not claimed twice.
        assert await accounts.schedule_account_syncs(worker_ctx) == 0


class TestWorkerEndToEnd:
    async def test_burst_worker_runs_enqueued_sync(self, worker_ctx, session, redis):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, handle="mina.makes")
        queue = JobQueue()
        sync.request(queue, tenant.org_id, account.id)
        await queue.flush(redis)
        worker = await run_burst(worker_ctx, redis)
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        [snapshot] = await _snapshots(session, account.id)
        assert snapshot.followers == followers_at("mina.makes", NOW)
        creator_row = await session.get(Creator, creator.id)
        await session.refresh(creator_row)
        assert creator_row.total_followers == snapshot.followers
        await session.refresh(account)
        assert account.sync_status == "ok"
