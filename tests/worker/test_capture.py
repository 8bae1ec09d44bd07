"""Content capture during account sync: the right posts are attached, and no others."""

from datetime import date

from sqlalchemy import select

from services.worker.jobs import accounts
from shared.domain.account import sync
from shared.models import Post, PostSnapshot
from shared.platforms.base import AccountStats, Platform, PostInfo
from tests.factories import (
    create_account,
    create_campaign,
    create_creator,
    create_post,
    create_tenant,
    utc,
)
from tests.fakes import ScriptedAdapter


def info(id: str, caption: str, day: int = 10) -> PostInfo:
    return PostInfo(
        external_id=id,
        url=f"https://www.instagram.com/p/{id}/",
        kind="post",
        caption=caption,
        published_at=utc(2026, 11, day, 9),
    )


STATS = AccountStats(
    external_id="17841405822304914",
    handle="ada.brews",
    display_name="Ada",
    followers=12_000,
    following=100,
    posts_count=40,
)


async def _sync(worker_ctx, tenant, account, listed):
    worker_ctx["adapters"][Platform.instagram] = ScriptedAdapter(
        Platform.instagram, accounts=[STATS], posts=[listed]
    )
    assert (
        await accounts.sync_account(
            worker_ctx,
            sync.SyncAccount(org_id=str(tenant.org_id), account_id=str(account.id)).dump(),
        )
        == "ok"
    )


class TestContentCapture:
    async def test_attaches_matching_posts_only(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        roast = await create_campaign(
            session,
            tenant.org_id,
            name="Roast",
            status="active",
            hashtags=["autumnroast"],
            mentions=["acme.coffee"],
            platforms=["instagram"],
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 11, 30),
            # Its posts must disclose (tests/api/test_disclosure_required.py has the rule).
            disclosure_required=True,
        )
        await create_campaign(
            session,
            tenant.org_id,
            name="TikTok only",
            status="active",
            hashtags=["tiktokonly"],
            platforms=["tiktok"],
        )
        await create_campaign(
            session, tenant.org_id, name="Draft", status="draft", hashtags=["drafttag"]
        )
        listed = [
            info("Hashtag01", "New beans! #AutumnRoast #ad"),
            info("Mention01", "Thanks @Acme.Coffee for the beans"),
            info("Nothing01", "Just my morning cup #coffee"),
            PostInfo(
                external_id="TooEarly1",
                url=None,
                kind="post",
                caption="#autumnroast teaser",
                published_at=utc(2026, 10, 20),
            ),
            info("OtherPlat", "#tiktokonly on the wrong platform"),
            info("DraftTag1", "#drafttag is not running yet"),
        ]
        await _sync(worker_ctx, tenant, account, listed)
        posts = (await session.scalars(select(Post).where(Post.org_id == tenant.org_id))).all()
        attached = {p.external_id: p for p in posts}
        assert set(attached) == {"Hashtag01", "Mention01"}
        assert {p.campaign_id for p in posts} == {roast.id}
        tagged = attached["Hashtag01"]
        assert (tagged.source, tagged.status) == ("capture", "tracking")
        assert tagged.disclosure == {
            "required": True,
            "compliant": True,
            "found": ["#ad"],
            "reason": None,
        }
        # "Thanks @brand" names the brand (a campaign mention) but is no disclosure.
        assert attached["Mention01"].disclosure == {
            "required": True,
            "compliant": False,
            "found": ["thanks acme.coffee"],
            "reason": "shorthand_only",
        }
        assert tagged.followers_at_post == 12_000
        assert tagged.next_refresh_at is not None

    async def test_second_sync_does_not_duplicate(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        await create_campaign(session, tenant.org_id, status="active", hashtags=["autumnroast"])
        listed = [info("Hashtag01", "#autumnroast")]
        await _sync(worker_ctx, tenant, account, listed)
        await _sync(worker_ctx, tenant, account, listed)
        count = len((await session.scalars(select(Post).where(Post.org_id == tenant.org_id))).all())
        assert count == 1

    async def test_resolves_url_tracked_instagram_post(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        campaign = await create_campaign(session, tenant.org_id)
        pending = Post(
            org_id=tenant.org_id,
            account_id=account.id,
            creator_id=creator.id,
            campaign_id=campaign.id,
            platform="instagram",
            external_id="C8xYzAbCdEf",
            status="pending",
            missing_count=0,
            source="url",
        )
        session.add(pending)
        await session.commit()
        listed = [
            PostInfo(
                external_id="17900000000000001",
                url="https://www.instagram.com/reel/C8xYzAbCdEf/",
                kind="reel",
                caption="New roast",
                published_at=utc(2026, 11, 10),
            )
        ]
        await _sync(worker_ctx, tenant, account, listed)
        await session.refresh(pending)
        assert (pending.external_id, pending.status, pending.kind) == (
            "17900000000000001",
            "tracking",
            "reel",
        )
        assert pending.next_refresh_at is not None
        assert pending.published_at == utc(2026, 11, 10)


API_ID = "17900000000000001"
SHORTCODE = "C8xYzAbCdEf"


def listed_reel(caption: str | None = "New roast") -> PostInfo:
    return PostInfo(
        external_id=API_ID,
        url=f"https://www.instagram.com/reel/{SHORTCODE}/",
        kind="reel",
        caption=caption,
        published_at=utc(2026, 11, 10),
    )


async def _pending(session, account, campaign_id, **fields) -> Post:
    post = Post(
        org_id=account.org_id,
        account_id=account.id,
        creator_id=account.creator_id,
        campaign_id=campaign_id,
        platform="instagram",
        external_id=SHORTCODE,
        status="pending",
        missing_count=0,
        source="url",
        **fields,
    )
    session.add(post)
    await session.commit()
    return post


async def _snapshot(session, post, captured_at, views) -> None:
    session.add(
        PostSnapshot(org_id=post.org_id, post_id=post.id, captured_at=captured_at, views=views)
    )
    await session.commit()


async def _instagram(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(
        session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
    )
    return tenant, account


class TestResolvingIntoAnExistingPost:
    """A post captured (or added) under its API id and also tracked by URL: resolving the URL
    must merge the two, not collide on the unique key and fail every sync after."""

    async def test_merges_the_post_already_tracked_under_the_api_id(self, worker_ctx, session):
        tenant, account = await _instagram(session)
        users = await create_campaign(session, tenant.org_id, name="Tracked by URL")
        captured_in = await create_campaign(session, tenant.org_id, name="Captured in")
        duplicate = await create_post(
            session,
            account,
            external_id=API_ID,
            campaign_id=captured_in.id,
            source="capture",
            kind="reel",
            caption="New roast #autumnroast",
            published_at=utc(2026, 11, 10, 8),
            views=900,
            likes=40,
            last_refreshed_at=utc(2026, 11, 12),
            followers_at_post=11_000,
        )
        await _snapshot(session, duplicate, utc(2026, 11, 11), 500)
        await _snapshot(session, duplicate, utc(2026, 11, 12), 900)
        pending = await _pending(session, account, users.id)
        # The same instant on both: the kept post's own snapshot stays.
        await _snapshot(session, pending, utc(2026, 11, 12), 901)
        await _sync(worker_ctx, tenant, account, [listed_reel()])

        [post] = (await session.scalars(select(Post).where(Post.org_id == tenant.org_id))).all()
        await session.refresh(post)
        assert post.id == pending.id
        assert (post.external_id, post.status, post.campaign_id) == (API_ID, "tracking", users.id)
        assert (post.views, post.likes, post.last_refreshed_at) == (900, 40, utc(2026, 11, 12))
        assert (post.kind, post.caption) == ("reel", "New roast #autumnroast")
        assert post.published_at == utc(2026, 11, 10, 8)
        assert (post.followers_at_post, post.source) == (11_000, "url")
        history = await session.execute(
            select(PostSnapshot.captured_at, PostSnapshot.views)
            .where(PostSnapshot.post_id == pending.id)
            .order_by(PostSnapshot.captured_at)
        )
        assert history.all() == [(utc(2026, 11, 11), 500), (utc(2026, 11, 12), 901)]

    async def test_kept_post_without_campaign_takes_the_duplicates(self, worker_ctx, session):
        tenant, account = await _instagram(session)
        campaign = await create_campaign(session, tenant.org_id)
        await create_post(session, account, external_id=API_ID, campaign_id=campaign.id)
        pending = await _pending(session, account, None, caption="what the user pasted")
        await _sync(worker_ctx, tenant, account, [listed_reel()])
        await session.refresh(pending)
        assert (pending.external_id, pending.campaign_id) == (API_ID, campaign.id)
        assert pending.caption == "what the user pasted"

    async def test_same_listing_resolves_before_it_captures(self, worker_ctx, session):
        tenant, account = await _instagram(session)
        campaign = await create_campaign(
            session, tenant.org_id, status="active", hashtags=["autumnroast"]
        )
        pending = await _pending(session, account, campaign.id)
        listed = [listed_reel("#autumnroast"), info("Other01", "no tag", day=11)]
        await _sync(worker_ctx, tenant, account, listed)
        [post] = (await session.scalars(select(Post).where(Post.org_id == tenant.org_id))).all()
        await session.refresh(post)
        assert (post.id, post.external_id, post.source) == (pending.id, API_ID, "url")

    async def test_unknown_fields_stay_unknown(self, worker_ctx, session):
        tenant, account = await _instagram(session)
        pending = await _pending(session, account, None)
        unknown = PostInfo(API_ID, f"https://www.instagram.com/p/{SHORTCODE}/", None, None, None)
        await _sync(worker_ctx, tenant, account, [unknown])
        await session.refresh(pending)
        assert (pending.external_id, pending.status) == (API_ID, "tracking")
        assert (pending.kind, pending.caption, pending.published_at) == (None, None, None)
