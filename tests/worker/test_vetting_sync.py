"""Vetting after a real account sync (services/worker/jobs/accounts.py): the listing's posts are
kept as the account's recent posts and read by its engagement rate, authenticity and influence
are written on the account and the creator, and account.authenticity_alert is emitted once per
fall below the threshold (docs/vetting.md)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.worker.jobs import accounts
from shared.domain.account import sync
from shared.domain.vetting import service as vetting_service
from shared.domain.vetting.schemas import BenchmarkRow, BenchmarksUpdate
from shared.models import AccountRecentPost, Creator, Delivery
from shared.platforms import demo
from shared.platforms.base import AccountStats, Platform, PostInfo, PostStats
from tests.factories import bearer, create_account, create_creator, create_tenant
from tests.factories_events import create_subscription
from tests.fakes import ScriptedAdapter

ALERT = "account.authenticity_alert"
DAY = timedelta(days=1)


@pytest.fixture
def live_demo(worker_ctx):
    """The demo platform on the real clock: the sync job stamps its writes with it."""
    worker_ctx["adapters"][Platform.demo] = demo.DemoAdapter()
    return worker_ctx


async def _sync(ctx, account) -> str:
    payload = sync.SyncAccount(org_id=str(account.org_id), account_id=str(account.id))
    return await accounts.sync_account(ctx, payload.dump())


async def _demo_account(session, tenant, handle, *, niches=("coffee",)):
    """A demo account with 30 days of the demo's own daily follower counts, as the seed makes."""
    creator = await create_creator(session, tenant.org_id, niches=list(niches))
    account = await create_account(session, tenant.org_id, creator.id, handle=handle)
    now = datetime.now(UTC)
    history = [(now - d * DAY, demo.followers_at(handle, now - d * DAY)) for d in range(30, 0, -1)]
    await sync.record_history(session, tenant.org_id, account.id, history)
    await session.commit()
    return creator, account


async def _subscribe(session, tenant, settings) -> None:
    await create_subscription(session, tenant.org_id, "https://a.example.com/h", [ALERT], settings)


async def _alerts(session, org_id) -> list[Delivery]:
    rows = await session.scalars(
        select(Delivery).where(Delivery.org_id == org_id, Delivery.event_type == ALERT)
    )
    return list(rows.all())


async def _recent(session, account_id) -> list[AccountRecentPost]:
    rows = await session.scalars(
        select(AccountRecentPost)
        .where(AccountRecentPost.account_id == account_id)
        .order_by(AccountRecentPost.published_at.desc())
    )
    return list(rows.all())


class TestDemoSync:
    async def test_a_spike_is_scored_alerted_once_and_not_again(self, live_demo, session, settings):
        tenant = await create_tenant(session)
        await create_subscription(
            session, tenant.org_id, "https://a.example.com/h", [ALERT], settings
        )
        creator, account = await _demo_account(session, tenant, "noor.spike.25k")
        assert await _sync(live_demo, account) == "ok"
        session.expire_all()
        await session.refresh(account)

        # The first sync lists 30 days back: a post every two days.
        posts = await _recent(session, account.id)
        first = datetime.now(UTC) - timedelta(days=30)
        expected = [
            f"noor.spike.25k-{n}"
            for n in range(400, -1, -1)
            if first <= demo.published_at("noor.spike.25k", n) <= datetime.now(UTC)
        ]
        assert [p.external_id for p in posts] == expected
        assert all(p.followers == account.followers and p.caption for p in posts)
        assert account.last_posted_at == posts[0].published_at

        codes = [s["code"] for s in account.authenticity["signals"]]
        assert codes == ["follower_spike"]
        # 30 + 30 x min(1, (0.25 - 0.02) / 0.18) = 60 points off.
        assert account.authenticity_score == account.authenticity["score"] == 40.0
        assert account.authenticity["computed_at"] is not None
        assert account.authenticity_alerted_at is not None

        [alert] = await _alerts(session, tenant.org_id)
        data = alert.payload["data"]
        assert (data["account_id"], data["handle"], data["score"]) == (
            str(account.id),
            "noor.spike.25k",
            40.0,
        )
        assert data["reasons"] == [account.authenticity["signals"][0]["detail"]]
        assert data["reasons"][0].startswith("followers rose by ")

        # Influence: every component known; the creator's is its one account's.
        names = [c["name"] for c in account.influence["components"]]
        assert names == ["engagement", "authenticity", "consistency", "growth", "niche_fit"]
        assert sum(c["weight"] for c in account.influence["components"]) == pytest.approx(1)
        await session.refresh(creator)
        assert creator.influence_score == account.influence_score
        assert creator.influence["components"][0]["account_id"] == str(account.id)
        assert creator.influence["components"][0]["weight"] == 1.0
        assert creator.last_posted_at == account.last_posted_at

        # The next sync: still below the threshold, the same fall, no second alert.
        alerted_at = account.authenticity_alerted_at
        assert await _sync(live_demo, account) == "ok"
        session.expire_all()
        await session.refresh(account)
        assert account.authenticity_score == 40.0
        assert account.authenticity_alerted_at == alerted_at
        assert len(await _alerts(session, tenant.org_id)) == 1

    async def test_a_recovery_clears_the_alert_and_a_new_fall_alerts_again(
        self, live_demo, session, settings
    ):
        # The pod's score is 100 - (25 + 25 x (r - 5) / 5) for r = its rate / 3.5 %, about 7 x:
        # about 65. With the alert at 70 it falls below.
        live_demo["settings"] = settings.model_copy(update={"authenticity_alert_below": 70.0})
        tenant = await create_tenant(session)
        await create_subscription(
            session, tenant.org_id, "https://a.example.com/h", [ALERT], settings
        )
        _, account = await _demo_account(session, tenant, "pia.pod.2k")
        assert await _sync(live_demo, account) == "ok"
        await session.refresh(account)
        assert [s["code"] for s in account.authenticity["signals"]] == ["implausible_engagement"]
        assert 60 < account.authenticity_score < 70
        assert len(await _alerts(session, tenant.org_id)) == 1

        # The organization's own benchmark for demo/nano, a quarter of the account's rate: the
        # rate is then 4 x the benchmark, under 5 x, and no signal fires.
        rate = account.engagement_rate
        high = BenchmarkRow(platform="demo", tier="nano", engagement_rate=min(1.0, rate / 4))
        await vetting_service.replace_benchmarks(
            session, tenant.org_id, BenchmarksUpdate(benchmarks=[high])
        )
        await session.commit()
        assert await _sync(live_demo, account) == "ok"
        session.expire_all()
        await session.refresh(account)
        assert account.authenticity["signals"] == []
        assert account.authenticity_score == 100.0
        assert account.authenticity_alerted_at is None

        # Back to the defaults: a new fall, a new alert.
        await vetting_service.replace_benchmarks(
            session, tenant.org_id, BenchmarksUpdate(benchmarks=[])
        )
        await session.commit()
        assert await _sync(live_demo, account) == "ok"
        session.expire_all()
        await session.refresh(account)
        assert account.authenticity_alerted_at is not None
        assert len(await _alerts(session, tenant.org_id)) == 2

    async def test_a_new_account_says_what_history_is_missing(self, live_demo, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, handle="ada.brews.3k")
        assert await _sync(live_demo, account) == "ok"
        await session.refresh(account)
        # Fifteen settled listed posts give an engagement rate at once; the follower history
        # is the one count of this sync.
        assert account.engagement_rate is not None
        assert account.authenticity == {
            "score": None,
            "signals": [],
            "insufficient_history": ["fewer than 8 days of follower history (have 1)"],
            "unchecked": [],
            "reason": "insufficient_history",
            "computed_at": account.authenticity["computed_at"],
        }
        assert account.authenticity_score is None and account.authenticity_alerted_at is None
        missing = account.influence["missing"]
        assert missing == [
            "authenticity: no score (insufficient history)",
            "growth: no follower count from 30 days ago",
        ]
        assert account.influence_score is not None


def _listed(n: int, now: datetime, likes: int) -> PostInfo:
    return PostInfo(
        external_id=f"p{n}",
        url=None,
        kind="post",
        caption=f"post {n} #coffee",
        published_at=now - timedelta(days=n + 2),
        stats=PostStats(likes=likes, comments=likes // 50, shares=None, saves=None),
    )


class TestListedPosts:
    async def test_the_30_newest_are_kept_and_the_rate_reads_them(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id, handle="lister")
        now = datetime.now(UTC)
        # 35 posts published 2 to 36 days ago; p0-p11 are the 12 newest: p0, p2, ... with 200
        # likes, p1, p3, ... with 400 (comments 4 and 8): rates (200 + 4) / 10,000 = 0.0204
        # and (400 + 8) / 10,000 = 0.0408; six of each, median (0.0204 + 0.0408) / 2 = 0.0306.
        # p12-p34 have 5,000 likes: counted, they would make the median 0.5.
        listing = [_listed(n, now, 200 if n < 12 and n % 2 == 0 else 400) for n in range(12)]
        listing += [_listed(n, now, 5_000) for n in range(12, 35)]
        stats = AccountStats("ext-1", "lister", "Lister", 10_000, 10, 35)
        worker_ctx["adapters"][Platform.demo] = ScriptedAdapter(
            Platform.demo, accounts=[stats], posts=[listing]
        )
        assert await _sync(worker_ctx, account) == "ok"
        await session.refresh(account)
        posts = await _recent(session, account.id)
        assert [p.external_id for p in posts] == [f"p{n}" for n in range(30)]
        # Only the sync's snapshot: it is after every post, so it is their followers_at_post.
        assert account.engagement_rate == pytest.approx(0.0306)
        assert account.last_posted_at == posts[0].published_at
        count = select(func.count()).select_from(AccountRecentPost)
        assert await session.scalar(count.where(AccountRecentPost.org_id == tenant.org_id)) == 30
        last = await session.scalar(select(Creator.last_posted_at).where(Creator.id == creator.id))
        assert last == posts[0].published_at


class TestDiscoveryAfterSync:
    async def test_a_listed_caption_makes_the_creator_findable(self, live_demo, session, client):
        """The sync rebuilds the creator's search document from the captions it listed: every
        demo caption names @acme.coffee and #sway (shared/platforms/demo.py)."""
        tenant = await create_tenant(session)
        creator, account = await _demo_account(session, tenant, "ada.brews.3k")
        creator_id = str(creator.id)
        search = {"q": "sway"}
        before = await client.get("/v1/creators", params=search, headers=bearer(tenant.read))
        assert before.json()["items"] == []
        assert await _sync(live_demo, account) == "ok"
        session.expire_all()
        after = await client.get("/v1/creators", params=search, headers=bearer(tenant.read))
        assert [item["id"] for item in after.json()["items"]] == [creator_id]
        await session.refresh(creator)
        assert "#sway" in creator.terms
