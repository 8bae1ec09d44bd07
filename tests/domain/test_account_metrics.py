"""Account engagement rate and tier, as an account sync records them (METRICS.md, "Account
level"). Rates are engagements / followers_at_post, every number worked by hand below. An
account's posts are the ones Sway tracks and the ones its syncs listed."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.domain.account import sync
from shared.models import Creator, CreatorAccount, Organization
from shared.platforms.base import AccountRef, AccountStats, Platform, PostInfo, PostStats
from tests.factories import (
    create_account,
    create_account_snapshot,
    create_creator,
    create_post,
    create_tenant,
    utc,
)

NOW = utc(2026, 11, 20, 12)
FOLLOWERS = 10_000


async def _sync(session, settings, account, followers=FOLLOWERS):
    target = sync.SyncTarget(
        account.id, AccountRef(Platform.demo, account.handle, None), None, None, NOW
    )
    stats = AccountStats(
        external_id="demo-1",
        handle=account.handle,
        display_name="Ada",
        followers=followers,
        following=1,
        posts_count=1,
    )
    result = await sync.record_stats(
        session, account.org_id, target, stats, listed=None, now=NOW, settings=settings
    )
    assert result == 0
    await session.commit()
    await session.refresh(account)


async def _post(session, account, n, age, likes, comments=None, shares=None, saves=None):
    return await create_post(
        session,
        account,
        external_id=f"p{n}",
        published_at=NOW - age,
        likes=likes,
        comments=comments,
        shares=shares,
        saves=saves,
        followers_at_post=FOLLOWERS,
    )


async def _setup(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id)
    return tenant, creator, account


class TestAccountEngagementRate:
    async def test_median_of_settled_posts(self, session, settings):
        tenant, creator, account = await _setup(session)
        day = timedelta(days=1)
        await _post(session, account, 1, 2 * day, 300, 20, 0)  # 320 / 10,000 = 0.032
        await _post(session, account, 2, 3 * day, 100)  # 100 / 10,000 = 0.01
        await _post(session, account, 3, 4 * day, 500, 50, 25, 25)  # 600 / 10,000 = 0.06
        await _post(session, account, 4, 5 * day, 4000, 1000)  # viral: 5,000 / 10,000 = 0.5
        # 23 hours old: not settled, left out (it would make the median 0.06).
        await _post(session, account, 5, timedelta(hours=23), 9000)
        # Not refreshed yet (no counts): no rate, left out.
        await _post(session, account, 6, 6 * day, None)
        other = await create_account(
            session, tenant.org_id, creator.id, handle="ada.other", engagement_rate=0.02
        )
        await _sync(session, settings, account)
        # Sorted 0.01, 0.032, 0.06, 0.5: median (0.032 + 0.06) / 2 = 0.046 (the mean is 0.1505).
        assert account.engagement_rate == pytest.approx(0.046)
        # The creator's is the best of its accounts: max(0.046, 0.02).
        best = await session.scalar(select(Creator.engagement_rate).where(Creator.id == creator.id))
        assert best == pytest.approx(0.046)
        assert other.engagement_rate == 0.02

    async def test_only_the_last_twelve(self, session, settings):
        _, _, account = await _setup(session)
        # The 12 latest: six at 100 / 10,000 = 0.01 and six at 300 / 10,000 = 0.03, median 0.02.
        for n in range(12):
            await _post(session, account, n, timedelta(days=2 + n), 100 if n % 2 else 300)
        # The 13th, older: 9,000 / 10,000 = 0.9; counted, the median would be the 7th of 13, 0.03.
        await _post(session, account, 12, timedelta(days=30), 9000)
        await _sync(session, settings, account)
        assert account.engagement_rate == pytest.approx(0.02)

    async def test_fewer_than_three_posts_is_null(self, session, settings):
        _, creator, account = await _setup(session)
        await _post(session, account, 1, timedelta(days=2), 100)
        await _post(session, account, 2, timedelta(days=3), 300)
        await _post(session, account, 3, timedelta(hours=1), 300)  # not settled
        await _sync(session, settings, account)
        assert account.engagement_rate is None
        best = await session.scalar(select(Creator.engagement_rate).where(Creator.id == creator.id))
        assert best is None

    async def test_three_posts_odd_median(self, session, settings):
        _, _, account = await _setup(session)
        for n, likes in enumerate([100, 700, 300]):  # 0.01, 0.07, 0.03: median 0.03
            await _post(session, account, n, timedelta(days=2 + n), likes)
        await _sync(session, settings, account)
        assert account.engagement_rate == pytest.approx(0.03)


class TestTier:
    @pytest.mark.parametrize(
        ("tiers", "followers", "expected"),
        [
            (None, 999, "emerging"),
            (None, 1_000, "nano"),
            (None, 60_000, "mid"),  # default: mid 50,000-499,999
            ({"preset": "industry"}, 60_000, "micro"),  # industry: micro 10k-100k
            ({"preset": "industry"}, 600_000, "macro"),
            (
                {
                    "boundaries": [
                        {"tier": "nano", "min_followers": 100},
                        {"tier": "mega", "min_followers": 55_000},
                    ]
                },
                60_000,
                "mega",
            ),
        ],
    )
    async def test_by_organization_boundaries(self, session, settings, tiers, followers, expected):
        tenant, _, account = await _setup(session)
        if tiers is not None:
            organization = await session.get(Organization, tenant.org_id)
            organization.settings = {"tiers": tiers}
            await session.commit()
        await _sync(session, settings, account, followers=followers)
        assert account.tier == expected
        assert (
            await session.scalar(select(CreatorAccount.tier).where(CreatorAccount.id == account.id))
            == expected
        )


class TestListedPosts:
    """An account's last posts are its tracked and its listed ones alike (docs/metrics.md)."""

    async def test_tracked_and_listed_posts_together(self, session, settings):
        _, _, account = await _setup(session)
        # Five thousand followers ten days ago, ten thousand at this sync.
        await create_account_snapshot(session, account, NOW - timedelta(days=10), 5_000)
        # Tracked: 300 / 10,000 = 0.03.
        await _post(session, account, 1, timedelta(days=2), 300)
        listing = [
            # The tracked post listed again with other counts: the tracked row is read.
            _info("p1", timedelta(days=2), 9_000),
            # Listed only: followers at publication are the snapshot before it, 5,000:
            # 100 / 5,000 = 0.02 and 200 / 5,000 = 0.04.
            _info("p2", timedelta(days=4), 100),
            _info("p3", timedelta(days=6), 200),
            # Published 23 hours ago: not settled.
            _info("p4", timedelta(hours=23), 5_000),
        ]
        await _sync_listing(session, settings, account, listing)
        # Median of 0.02, 0.03, 0.04 = 0.03. Had the listing's p1 been read (0.9) it would be
        # 0.04; had today's followers been used for p2 and p3 (0.01, 0.02), 0.02.
        assert account.engagement_rate == pytest.approx(0.03)
        # The newest post known, settled or not.
        assert account.last_posted_at == NOW - timedelta(hours=23)

    async def test_listed_posts_alone_give_a_rate(self, session, settings):
        _, creator, account = await _setup(session)
        # No campaign post: three listed posts on the sync's 10,000 followers (the only
        # snapshot, after them): 0.01, 0.02, 0.05; median 0.02.
        listing = [
            _info("a", timedelta(days=2), 100),
            _info("b", timedelta(days=3), 200),
            _info("c", timedelta(days=4), 500),
        ]
        await _sync_listing(session, settings, account, listing)
        assert account.engagement_rate == pytest.approx(0.02)
        best = await session.scalar(select(Creator.engagement_rate).where(Creator.id == creator.id))
        assert best == pytest.approx(0.02)


def _info(external_id: str, age: timedelta, likes: int) -> PostInfo:
    return PostInfo(
        external_id=external_id,
        url=None,
        kind="post",
        caption=None,
        published_at=NOW - age,
        stats=PostStats(likes=likes),
    )


async def _sync_listing(session, settings, account, listing):
    target = sync.SyncTarget(
        account.id, AccountRef(Platform.demo, account.handle, None), None, None, NOW
    )
    stats = AccountStats("demo-1", account.handle, "Ada", FOLLOWERS, 1, 1)
    await sync.record_stats(
        session, account.org_id, target, stats, listed=listing, now=NOW, settings=settings
    )
    await session.commit()
    await session.refresh(account)
