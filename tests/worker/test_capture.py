"""Content capture during account sync: the right posts are attached, and no others."""

from datetime import date

from sqlalchemy import select

from services.worker.jobs import accounts
from shared.models import Post
from shared.platforms.base import AccountStats, Platform, PostInfo
from tests.factories import create_account, create_campaign, create_creator, create_tenant, utc
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
    assert await accounts.sync_account(worker_ctx, str(tenant.org_id), str(account.id)) == "ok"


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
        assert tagged.disclosure == {"required": True, "compliant": True, "found": ["ad"]}
        assert attached["Mention01"].disclosure["compliant"] is False
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
