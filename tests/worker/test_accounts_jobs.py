from datetime import UTC, datetime, timedelta

from arq.worker import Worker
from sqlalchemy import select

from services.worker.jobs import accounts
from services.worker.main import WorkerSettings
from shared.models import AccountSnapshot, Creator
from shared.platforms.base import AuthExpired, Platform, RateLimited
from shared.platforms.demo import followers_at
from tests.factories import create_account, create_creator, create_tenant
from tests.fakes import ScriptedAdapter
from tests.worker.conftest import NOW


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
        result = await accounts.sync_account(worker_ctx, str(tenant.org_id), str(account.id))
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
            await accounts.sync_account(worker_ctx, str(tenant.org_id), str(broken.id))
            == "auth_expired"
        )
        await session.refresh(broken)
        assert (broken.sync_status, broken.next_sync_at) == ("auth_expired", None)
        assert "revoked" in broken.sync_error
        healthy = await create_account(session, tenant.org_id, creator.id, handle="fine")
        assert await accounts.sync_account(worker_ctx, str(tenant.org_id), str(healthy.id)) == "ok"

    async def test_rate_limited_retries_after_hint(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, platform="x", handle="a")
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, accounts=[RateLimited("slow down", retry_after_s=900, platform="x")]
        )
        before = datetime.now(UTC)
        await accounts.sync_account(worker_ctx, str(tenant.org_id), str(account.id))
        await session.refresh(account)
        assert account.sync_status == "rate_limited"
        assert timedelta(seconds=899) <= account.next_sync_at - before <= timedelta(seconds=905)
        assert await _snapshots(session, account.id) == []

    async def test_foreign_org_id_finds_nothing(self, worker_ctx, session):
        a = await create_tenant(session, "A")
        b = await create_tenant(session, "B")
        creator = await create_creator(session, a.org_id)
        account = await create_account(session, a.org_id, creator.id)
        assert await accounts.sync_account(worker_ctx, str(b.org_id), str(account.id)) == "gone"
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
        await redis.enqueue_job(
            "account.sync",
            str(tenant.org_id),
            str(account.id),
            _job_id=f"account.sync:{account.id}",
        )
        ctx = {k: v for k, v in worker_ctx.items() if k not in ("redis", "job_try")}
        worker = Worker(
            functions=WorkerSettings.functions,
            redis_pool=redis,
            burst=True,
            poll_delay=0,
            ctx=ctx,
            handle_signals=False,
        )
        await worker.main()
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        [snapshot] = await _snapshots(session, account.id)
        assert snapshot.followers == followers_at("mina.makes", NOW)
        creator_row = await session.get(Creator, creator.id)
        await session.refresh(creator_row)
        assert creator_row.total_followers == snapshot.followers
        await session.refresh(account)
        assert account.sync_status == "ok"
