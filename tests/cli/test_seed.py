"""The demo seed `sway run` makes on a first start: made through the domain services, and what
the worker makes of it in its first minute (README, "Quick start")."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.pool import NullPool

from services.cli.runner import _seed_if_empty
from services.cli.seed import needs_seed, seed_demo
from services.worker.jobs.posts import schedule_post_refreshes
from shared import jobs as job_names
from shared.budget import Budget
from shared.db import Base, create_engine, reads_in
from shared.domain.collaboration.stages import INITIAL, allowed_moves
from shared.domain.deliverable import service as deliverable_service
from shared.domain.discovery import service as discovery_service
from shared.domain.discovery.schemas import DiscoverFilters
from shared.domain.kpi import service as kpi_service
from shared.jobs import JobQueue
from shared.models import (
    AccountRecentPost,
    AccountSnapshot,
    Campaign,
    CampaignKpiSnapshot,
    Collaboration,
    CollaborationStageChange,
    Creator,
    CreatorAccount,
    Deliverable,
    Organization,
    Post,
)
from shared.platforms.base import Platform
from shared.platforms.demo import DemoAdapter, followers_at
from tests.worker.conftest import run_burst

TIERS = {
    "rio.reads.600": "emerging",
    "ada.brews.3k": "nano",
    "kai.cooks.8k": "micro",
    "luca.trails.20k": "micro",
    "mina.makes.150k": "mid",
    "sol.fitness.1m": "mega",
    # The vetting prospects: bought followers, an engagement pod.
    "noor.spike.25k": "micro",
    "pia.pod.2k": "nano",
}


@pytest.fixture
async def synced(settings, sessionmaker, session, redis):
    """The demo seeded, then what the worker does in its first seconds, by a real worker in burst
    mode against the demo platform on the real clock (the seed's dates are today's): every
    account's first sync, then one refresh of the posts it captured, then the KPI recomputation
    that refresh requests."""
    now = datetime.now(UTC)
    org_id, _ = await seed_demo(session, now=now)
    await session.commit()
    queue = JobQueue.of(session)
    # The seed's own KPI requests wait out the default one-minute debounce; the refresh below
    # requests the recomputation again, with the debounce of this context.
    queue.pending = [job for job in queue.pending if job.name == job_names.SYNC_ACCOUNT]
    await queue.flush(redis)
    ctx = {
        "settings": settings.model_copy(update={"kpi_debounce_s": 1}),
        "sessionmaker": sessionmaker,
        "redis": redis,
        "adapters": {Platform.demo: DemoAdapter()},
        "budget": Budget(redis, settings),
    }
    synced = await run_burst(ctx, redis)
    assert (synced.jobs_complete, synced.jobs_failed) == (len(TIERS), 0)
    assert await schedule_post_refreshes(ctx) >= 1
    refreshed = await run_burst(ctx, redis)
    assert refreshed.jobs_failed == 0
    session.expire_all()
    return org_id, now


async def _by_handle(session, model, org_id):
    rows = await session.execute(
        select(CreatorAccount.handle, model)
        .join(model, model.creator_id == CreatorAccount.creator_id)
        .where(CreatorAccount.org_id == org_id)
    )
    return {handle: row for handle, row in rows}


class TestSeedDemo:
    async def test_seeds_creators_accounts_and_an_active_campaign(self, session):
        assert await needs_seed(session)
        org_id, key = await seed_demo(session)
        await session.flush()
        accounts = await session.scalar(select(func.count()).select_from(CreatorAccount))
        campaign = await session.scalar(select(Campaign))
        assert accounts == len(TIERS)
        assert (campaign.status, str(campaign.budget)) == ("active", "12000.00")
        assert key.startswith("sway_") and not await needs_seed(session)

    async def test_campaign_is_half_way_with_goals_both_ways(self, session):
        now = datetime(2026, 12, 1, 9, tzinfo=UTC)
        await seed_demo(session, now=now)
        campaign = await session.scalar(select(Campaign))
        await session.refresh(campaign, ["goals"])
        today = now.date()
        assert campaign.starts_on < today < campaign.ends_on
        assert (today - campaign.starts_on) == (campaign.ends_on - today)
        goals = {goal.metric: (goal.direction, goal.target) for goal in campaign.goals}
        assert goals["engagements"][0] == goals["views"][0] == "at_least"
        assert goals["cpe"] == ("at_most", Decimal("0.015"))
        assert goals["disclosure_rate"] == ("at_least", Decimal("0.9"))


class TestDemoCollaborations:
    async def test_every_compensation_model_in_the_campaign_currency(self, session):
        org_id, _ = await seed_demo(session)
        rows = await _by_handle(session, Collaboration, org_id)
        models = {handle: c.compensation_model for handle, c in rows.items()}
        assert set(models.values()) == {"flat_fee", "product", "commission", "hybrid"}
        assert rows["mina.makes.150k"].fee == Decimal("1500.00")
        assert rows["mina.makes.150k"].commission_rate == Decimal("0.1")
        campaign = await session.scalar(select(Campaign).where(Campaign.org_id == org_id))
        assert campaign.currency == "USD"
        assert len({c.stage for c in rows.values()}) >= 5

    async def test_one_is_declined_and_its_fee_is_apart_from_the_cost(self, session):
        org_id, _ = await seed_demo(session)
        rows = await _by_handle(session, Collaboration, org_id)
        declined = [h for h, c in rows.items() if c.stage == "declined"]
        assert declined == ["kai.cooks.8k"]
        open_cost = sum(
            (c.fee or 0) + (c.product_value or 0) for c in rows.values() if c.stage != "declined"
        )
        assert open_cost == Decimal("7665.00")
        assert rows["kai.cooks.8k"].fee == Decimal("900.00")

    async def test_stage_histories_take_legal_steps_only(self, session):
        org_id, _ = await seed_demo(session)
        changes = (
            await session.scalars(
                select(CollaborationStageChange)
                .where(CollaborationStageChange.org_id == org_id)
                .order_by(CollaborationStageChange.collaboration_id, CollaborationStageChange.at)
            )
        ).all()
        paths: dict = {}
        for change in changes:
            paths.setdefault(change.collaboration_id, []).append(change.stage)
        for path in paths.values():
            assert path[0] in INITIAL
            for current, following in zip(path, path[1:], strict=False):
                assert following in allowed_moves(current), path
        assert ["contracted", "content_submitted", "approved", "published", "completed"] in list(
            paths.values()
        )


class TestDemoAfterFirstSync:
    async def test_accounts_span_every_default_tier(self, synced, session):
        org_id, _ = synced
        accounts = (
            await session.scalars(select(CreatorAccount).where(CreatorAccount.org_id == org_id))
        ).all()
        assert {a.handle: a.tier for a in accounts} == TIERS
        assert {a.sync_status for a in accounts} == {"ok"}

    async def test_required_posts_show_every_disclosure_outcome(self, synced, session):
        org_id, _ = synced
        creators = await _by_handle(session, Collaboration, org_id)
        paying = {c.creator_id for c in creators.values() if c.stage != "declined"}
        posts = (await session.scalars(select(Post).where(Post.org_id == org_id))).all()
        assert {p.creator_id for p in posts} == {c.creator_id for c in creators.values()}
        campaign = await session.scalar(select(Campaign).where(Campaign.org_id == org_id))
        assert all(p.published_at.date() >= campaign.starts_on for p in posts)
        required = [p.disclosure for p in posts if p.creator_id in paying]
        assert all(d["required"] for d in required)
        assert {d["reason"] for d in required} == {
            None,
            "shorthand_only",
            "after_fold",
            "buried_in_hashtags",
            "missing",
        }
        compliant = sum(bool(d["compliant"]) for d in required) / len(required)
        assert 0.2 < compliant < 0.5

    async def test_campaign_kpis_have_a_cost_without_the_declined_fee_and_goals_part_way(
        self, synced, session
    ):
        org_id, _ = synced
        campaign = await session.scalar(select(Campaign).where(Campaign.org_id == org_id))
        # The worker's debounced recomputation ran in the burst too.
        assert await session.scalar(
            select(func.count()).where(CampaignKpiSnapshot.campaign_id == campaign.id)
        )
        kpis = await kpi_service.campaign_kpis(await reads_in(session), org_id, campaign.id)
        totals = kpis["totals"]
        assert totals["creators"] == len(TIERS)
        assert str(totals["cost"]) == "7665.00"  # 6,000 + 1,500 + 120 + 45; Kai's 900 declined
        assert 0 < totals["disclosure_rate"] < 1
        assert totals["engagements"] > 0 and totals["cpe"] > 0
        goals = {goal["metric"]: goal for goal in kpis["goals"]}
        assert {goals["cpe"]["direction"], goals["engagements"]["direction"]} == {
            "at_most",
            "at_least",
        }
        for goal in goals.values():
            assert 0 < goal["expected_progress"] < 1
            assert goal["actual"] is not None, goal

    async def test_the_sweep_marks_the_past_due_deliverable_late(self, synced, session, settings):
        org_id, now = synced
        marked = await deliverable_service.mark_overdue(
            session, now=datetime.now(UTC), grace_s=settings.deliverable_grace_s
        )
        assert marked["late"] == 1 and marked["missed"] == 0
        rows = await session.execute(
            select(CreatorAccount.handle, Deliverable)
            .join(Collaboration, Collaboration.id == Deliverable.collaboration_id)
            .join(CreatorAccount, CreatorAccount.creator_id == Collaboration.creator_id)
            .where(Deliverable.org_id == org_id)
        )
        found = sorted((h, d.kind, d.status, d.post_id is not None) for h, d in rows)
        assert found == [
            ("ada.brews.3k", "post", "published", True),
            ("luca.trails.20k", "story", "late", False),
            ("mina.makes.150k", "post", "published", True),
            ("mina.makes.150k", "reel", "submitted", False),
            ("sol.fitness.1m", "post", "published", True),
            ("sol.fitness.1m", "video", "pending", False),
        ]
        due = await session.scalar(
            select(Deliverable.due_at).where(
                Deliverable.org_id == org_id, Deliverable.status == "late"
            )
        )
        # Late, not missed: past due by less than the grace period.
        assert now - timedelta(seconds=settings.deliverable_grace_s) < due < now


async def _row_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url, poolclass=NullPool)
    async with engine.connect() as connection:
        counts = {
            table.name: await connection.scalar(text(f'select count(*) from "{table.name}"'))
            for table in Base.metadata.sorted_tables
        }
    await engine.dispose()
    return counts


async def _delete_demo(database_url: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.execute(delete(Organization).where(Organization.name == "Demo Agency"))
    await engine.dispose()


class TestSeedIfEmpty:
    """What `sway run` does on every start, against the real database (cleaned up after)."""

    def test_a_second_run_changes_nothing(self, database_url, redis_url):
        try:
            first = asyncio.run(_seed_if_empty(database_url, redis_url))
            before = asyncio.run(_row_counts(database_url))
            second = asyncio.run(_seed_if_empty(database_url, redis_url))
            after = asyncio.run(_row_counts(database_url))
        finally:
            asyncio.run(_delete_demo(database_url))
        assert first is not None and first.startswith("sway_")
        assert second is None
        assert after == before
        assert before["creator"] == len(TIERS) and before["deliverable"] == 6
        assert before[Creator.__tablename__] == len(TIERS)


class TestDemoVetting:
    """The vetting signals a newcomer sees on the first run (docs/vetting.md)."""

    async def test_the_spike_and_the_pod_fire_and_no_one_else(self, synced, session, settings):
        org_id, now = synced
        accounts = {
            a.handle: a
            for a in await session.scalars(
                select(CreatorAccount).where(CreatorAccount.org_id == org_id)
            )
        }
        codes = {h: [s["code"] for s in a.authenticity["signals"]] for h, a in accounts.items()}
        assert codes == {
            **{handle: [] for handle in TIERS},
            "noor.spike.25k": ["follower_spike"],
            "pia.pod.2k": ["implausible_engagement"],
        }
        # Every account had 30 days of history and 15 settled posts: all are scored.
        assert all(a.authenticity_score is not None for a in accounts.values())
        spike = accounts["noor.spike.25k"].authenticity["signals"][0]
        # The demo's jump: 1.25 x the day before, a gain of 25 % (plus a day's growth).
        assert spike["value"] == pytest.approx(0.25, abs=0.002)
        # 30 + 30 x min(1, (0.25 - 0.02) / 0.18) = 60 points off: 40, below the alert's 50.
        assert accounts["noor.spike.25k"].authenticity_score == 40.0
        assert accounts["noor.spike.25k"].authenticity_score < settings.authenticity_alert_below
        assert accounts["noor.spike.25k"].authenticity_alerted_at is not None
        pod = accounts["pia.pod.2k"].authenticity["signals"][0]
        # 8 x the demo's usual rate (about 3 %) against the demo benchmark of 3.5 %.
        assert pod["threshold"] == pytest.approx(5 * 0.035)
        assert pod["value"] > pod["threshold"]
        assert accounts["pia.pod.2k"].authenticity_alerted_at is None
        # The smallest account's likes are too few to judge comments per like.
        assert (
            accounts["rio.reads.600"]
            .authenticity["unchecked"][0]
            .startswith("comment_like_ratio: ")
        )

    async def test_influence_and_recent_posts_for_every_account_and_creator(self, synced, session):
        org_id, now = synced
        accounts = (
            await session.scalars(select(CreatorAccount).where(CreatorAccount.org_id == org_id))
        ).all()
        for account in accounts:
            names = [c["name"] for c in account.influence["components"]]
            assert names == ["engagement", "authenticity", "consistency", "growth", "niche_fit"]
            assert 0 < account.influence_score < 100
            assert account.last_posted_at is not None and account.last_posted_at <= now
        creators = (await session.scalars(select(Creator).where(Creator.org_id == org_id))).all()
        assert all(c.influence_score is not None and c.last_posted_at for c in creators)
        # The prospects have no tracked post before the campaign: their listed posts count.
        listed = await session.scalar(
            select(func.count())
            .select_from(AccountRecentPost)
            .join(CreatorAccount, CreatorAccount.id == AccountRecentPost.account_id)
            .where(CreatorAccount.handle == "noor.spike.25k", CreatorAccount.org_id == org_id)
        )
        assert listed == 15  # a post every two days over the first sync's 30 days

    async def test_discovery_ranks_the_demo_creators_by_fit_to_the_campaign(self, synced, session):
        """The campaign looks for coffee and food, #sway and #autumnroast, the demo platform, US
        and GB; weights niches 40, hashtags 25, platforms 20, countries 15 (docs/discovery.md).
        Every demo caption carries #sway, none #autumnroast: half the hashtags for everyone.
        Ada (coffee, food; US): 40 x 1 + 25 x 0.5 + 20 + 15 = 87.5.
        Rio (books, coffee; GB): 40 x 0.5 + 12.5 + 20 + 15 = 67.5."""
        org_id, _ = synced
        campaign = await session.scalar(select(Campaign).where(Campaign.org_id == org_id))
        page = await discovery_service.discover(
            session, org_id, DiscoverFilters(campaign_id=campaign.id, limit=2)
        )
        (ada, rio) = page.items
        assert (ada.name, ada.fit.score, rio.name, rio.fit.score) == (
            "Ada Brews",
            87.5,
            "Rio Reads",
            67.5,
        )
        assert ada.fit.reasons[:2] == ["niche coffee matches", "niche food matches"]
        assert ada.fit.reasons[-2:] == ["has a demo account", "country US"]

    async def test_every_account_starts_with_thirty_days_of_followers(self, session):
        now = datetime(2026, 12, 1, 9, tzinfo=UTC)
        org_id, _ = await seed_demo(session, now=now)
        rows = (
            await session.execute(
                select(
                    CreatorAccount.handle, AccountSnapshot.captured_at, AccountSnapshot.followers
                )
                .join(AccountSnapshot, AccountSnapshot.account_id == CreatorAccount.id)
                .where(CreatorAccount.org_id == org_id, CreatorAccount.handle == "noor.spike.25k")
                .order_by(AccountSnapshot.captured_at)
            )
        ).all()
        assert [at for _, at, _ in rows] == [now - timedelta(days=d) for d in range(30, 0, -1)]
        assert [count for _, _, count in rows] == [
            followers_at("noor.spike.25k", at) for _, at, _ in rows
        ]
