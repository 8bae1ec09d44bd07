"""Whether a post must disclose, where the worker learns its caption: a first refresh, content
capture, and a URL-tracked post resolved by a sync. The rule itself is pinned through the API in
tests/api/test_disclosure_required.py."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from services.worker.jobs import accounts
from shared.domain.account import sync
from shared.models import Post
from shared.platforms.base import AccountStats, Platform, PostDetails, PostInfo, PostStats
from tests.factories import (
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
    utc,
)
from tests.fakes import ScriptedAdapter
from tests.worker.posts import run_batch, schedule

NOT_REQUIRED = {"required": False, "compliant": None, "found": [], "reason": "not_required"}


def _passes(*found: str) -> dict:
    return {"required": True, "compliant": True, "found": list(found), "reason": None}


@pytest.fixture
async def account(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    return await create_account(
        session, tenant.org_id, creator.id, platform="x", handle="ada", credential_key="k"
    )


@pytest.fixture
def requirement_reads(connection):
    """The statements that read posts' disclosure requirements, as the database receives them."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "LEFT JOIN campaign c ON c.org_id = p.org_id" in statement:
            seen.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection.sync_connection, "before_cursor_execute", record)


async def _disclosures(session, posts) -> dict[str, dict | None]:
    rows = await session.execute(
        select(Post.external_id, Post.disclosure).where(Post.id.in_([p.id for p in posts]))
    )
    return {external_id: disclosure for external_id, disclosure in rows}


class TestFirstRefresh:
    async def test_caption_gets_its_requirement_and_brand_terms_from_one_query(
        self, worker_ctx, session, account, requirement_reads
    ):
        org_id, creator_id = account.org_id, account.creator_id
        paid = await create_campaign(session, org_id, name="Zeta Roast", mentions=["acme.coffee"])
        await create_collaboration(session, org_id, paid.id, creator_id, fee=500)
        organic = await create_campaign(session, org_id, name="Organic")
        due = datetime.now(UTC) - timedelta(minutes=1)
        captions = {
            "1": (paid.id, "Acme.Coffee partner! New roast"),
            "2": (paid.id, "#ZetaRoastPartner new beans"),
            "3": (organic.id, "#ad new beans"),
            "4": (None, "#ad no campaign"),
        }
        posts = [
            await create_post(
                session, account, external_id=id, campaign_id=campaign_id, next_refresh_at=due
            )
            for id, (campaign_id, _) in captions.items()
        ]
        known = await create_post(
            session,
            account,
            external_id="5",
            campaign_id=paid.id,
            next_refresh_at=due,
            published_at=due - timedelta(days=1),
        )
        published = datetime.now(UTC) - timedelta(hours=2)
        outcomes = {
            id: PostStats(likes=1, details=PostDetails(caption=caption, published_at=published))
            for id, (_, caption) in captions.items()
        }
        outcomes["5"] = PostStats(likes=1)
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, max_batch=100, stats=[outcomes]
        )
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 5, gone 0"
        assert len(requirement_reads) == 1
        assert await _disclosures(session, [*posts, known]) == {
            "1": _passes("acme.coffee partner"),
            "2": _passes("#zetaroastpartner"),
            "3": {**NOT_REQUIRED, "found": ["#ad"]},
            "4": {**NOT_REQUIRED, "found": ["#ad"]},
            "5": None,  # it learned nothing: its check is not this refresh's to write
        }

    async def test_no_query_when_no_post_learns_its_details(
        self, worker_ctx, session, account, requirement_reads
    ):
        campaign = await create_campaign(session, account.org_id)
        due = datetime.now(UTC) - timedelta(minutes=1)
        await create_post(
            session,
            account,
            campaign_id=campaign.id,
            next_refresh_at=due,
            published_at=due - timedelta(days=1),
        )
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, stats=[{"ada-1": PostStats(likes=1)}]
        )
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 1, gone 0"
        assert requirement_reads == []

    async def test_a_deliverable_it_then_fulfils_makes_it_required(
        self, worker_ctx, session, account
    ):
        campaign = await create_campaign(session, account.org_id)
        collaboration = await create_collaboration(
            session, account.org_id, campaign.id, account.creator_id
        )
        await create_deliverable(
            session, collaboration, platform="x", kind="tweet", hashtags=["autumnroast"]
        )
        post = await create_post(
            session,
            account,
            campaign_id=campaign.id,
            next_refresh_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        details = PostDetails(caption="#autumnroast is here", published_at=datetime.now(UTC))
        worker_ctx["adapters"][Platform.x] = ScriptedAdapter(
            Platform.x, stats=[{"ada-1": PostStats(likes=1, details=details)}]
        )
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 1, gone 0"
        assert await _disclosures(session, [post]) == {
            "ada-1": {"required": True, "compliant": False, "found": [], "reason": "missing"}
        }


STATS = AccountStats(
    external_id="17841405822304914",
    handle="ada.brews",
    display_name="Ada",
    followers=12_000,
    following=100,
    posts_count=40,
)


def _listed(id: str, caption: str, url_id: str | None = None) -> PostInfo:
    return PostInfo(
        external_id=id,
        url=f"https://www.instagram.com/p/{url_id or id}/",
        kind="post",
        caption=caption,
        published_at=utc(2026, 11, 10, 9),
    )


async def _instagram(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(
        session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
    )
    return tenant, creator, account


async def _sync(worker_ctx, account, listed) -> None:
    worker_ctx["adapters"][Platform.instagram] = ScriptedAdapter(
        Platform.instagram, accounts=[STATS], posts=[listed]
    )
    job = sync.SyncAccount(org_id=str(account.org_id), account_id=str(account.id))
    assert await accounts.sync_account(worker_ctx, job.dump()) == "ok"


async def _captured(session, account) -> dict[str, dict | None]:
    rows = await session.execute(
        select(Post.external_id, Post.disclosure).where(Post.account_id == account.id)
    )
    return {external_id: disclosure for external_id, disclosure in rows}


class TestCapture:
    async def test_captured_posts_follow_the_rule_with_the_campaigns_brand_terms(
        self, worker_ctx, session
    ):
        tenant, creator, account = await _instagram(session)
        paid = await create_campaign(
            session,
            tenant.org_id,
            name="Roast",
            status="active",
            hashtags=["autumnroast"],
            mentions=["acme.coffee"],
        )
        await create_collaboration(session, tenant.org_id, paid.id, creator.id, product_value=40)
        await create_campaign(
            session, tenant.org_id, name="Free", status="active", hashtags=["free"]
        )
        await _sync(
            worker_ctx,
            account,
            [
                _listed("Paid01", "Acme.Coffee ambassador here #autumnroast"),
                _listed("Paid02", "#RoastPartner #autumnroast"),
                _listed("Free01", "#free #ad"),
            ],
        )
        assert await _captured(session, account) == {
            "Paid01": _passes("acme.coffee ambassador"),
            "Paid02": _passes("#roastpartner"),
            "Free01": {**NOT_REQUIRED, "found": ["#ad"]},
        }

    async def test_captured_for_a_deliverable_that_asks_for_a_disclosure(self, worker_ctx, session):
        tenant, creator, account = await _instagram(session)
        campaign = await create_campaign(session, tenant.org_id, status="active")
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        deliverable = await create_deliverable(
            session, collaboration, platform="instagram", hashtags=["beans"]
        )
        await _sync(worker_ctx, account, [_listed("Beans01", "#beans of the week")])
        post = await session.scalar(select(Post).where(Post.account_id == account.id))
        assert post.deliverable_id == deliverable.id
        assert post.disclosure == {
            "required": True,
            "compliant": False,
            "found": [],
            "reason": "missing",
        }

    async def test_a_url_tracked_post_is_checked_once_its_sync_brings_the_caption(
        self, worker_ctx, session
    ):
        tenant, _, account = await _instagram(session)
        campaign = await create_campaign(session, tenant.org_id, disclosure_required=True)
        pending = Post(
            org_id=tenant.org_id,
            account_id=account.id,
            creator_id=account.creator_id,
            campaign_id=campaign.id,
            platform="instagram",
            external_id="C8xYzAbCdEf",
            status="pending",
            missing_count=0,
            source="url",
            disclosure={"required": True, "compliant": False, "found": [], "reason": "missing"},
        )
        session.add(pending)
        await session.commit()
        await _sync(
            worker_ctx,
            account,
            [_listed("17900000000000001", "#ad New roast", pending.external_id)],
        )
        assert await _captured(session, account) == {"17900000000000001": _passes("#ad")}
